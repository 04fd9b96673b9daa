"""Work that no frame waits for runs at a lowered priority (core/background.py: lower_priority): the body fill's
person masks (their thread, and MediaPipe's worker threads for that graph, started from it) and a still
picture's careful mask, so they take the time the frame's own threads leave idle."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from tryon_desktop.core.background import BACKGROUND_NICE, lower_priority

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread niceness is Linux's")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux
def test_lowers_the_calling_thread_only_and_its_new_threads_inherit():
    main = _nice()
    seen = {}

    def child():
        seen["child"] = _nice()

    def work():
        seen["before"] = _nice()
        seen["lowered"] = lower_priority()
        seen["after"] = _nice()
        t = threading.Thread(target=child)
        t.start()
        t.join()
        lower_priority(BACKGROUND_NICE - 5)  # never raises it back
        seen["again"] = _nice()

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen["lowered"] is True
    assert seen["after"] == max(seen["before"], BACKGROUND_NICE)
    assert seen["child"] == seen["after"] and seen["again"] == seen["after"]
    assert _nice() == main  # the caller of the thread is untouched


@linux
def test_the_person_mask_thread_runs_lowered():
    from tryon_desktop.vision.body_fill import _pool

    assert _pool().submit(_nice).result() >= BACKGROUND_NICE


def test_elsewhere_nothing_changes(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    assert lower_priority() is False
