"""TryOnEngine: frame + look -> made-up frame, in four timed stages.

    track    face landmarks (MediaPipe), smoothed over time
    align    per face: the lips' box, soft lip mask, and the backend's view of the region
    generate the lipstick backend (ONNX generator, or the reference renderer when none is installed)
    blend    feathered composite back into the frame, inside the lips' box only

Plain Python + numpy + onnxruntime + mediapipe: no Qt, no torch. Every front end (GUI worker,
tryon-render, tryon-bench, self-test, tests) calls this same class. Frames are BGR uint8 (OpenCV order).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from tryon_desktop.core.geometry import Box
from tryon_desktop.core.looks import Look, Shade
from tryon_desktop.core.masks import lip_box, lip_mask, mouth_opening, mouth_width, suppress_teeth
from tryon_desktop.core.smoothing import LandmarkSmoother
from tryon_desktop.errors import InputError
from tryon_desktop.paths import MODELS_DIR

log = logging.getLogger(__name__)

STAGES = ("track", "align", "generate", "blend")
DEFAULT_LIPSTICK_MANIFEST = MODELS_DIR / "lipstick_generator.json"


class LipstickBackend(Protocol):
    """Makes up one face's lips. `prepare` is the align stage, `generate` the generate stage.

    generate returns (region_bgr_uint8_or_float, alpha) of the box's size; the engine blends it.
    """

    name: str  # "gan" or "reference"
    provider: str  # where it runs, e.g. "CPU" or "CUDA"

    def prepare(self, frame: np.ndarray, landmarks: np.ndarray, box: Box, mask: np.ndarray): ...

    def generate(self, prepared, shade: Shade) -> tuple[np.ndarray, np.ndarray] | None: ...


class ReferenceLipstick:
    """The reference renderer (render/lipstick.py) behind the backend interface."""

    name = "reference"
    provider = "CPU (numpy)"

    def prepare(self, frame, landmarks, box, mask):
        from tryon_desktop.render.lipstick import measure_lips

        return measure_lips(frame[box.slices], mask, mouth_width(landmarks), (box.x0, box.y0))

    def generate(self, prepared, shade):
        from tryon_desktop.render.lipstick import encode_srgb8, render_lips

        if prepared is None:
            return None
        return encode_srgb8(render_lips(prepared, shade)), prepared.mask


@dataclass
class FaceInfo:
    landmarks: np.ndarray  # (478, 2) float32 frame pixels, smoothed
    box: Box  # lips' bounding box (what the blend touched)
    mouth_open: float  # inner-lip gap / mouth width


@dataclass
class FrameResult:
    frame: np.ndarray  # the made-up frame (a new array; the input is never modified)
    faces: list[FaceInfo]
    timings_ms: dict[str, float]  # track, align, generate, blend, total
    renderer: str  # backend that made it up: "gan", "reference", or "none" for a bare look
    no_face: bool = False
    look: Look | None = None
    notes: list[str] = field(default_factory=list)


def as_look(look: Look | Shade | None) -> Look:
    if look is None:
        return Look()
    if isinstance(look, Shade):
        return Look(lipstick=look)
    if isinstance(look, Look):
        return look
    raise TypeError(f"expected a Look or Shade, got {type(look).__name__}")


def check_frame(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", None)
        raise InputError(f"engine expects an HxWx3 uint8 BGR frame, got shape {shape} dtype {dtype}")
    if frame.shape[0] < 16 or frame.shape[1] < 16:
        raise InputError(f"frame too small: {frame.shape[1]}x{frame.shape[0]}")
    return frame


def load_lipstick_backend(model: str | Path | None = "auto", providers: list[str] | None = None):
    """The installed generator if there is one, else the reference renderer plus a notice saying so.

    model: "auto" (the shipped manifest, if present), a manifest path, or None (reference renderer).
    An explicitly named model that fails to load raises ModelError; "auto" falls back with a notice.
    """
    if model is None:
        return ReferenceLipstick(), None
    manifest = DEFAULT_LIPSTICK_MANIFEST if model == "auto" else Path(model)
    if model == "auto" and not manifest.exists():
        return ReferenceLipstick(), "no lipstick generator model installed: using the reference renderer"
    from tryon_desktop.errors import ModelError
    from tryon_desktop.vision.onnx_runtime import ModelManifest

    try:
        # The manifest and the weights' hash are checked before any generator code runs.
        ModelManifest.load(manifest).verify()
        from tryon_desktop.vision.lip_generator import GanLipstick

        return GanLipstick(manifest, providers=providers), None
    except ModelError as exc:
        if model != "auto":
            raise
        return ReferenceLipstick(), f"{exc}; using the reference renderer"


class TryOnEngine:
    """Frame + look -> FrameResult. One instance per video stream (it keeps tracking state)."""

    def __init__(self, model: str | Path | None = "auto", max_faces: int = 2, video: bool = True,
                 smoothing: bool = True, providers: list[str] | None = None, tracker=None) -> None:
        from tryon_desktop.vision.face_tracker import FaceTracker

        self.tracker = tracker if tracker is not None else FaceTracker(max_faces=max_faces, video=video)
        self.video = video
        self.smoother = LandmarkSmoother() if (smoothing and video) else None
        self.lipstick, self.notice = load_lipstick_backend(model, providers)
        if self.notice:
            log.warning(self.notice)
        self._t0 = time.perf_counter()

    @property
    def renderer_name(self) -> str:
        return self.lipstick.name

    @property
    def provider(self) -> str:
        return self.lipstick.provider

    def reset(self) -> None:
        """Forget temporal state (call when the source changes)."""
        if self.smoother is not None:
            self.smoother.reset()

    def close(self) -> None:
        self.tracker.close()

    def __enter__(self) -> TryOnEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def process(self, frame: np.ndarray, look: Look | Shade | None, timestamp: float | None = None) -> FrameResult:
        check_frame(frame)
        look = as_look(look)
        timings = dict.fromkeys(STAGES, 0.0)
        t_start = time.perf_counter()

        faces = self.tracker.track(frame)
        landmarks = [f.landmarks for f in faces]
        if self.smoother is not None and landmarks:
            t = timestamp if timestamp is not None else time.perf_counter() - self._t0
            landmarks = self.smoother(landmarks, t)
        t1 = time.perf_counter()
        timings["track"] = (t1 - t_start) * 1000.0

        out = frame.copy()
        infos: list[FaceInfo] = []
        renderer = "none" if look.lipstick is None else self.lipstick.name
        for lm in landmarks:
            ta = time.perf_counter()
            box = lip_box(lm, frame.shape)
            info = FaceInfo(landmarks=lm, box=box, mouth_open=mouth_opening(lm))
            infos.append(info)
            if look.lipstick is None or box.empty:
                continue
            mask = suppress_teeth(lip_mask(lm, box), frame[box.slices], lm, box)
            prepared = self.lipstick.prepare(frame, lm, box, mask)
            tg = time.perf_counter()
            made = self.lipstick.generate(prepared, look.lipstick)
            tb = time.perf_counter()
            if made is not None:
                from tryon_desktop.core.blend import composite_in_box

                region, alpha = made
                composite_in_box(out, region, alpha, box)
            te = time.perf_counter()
            timings["align"] += (tg - ta) * 1000.0
            timings["generate"] += (tb - tg) * 1000.0
            timings["blend"] += (te - tb) * 1000.0
        timings["total"] = (time.perf_counter() - t_start) * 1000.0
        notes = [self.notice] if (self.notice and look.lipstick is not None) else []
        return FrameResult(frame=out, faces=infos, timings_ms=timings, renderer=renderer,
                           no_face=not infos, look=look, notes=notes)
