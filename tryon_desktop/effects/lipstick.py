"""The lipstick effect: per face, the lips' box, a soft lip mask with the teeth guard, and a backend that
makes the lips up (the shipped ONNX generator, or the reference renderer when no model is installed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from tryon_desktop.core.geometry import Box
from tryon_desktop.core.light import NEUTRAL, Light, LightTracker, scene_light
from tryon_desktop.core.looks import Shade
from tryon_desktop.core.masks import MOUTH_CORNERS, lip_mask, lip_unmix, mouth_width, suppress_teeth
from tryon_desktop.effects.base import FACES, Effect, EffectInfo, FaceInfo, Made, Scene, source_hash
from tryon_desktop.paths import MODELS_DIR

log = logging.getLogger(__name__)

DEFAULT_LIPSTICK_MANIFEST = MODELS_DIR / "lipstick_generator.json"


class LipstickBackend(Protocol):
    """Makes up one face's lips. `prepare` measures the region, `generate` makes it up.

    generate returns (region_bgr_uint8_or_float, alpha) of the box's size; the engine blends it.
    """

    name: str  # "gan" or "reference"
    provider: str  # where it runs, e.g. "CPU" or "CUDA"

    def prepare(self, frame: np.ndarray, landmarks: np.ndarray, box: Box, mask: np.ndarray,
                light: Light | None = None): ...

    def generate(self, prepared, shade: Shade) -> tuple[np.ndarray, np.ndarray] | None: ...


class ReferenceLipstick:
    """The reference renderer (render/lipstick.py) behind the backend interface."""

    name = "reference"
    provider = "CPU (numpy)"

    def prepare(self, frame, landmarks, box, mask, light=None):
        from tryon_desktop.render.lipstick import measure_lips

        if light is None:
            light = scene_light(frame, landmarks) or NEUTRAL
        return measure_lips(frame[box.slices], mask, mouth_width(landmarks), (box.x0, box.y0), light)

    def generate(self, prepared, shade):
        from tryon_desktop.render.lipstick import encode_srgb8, render_lips

        if prepared is None:
            return None
        return encode_srgb8(render_lips(prepared, shade)), prepared.mask


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


@dataclass
class LipItem:
    face: FaceInfo
    prepared: object
    unmix: tuple | None = None  # core.masks.lip_unmix: the rim's lip share and the rim without it


def show_unmixed(region: np.ndarray, alpha: np.ndarray, unmix: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                 opacity: float) -> tuple[np.ndarray, np.ndarray]:
    """Round the lip line, where the mask stops short of the lips' real border: the lipstick covers the
    lip it finds there (alpha raised to the pixel's lip share, times the opacity: a sheer shade lets the
    lips show through), and the rest of the pixel shows with the lips' own colour taken out (core.masks.
    lip_unmix). A pixel half lip, half skin becomes half shade, half skin: no rim of the old lip colour,
    and no skin-coloured outline where the lips were. Returned as one (region, alpha) pair; other pixels
    keep their region and alpha."""
    idx, original, change, share = unmix
    op = min(max(float(opacity), 0.0), 1.0)
    a = np.maximum(np.clip(alpha.ravel()[idx], 0.0, 1.0), op * share)
    keep = a < 1.0
    if not keep.any() and bool(np.all(alpha.ravel()[idx] >= 1.0)):
        return region, alpha  # the lipstick covers all of it already
    out = np.array(region, np.float32, copy=True)
    flat = out.reshape(-1, out.shape[-1])
    sel, a_k = idx[keep], a[keep, None]
    under = original[keep] + op * change[keep]
    flat[sel] = a_k * flat[sel] + (1.0 - a_k) * under
    alpha = np.array(alpha, np.float32, copy=True)
    alpha.ravel()[idx] = 1.0
    return out, alpha


class _Once:
    """A call made at most once, its result kept: f(*args) on the first call, the same object after."""

    def __init__(self, f, *args) -> None:
        self.f, self.args, self.done, self.value = f, args, False, None

    def __call__(self):
        if not self.done:
            self.value, self.done = self.f(*self.args), True
        return self.value


class LipstickEffect(Effect):
    kind = "lipstick"
    needs = frozenset({FACES})

    def __init__(self, model: str | Path | None = "auto", providers: list[str] | None = None) -> None:
        self.backend, self.notice = load_lipstick_backend(model, providers)
        self.lights = LightTracker()
        if self.notice:
            log.warning(self.notice)

    def prepare(self, frame: np.ndarray, scene: Scene, look) -> list[LipItem]:
        items = []
        shade = getattr(look, "lipstick", None)
        early = shade is not None and getattr(self.backend, "starts_early", False)
        for face in scene.faces:
            if face.box.empty:
                continue
            lm, box = face.landmarks, face.box
            roi = frame[box.slices]
            mask = suppress_teeth(lip_mask(lm, box), roi, lm, box)
            if early:
                # The generator starts its network on its helper thread as soon as its input is ready, then
                # reads the light, and the rim is unmixed below, while the network runs (GanLipstick.prepare).
                light = _Once(self._light, frame, lm)
                prepared = self.backend.prepare(frame, lm, box, mask, light, shade=shade)
                light()  # the tracker sees every face on every frame, whether the backend asked or not
            else:
                prepared = self.backend.prepare(frame, lm, box, mask, self._light(frame, lm))
            items.append(LipItem(face, prepared, lip_unmix(mask, roi, lm, box)))
        return items

    def _light(self, frame: np.ndarray, lm: np.ndarray) -> Light:
        return self.lights.update(frame, lm, lm[MOUTH_CORNERS, :2].mean(0), mouth_width(lm))

    def generate(self, item: LipItem, look) -> Made | None:
        made = self.backend.generate(item.prepared, look.lipstick)
        if made is None:
            return None
        region, alpha = made
        if item.unmix is not None:
            region, alpha = show_unmixed(region, alpha, item.unmix, look.lipstick.opacity)
        return Made(region, alpha, item.face.box)

    def reset(self) -> None:
        self.lights.reset()
        reset = getattr(self.backend, "reset", None)
        if reset is not None:
            reset()

    def describe(self) -> EffectInfo:
        b = self.backend
        info = EffectInfo(kind=self.kind, name=getattr(b, "name", "unknown"), provider=str(getattr(b, "provider", "")))
        manifest = getattr(b, "manifest", None)
        if manifest is not None:
            info.version = str(getattr(manifest, "version", "") or "")
            info.sha256 = str(getattr(manifest, "sha256", "") or "")
        elif info.name == "reference":
            from tryon_desktop import __version__
            from tryon_desktop.render import lipstick as ref

            info.version = f"reference-renderer {__version__}"
            info.sha256 = source_hash(ref)
        return info
