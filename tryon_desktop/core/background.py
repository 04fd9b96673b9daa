"""A background thread the effects share for work that can run beside the frame's own thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable


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
