"""The effect interface: lipstick, outfit and whatever comes next are peers behind it.

Per frame the engine builds a `Scene` (only the perception an active effect needs), then runs each active
effect in a fixed order: `prepare` (find and measure its regions), `generate` (make each region up), and
blends what `generate` returns. Plain Python + numpy: no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tryon_desktop.core.geometry import Box
from tryon_desktop.core.masks import FACE_OVAL

# Kinds of perception an effect can ask for.
FACES = "faces"  # face landmarks (MediaPipe face mesh), smoothed over time
GARMENT = "garment"  # the upper-body garment mask (the project's own segmenter)


@dataclass
class FaceInfo:
    landmarks: np.ndarray  # (478, 2) float32 frame pixels, smoothed
    box: Box  # lips' bounding box (what the lipstick blend touches)
    mouth_open: float  # inner-lip gap / mouth width


def face_ovals(faces: list[FaceInfo]) -> list[np.ndarray]:
    """Each face's oval outline (FACE_OVAL landmarks), frame pixels."""
    return [f.landmarks[list(FACE_OVAL)] for f in faces]


@dataclass
class Scene:
    """What the engine perceived in one frame. `garment` is None when no active effect asked for it."""

    frame: np.ndarray  # the input frame, BGR uint8 (never modified)
    timestamp: float
    faces: list[FaceInfo]
    garment: np.ndarray | None = None  # float32 (h, w) garment probability, at the segmenter's resolution
    garment_notice: str | None = None  # why there is no garment mask (no model, no garment found)
    bars: tuple[int, int, int, int] = (0, 0, 0, 0)  # the frame's bars (garment_mask.letterbox): top, bottom, left, right
    _garment_full: np.ndarray | None = field(default=None, repr=False)

    def garment_full(self) -> np.ndarray | None:
        """The garment probability at the frame's size (upsampled once per frame, on demand)."""
        if self.garment is None:
            return None
        if self._garment_full is None:
            from tryon_desktop.vision.garment_mask import upsample

            self._garment_full = upsample(self.garment, self.frame.shape[1::-1])
        return self._garment_full


@dataclass
class Made:
    """One made-up region: `region` (box-sized BGR, uint8 or float 0-255) blended with `alpha` into `box`."""

    region: np.ndarray
    alpha: np.ndarray
    box: Box


@dataclass
class EffectInfo:
    """What made an effect: shown in the HUD and written into snapshots and recordings."""

    kind: str
    name: str  # backend: "gan", "reference", ...
    version: str = ""
    sha256: str = ""
    provider: str = ""

    def to_dict(self) -> dict:
        return {"renderer": self.name, "version": self.version, "sha256": self.sha256, "provider": self.provider}


class Effect:
    """One kind of make-up or garment change. Subclasses set `kind` and `needs` and fill in the methods.

    prepare(frame, scene, look) -> list of items (one per face, per person, ...): measure what to change
    generate(item, look) -> Made | None: the made-up region, or None to leave it alone
    reset(): forget temporal state (the source changed)
    describe() -> EffectInfo
    """

    kind: str = ""
    needs: frozenset[str] = frozenset()
    notice: str | None = None  # a lasting message for the user (e.g. "no model installed: ...")

    def active(self, look) -> bool:
        return getattr(look, self.kind, None) is not None

    def prepare(self, frame: np.ndarray, scene: Scene, look) -> list:
        raise NotImplementedError

    def generate(self, item, look) -> Made | None:
        raise NotImplementedError

    def reset(self) -> None:
        pass

    def describe(self) -> EffectInfo:
        raise NotImplementedError

    def close(self) -> None:
        pass


def source_hash(*modules) -> str:
    """sha256 of the modules' sources (one after the other): identifies a renderer that has no model file."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    try:
        for module in modules:
            h.update(Path(module.__file__).read_bytes())
    except (OSError, TypeError, AttributeError):
        return ""
    return h.hexdigest()
