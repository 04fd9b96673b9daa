"""Latest-frame-wins hand-over between threads.

A slot holds at most one item. `put` replaces whatever is there (counting it as dropped), so a slow
reader always gets the newest item and never a backlog: lag stays bounded by one frame per stage.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Packet:
    """One captured frame on its way to the worker."""

    frame: np.ndarray  # BGR uint8
    t_capture: float  # time.perf_counter() when the frame left the source
    index: int  # frame number within this source
    source_id: int  # bumps when the source changes (the worker resets the engine)


@dataclass
class Result:
    """One processed frame on its way to the screen."""

    frame: np.ndarray  # made-up frame, full resolution, BGR uint8
    original: np.ndarray  # the captured frame it came from
    display: np.ndarray | None  # made-up frame resized (and mirrored) for the preview, BGRA uint8
    display_original: np.ndarray | None  # the same for the captured frame (before/after split)
    t_capture: float
    t_done: float
    index: int
    source_id: int
    look_generation: int
    look: Any = None
    timings_ms: dict = field(default_factory=dict)
    renderer: str = "none"
    no_face: bool = False
    error: str | None = None
    mirrored: bool = False
    status: dict = field(default_factory=dict)  # per effect: a per-frame message, e.g. "no garment found"
    lip_boxes: tuple = ()  # per face: its lips' box (x0, y0, x1, y1) in `frame` pixels, never mirrored


class LatestSlot:
    """A one-item, thread-safe mailbox: the newest item wins, older unread items are dropped."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._item: Any = None
        self._has = False
        self._closed = False
        self.put_count = 0
        self.dropped = 0

    def put(self, item: Any) -> None:
        with self._cond:
            if self._has:
                self.dropped += 1
            self._item = item
            self._has = True
            self.put_count += 1
            self._cond.notify()

    def take(self, timeout: float | None = None) -> Any | None:
        """The newest item, waiting up to `timeout` seconds; None on timeout or when closed."""
        with self._cond:
            if not self._has and not self._closed:
                self._cond.wait(timeout)
            if not self._has:
                return None
            item, self._item, self._has = self._item, None, False
            return item

    def take_nowait(self) -> Any | None:
        with self._cond:
            if not self._has:
                return None
            item, self._item, self._has = self._item, None, False
            return item

    def clear(self) -> None:
        with self._cond:
            self._item, self._has = None, False

    def close(self) -> None:
        """Wake every waiting reader (used at shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def reopen(self) -> None:
        with self._cond:
            self._closed = False
