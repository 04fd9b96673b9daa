"""A background thread the effects share for work that can run beside the frame's own thread."""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable

BACKGROUND_NICE = 10  # `lower_priority`'s niceness: work that nothing waits for yields the cores to work that is waited for


def lower_priority(nice: int = BACKGROUND_NICE) -> bool:
    """Lower the calling thread's scheduling priority (Linux: its own niceness; the threads it starts from now
    on inherit it, a native library's worker threads included). For work that no frame waits for, so it
    takes the time the frame's own threads leave idle rather than sharing the cores with them. Elsewhere, or
    when refused, nothing changes. Returns whether it was lowered."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), int(nice)))
        return True
    except OSError:
        return False


class Helper:
    """One background thread that runs functions in order, for the work a frame can do beside its own thread's:
    GanLipstick.prepare runs the lipstick network on it while the calling thread measures the lips, and the
    outfit generator shrinks the garment box on it while the caller does the full-resolution work (OpenCV and
    onnxruntime let go of Python's lock while they work). A thread of its own (made on first use, again
    after a fork), shared by both (the engine runs its effects one after the other), and plain queues: a
    thread pool's futures cost more to hand over than the work they would save here."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], object]) -> Callable[[], object]:
        """Queue fn(); returns a function that waits for its result (raising what fn raised), as often as asked."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="tryon-helper", daemon=True)
                self._thread.start()
        reply: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs.put((fn, reply))
        got: list = []  # the reply, kept: the result can be asked for again

        def result():
            if not got:
                got.append(reply.get())
            ok, value = got[0]
            if not ok:
                raise value
            return value

        return result

    def _loop(self) -> None:
        while True:
            fn, reply = self._jobs.get()
            try:
                reply.put((True, fn()))
            except BaseException as exc:  # handed to the caller, who raises it
                reply.put((False, exc))


HELPER = Helper()
