"""The outfit effect: the worn upper-body garment takes the chosen colour or fabric pattern.

It needs the garment mask (the project's own segmenter, see vision/garment_mask.py) and the faces (their
ovals are cut out of the mask, so a face is never painted). One item per frame: the garment's box, its
soft mask and the pattern's repeat in pixels (the swatch's scale times the shoulder width, measured on the
mask). The backend today is the reference renderer (render/outfit.py); the outfit GAN joins it later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from tryon_desktop.core.geometry import Box
from tryon_desktop.effects.base import FACES, GARMENT, Effect, EffectInfo, Made, Scene, source_hash
from tryon_desktop.errors import LookError

log = logging.getLogger(__name__)

EDGE_GAIN = 3.0  # the blend's alpha is the probability's middle third stretched to 0..1 (see prepare)
MIN_GARMENT_FRACTION = 0.01  # a garment under 1% of the frame is "no garment found": the frame passes through
NO_GARMENT = "no garment found"


@dataclass
class OutfitItem:
    box: Box
    alpha: np.ndarray  # (box h, box w) float32 garment mask
    region: np.ndarray  # (box h, box w, 3) uint8, the frame's pixels
    shoulder_px: float


def shoulder_width(mask: np.ndarray) -> float:
    """The garment's width across the shoulders: the 90th percentile of its row widths (pixels)."""
    rows = (mask > 0.5).sum(axis=1)
    rows = rows[rows > 0]
    return float(np.percentile(rows, 90)) if rows.size else 0.0


class OutfitEffect(Effect):
    kind = "outfit"
    needs = frozenset({FACES, GARMENT})

    def __init__(self) -> None:
        self.name = "reference"
        self.provider = "CPU (numpy)"
        self.status: str | None = None  # the last frame's per-frame message (NO_GARMENT), for the HUD

    def prepare(self, frame: np.ndarray, scene: Scene, look) -> list[OutfitItem]:
        mask = scene.garment_full()
        self.status = None
        if mask is None:
            self.status = scene.garment_notice or NO_GARMENT
            return []
        core = mask > 0.5
        if core.sum() < MIN_GARMENT_FRACTION * mask.size:
            self.status = NO_GARMENT
            return []
        ys, xs = np.nonzero(mask[::2, ::2] > 0.02)
        h, w = mask.shape
        box = Box(max(0, 2 * int(xs.min()) - 2), max(0, 2 * int(ys.min()) - 2),
                  min(w, 2 * int(xs.max()) + 3), min(h, 2 * int(ys.max()) + 3))
        # The mask is upsampled ~10x from the network's output, so its 0..1 ramp is ~10 px wide and reaches
        # past the garment's edge: blending with it as is paints a coloured halo on the background. The
        # middle third of the ramp, stretched to 0..1, keeps a soft (2-3 px) edge centred on the 0.5 contour.
        alpha = np.clip((mask[box.slices] - 0.5) * EDGE_GAIN + 0.5, 0.0, 1.0)
        return [OutfitItem(box, alpha, frame[box.slices], shoulder_width(alpha))]

    def generate(self, item: OutfitItem, look) -> Made | None:
        from tryon_desktop.render.outfit import render_garment, rgb8_to_linear_bgr
        from tryon_desktop.render.patterns import albedo_map

        sw = look.outfit
        if sw.is_pattern:
            period = max(4.0, sw.scale * max(item.shoulder_px, 32.0))
            try:
                albedo = albedo_map(sw.pattern, item.box.height, item.box.width, period, sw.rotation, sw.rgb)
            except LookError as exc:
                self.status = str(exc)
                return None
        else:
            albedo = rgb8_to_linear_bgr(sw.rgb)
        return Made(render_garment(item.region, item.alpha, albedo, sw.strength), item.alpha, item.box)

    def describe(self) -> EffectInfo:
        from tryon_desktop import __version__
        from tryon_desktop.render import outfit as ref

        return EffectInfo(kind=self.kind, name=self.name, provider=self.provider,
                          version=f"reference-renderer {__version__}", sha256=source_hash(ref))
