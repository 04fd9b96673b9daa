"""The worker thread: newest captured frame -> TryOnEngine -> newest result, plus the Pipeline that
owns capture, worker and the slots between them.

One engine lives for the whole session (video=True keeps its tracking state); `engine.reset()` runs
when the source changes. The worker also prepares the preview-sized (and mirrored) image so the GUI
thread only blits. An exception in the engine is logged, reported once per burst, and the captured
frame is passed through untouched so the preview never freezes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

import cv2
import numpy as np

from tryon_desktop.core.looks import Look
from tryon_desktop.pipeline.capture import CaptureThread, FrameSource, PipelineEvent
from tryon_desktop.pipeline.slots import LatestSlot, Result

log = logging.getLogger(__name__)

ERROR_REPORT_INTERVAL_S = 2.0


class LookState:
    """The look the user chose, with a generation number that bumps on every change."""

    def __init__(self, look: Look | None = None) -> None:
        self._lock = threading.Lock()
        self._look = look or Look()
        self._generation = 0

    def set(self, look: Look) -> int:
        with self._lock:
            self._look = look
            self._generation += 1
            return self._generation

    def get(self) -> tuple[Look, int]:
        with self._lock:
            return self._look, self._generation


class DisplayOptions:
    """What the preview wants, and the user's switches for the engine; written by the GUI thread, read by
    the worker (plain attribute swaps)."""

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None  # preview size in device pixels; None: full size
        self.mirror = False
        self.want_original = False  # before/after split is on
        self.show_mask = False  # garment mask overlay (drawn on the preview only, never on snapshots)
        self.body_fill = True  # the garment mask's body fill (the worker hands it to the engine before a frame)


def fit_size(frame_wh: tuple[int, int], box_wh: tuple[int, int]) -> tuple[int, int]:
    fw, fh = frame_wh
    bw, bh = box_wh
    if fw <= 0 or fh <= 0 or bw <= 0 or bh <= 0:
        return fw, fh
    s = min(bw / fw, bh / fh)
    return max(1, int(round(fw * s))), max(1, int(round(fh * s)))


def prepare_display(frame: np.ndarray, size: tuple[int, int] | None, mirror: bool) -> np.ndarray:
    """Fit `frame` into `size` (aspect kept), mirror it if asked; returns BGRA uint8 for the preview."""
    h, w = frame.shape[:2]
    out = frame
    if size is not None:
        tw, th = fit_size((w, h), size)
        if (tw, th) != (w, h):
            # Shrinking by a quarter or less, bilinear is about what the area average is (each output pixel
            # spans at most 1.33 x 1.33 of the frame's; 0.1 level apart on average at 1280 -> 989) for a sixth
            # of the cost: OpenCV's area average by a ratio that is not a whole number is its slow path (3-4 ms
            # a frame on the worker's thread). Further down, the area average (bilinear would alias fine
            # stripes: 1.3 levels apart at 1280 -> 900 already).
            interp = cv2.INTER_AREA if 4 * tw < 3 * w else cv2.INTER_LINEAR
            out = cv2.resize(frame, (tw, th), interpolation=interp)
    if mirror:
        out = cv2.flip(out, 1)
    # BGRA bytes are Qt's native 32-bit layout (Format_RGB32 on little-endian), so painting is a plain blit
    return cv2.cvtColor(out, cv2.COLOR_BGR2BGRA)


def lip_boxes_of(out) -> tuple[tuple[int, int, int, int], ...]:
    """Each tracked face's lip box (x0, y0, x1, y1) in frame pixels, from an engine result (the preview's
    lips close-up magnifies it)."""
    boxes = []
    for face in getattr(out, "faces", None) or ():
        b = getattr(face, "box", None)
        if b is not None and b.x1 > b.x0 and b.y1 > b.y0:
            boxes.append((int(b.x0), int(b.y0), int(b.x1), int(b.y1)))
    return tuple(boxes)


def model_info(engine) -> dict:
    """What makes each effect (name, version, sha256, provider: from each effect's describe()), for the
    HUD and snapshot metadata. The top-level keys repeat the lipstick's, which the status bar shows."""
    if engine is None:
        return {"renderer": "none", "version": "", "sha256": "", "provider": "", "effects": {}}
    describe = getattr(engine, "describe", None)
    effects = describe() if describe is not None else {}
    lip = effects.get("lipstick") or {"renderer": getattr(getattr(engine, "lipstick", None), "name", "unknown"),
                                      "provider": str(getattr(engine, "provider", "")), "version": "", "sha256": ""}
    return dict(lip, effects=effects)


def default_engine_factory():
    from tryon_desktop.engine import TryOnEngine

    return TryOnEngine(model="auto", max_faces=2, video=True)


INFO_EVERY = 30  # the worker reads what makes each effect (model_info) again on every this many frames


class EngineWorker(threading.Thread):
    def __init__(self, frames: LatestSlot, results: LatestSlot, look: LookState, display: DisplayOptions,
                 events: queue.Queue, engine_factory: Callable[[], object] = default_engine_factory) -> None:
        super().__init__(name="engine-worker", daemon=True)
        self.frames, self.results, self.look, self.display = frames, results, look, display
        self.events = events
        self.engine_factory = engine_factory
        self.engine = None
        self.engine_info: dict = model_info(None)
        self.notice: str | None = None
        self.ready = threading.Event()
        self._halt = threading.Event()
        self.processed = 0
        self.errors = 0
        self._last_report = -1e9
        self._unreported = 0
        self._info_due = INFO_EVERY  # frames until engine_info is read again
        self._body_fill: bool | None = None  # the body fill setting the engine has (None: not handed over yet)

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            self.engine = self.engine_factory()
            self.engine_info = model_info(self.engine)
            self.notice = getattr(self.engine, "notice", None)
            garment = getattr(self.engine, "garment", None)
            from tryon_desktop.vision.body_fill import person_mask_possible

            self.events.put(PipelineEvent("info", "engine_ready", dict(
                self.engine_info, notice=self.notice or "", garment_notice=getattr(garment, "notice", None) or "",
                body_fill_possible=garment is not None and person_mask_possible())))
        except Exception as exc:
            log.exception("the try-on engine failed to start")
            self.events.put(PipelineEvent("error", "engine_failed", {"error": str(exc)}))
        finally:
            self.ready.set()
        last_source = None
        try:
            while not self._halt.is_set():
                pkt = self.frames.take(timeout=0.1)
                if pkt is None:
                    continue
                if pkt.source_id != last_source:
                    last_source = pkt.source_id
                    if self.engine is not None:
                        self.engine.reset()
                self.results.put(self._process(pkt))
        finally:
            if self.engine is not None:
                try:
                    self.engine.close()
                except Exception:
                    log.exception("closing the engine failed")

    def _process(self, pkt) -> Result:
        look, generation = self.look.get()
        made, timings, renderer, no_face, error = pkt.frame, {}, "none", False, None
        status, garment, lip_boxes = {}, None, ()
        if self.engine is not None:
            try:
                fill = bool(self.display.body_fill)
                if fill != self._body_fill:
                    self._body_fill = fill
                    setter = getattr(self.engine, "set_body_fill", None)  # (tests' engines may not have one)
                    if setter is not None:
                        setter(fill)
                        self._info_due = 0
                out = self.engine.process(pkt.frame, look, timestamp=pkt.t_capture, garment_mask=self.display.show_mask)
                made, timings, renderer, no_face = out.frame, out.timings_ms, out.renderer, out.no_face
                status, garment = out.status, out.garment_mask
                lip_boxes = lip_boxes_of(out)
                self._info_due -= 1
                if self._info_due <= 0:
                    # what makes each effect, afresh about once a second and after a switch (the garment mask's
                    # maker changes as it runs: "student + body fill" once a person mask is made, a still
                    # picture's teacher): snapshots name what made them (a new dict: the GUI thread reads it)
                    self.engine_info = model_info(self.engine)
                    self._info_due = INFO_EVERY
            except Exception as exc:
                self.errors += 1
                error = f"{type(exc).__name__}: {exc}"
                self._report(error)
        mirror, size, want_orig = self.display.mirror, self.display.size, self.display.want_original
        shown = made
        if self.display.show_mask:
            from tryon_desktop.engine import draw_mask_overlay
            from tryon_desktop.vision.garment_mask import upsample

            shown = made.copy()
            if garment is not None:
                draw_mask_overlay(shown, upsample(garment, made.shape[1::-1]))
        disp = prepare_display(shown, size, mirror)
        disp_orig = prepare_display(pkt.frame, size, mirror) if want_orig else None
        self.processed += 1
        return Result(frame=made, original=pkt.frame, display=disp, display_original=disp_orig,
                      t_capture=pkt.t_capture, t_done=time.perf_counter(), index=pkt.index,
                      source_id=pkt.source_id, look_generation=generation, look=look, timings_ms=timings,
                      renderer=renderer, no_face=no_face, error=error, mirrored=mirror, status=status,
                      lip_boxes=lip_boxes)

    def _report(self, error: str) -> None:
        now = time.perf_counter()
        self._unreported += 1
        if now - self._last_report >= ERROR_REPORT_INTERVAL_S:
            log.error("engine failed on a frame (%d since last report): %s", self._unreported, error,
                      exc_info=True)
            self.events.put(PipelineEvent("error", "worker_error", {"error": error, "count": self._unreported}))
            self._last_report = now
            self._unreported = 0


class Pipeline:
    """Capture thread -> frame slot -> worker -> result slot. The GUI polls `results` and `events`."""

    def __init__(self, engine_factory: Callable[[], object] = default_engine_factory) -> None:
        self.frames = LatestSlot()
        self.results = LatestSlot()
        self.events: queue.Queue[PipelineEvent] = queue.Queue()
        self.look = LookState()
        self.display = DisplayOptions()
        self.worker = EngineWorker(self.frames, self.results, self.look, self.display, self.events, engine_factory)
        self.capture: CaptureThread | None = None
        self.source: FrameSource | None = None
        self.source_id = 0
        self._retired: list[CaptureThread] = []

    def start(self, source: FrameSource) -> None:
        if not self.worker.is_alive():
            self.worker.start()
        self.set_source(source)

    def set_source(self, source: FrameSource) -> int:
        old = self.capture
        if old is not None:
            old.stop()
            old.join(timeout=0.5)
            if old.is_alive():  # a driver stuck in read(); it ends on its own and is joined at stop()
                self._retired.append(old)
        self.source_id += 1
        self.frames.clear()
        self.source = source
        self.capture = CaptureThread(source, self.frames, self.events, self.source_id)
        self.capture.start()
        return self.source_id

    def set_look(self, look: Look) -> int:
        return self.look.set(look)

    def stop(self, timeout: float = 1.0) -> bool:
        """Stop every thread and wait for them (never terminate). True when all have ended."""
        deadline = time.perf_counter() + timeout
        threads = [t for t in [self.capture, *self._retired] if t is not None]
        for t in threads:
            t.stop()
        self.worker.stop()
        self.frames.close()
        for t in [*threads, self.worker]:
            if t.is_alive() or t.ident is not None:
                t.join(timeout=max(0.0, deadline - time.perf_counter()))
        alive = [t.name for t in [*threads, self.worker] if t.is_alive()]
        if alive:
            log.warning("threads still running after %.1f s: %s", timeout, ", ".join(alive))
        return not alive
