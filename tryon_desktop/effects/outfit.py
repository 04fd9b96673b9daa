"""The outfit effect: the worn upper-body garment takes the chosen colour or fabric pattern.

It needs the garment mask (the project's own segmenter, see vision/garment_mask.py) and the faces (their
ovals are cut out of the mask, so a face is never painted). One item per frame: the garment's box, its
soft mask and the pattern's repeat in pixels (the swatch's scale times the shoulder width, measured on the
mask); a pattern is pinned to the garment's centre, both smoothed over frames (`PatternAnchor`). The mask's
edge is moved onto the garment's colour edge in the frame (render/edge_matte.py), and the rim of the old
colour still left along it is painted where the frame's lightness says the garment reaches
(render/rim_fill.py). The backend is the shipped outfit generator (vision/outfit_generator.py) when installed, else the
reference renderer (render/outfit.py) with a notice saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tryon_desktop.core.geometry import Box
from tryon_desktop.effects.base import FACES, GARMENT, Effect, EffectInfo, Made, Scene, face_ovals, source_hash
from tryon_desktop.errors import LookError
from tryon_desktop.paths import MODELS_DIR

log = logging.getLogger(__name__)

EDGE_GAIN = 3.0  # the blend's alpha is the probability's middle third stretched to 0..1 (see prepare)
MIN_GARMENT_FRACTION = 0.01  # a garment under 1% of the frame is "no garment found": the frame passes through
NO_GARMENT = "no garment found"
DEFAULT_OUTFIT_MANIFEST = MODELS_DIR / "outfit_generator.json"


@dataclass
class OutfitItem:
    box: Box
    alpha: np.ndarray  # (box h, box w) float32 garment mask
    region: np.ndarray  # (box h, box w, 3) uint8, the frame's pixels
    shoulder_px: float
    anchor: tuple[float, float] | None = None  # frame pixel the pattern is pinned to (PatternAnchor)
    shade_alpha: np.ndarray | None = None  # the mask the renderer measures the garment on (None: alpha): alpha
    # without the rim fill's raise, so a rim painted in one frame and not the next moves no colour statistic


class PatternAnchor:
    """Where a pattern is pinned on the body, and its scale, steady from frame to frame.

    A pattern drawn from the garment box's corner at a repeat set by each frame's shoulder width jumps
    whenever the mask's edge moves a pixel (on a still body the box and the width wobble with the mask):
    stripes shimmer. The pattern is pinned instead to the garment's centre (the centroid of its mask) and
    scaled by its shoulder width, both smoothed: a change within the mask's own wobble (under about 0.3% of
    the shoulder width for the centre, 1% for the width) is averaged away, a larger one (the person moves)
    is followed at once, so the pattern moves with the body without lagging it. A gap in time (over
    `max_gap_s`, or a step back) starts afresh, as does `reset()`.
    """

    def __init__(self, max_gap_s: float = 0.5) -> None:
        self.max_gap_s = float(max_gap_s)
        self.reset()

    def reset(self) -> None:
        self.centre: tuple[float, float] | None = None
        self.width: float | None = None
        self.t: float | None = None

    def __call__(self, centre: tuple[float, float], width: float, t: float) -> tuple[tuple[float, float], float]:
        fresh = (self.centre is None or self.width is None or self.t is None
                 or not (0.0 <= t - self.t <= self.max_gap_s))
        self.t = float(t)
        if fresh:
            self.centre, self.width = (float(centre[0]), float(centre[1])), float(width)
            return self.centre, self.width
        scale = max(self.width, 32.0)
        d = float(np.hypot(centre[0] - self.centre[0], centre[1] - self.centre[1])) / scale
        a = min(max((d - 0.003) / 0.01, 0.15), 1.0)
        self.centre = (self.centre[0] + a * (centre[0] - self.centre[0]),
                       self.centre[1] + a * (centre[1] - self.centre[1]))
        dw = abs(width - self.width) / max(self.width, 1.0)
        b = min(max((dw - 0.01) / 0.03, 0.1), 1.0)
        self.width += b * (width - self.width)
        return self.centre, self.width


def shoulder_width(mask: np.ndarray) -> float:
    """The garment's width across the shoulders: the 90th percentile of its row widths (pixels)."""
    import cv2

    # (OpenCV's compare and row sums: a few times cheaper than numpy's on a garment-sized box; the same counts)
    rows = cv2.reduce(cv2.compare(np.ascontiguousarray(mask, np.float32), 0.5, cv2.CMP_GT), 1, cv2.REDUCE_SUM,
                      dtype=cv2.CV_32S).ravel() // 255
    rows = rows[rows > 0]
    return float(np.percentile(rows, 90)) if rows.size else 0.0


class ReferenceOutfit:
    """The reference renderer (render/outfit.py) behind the outfit backend interface."""

    name = "reference"
    provider = "CPU (numpy)"

    def __init__(self) -> None:
        from tryon_desktop.render.outfit import PrintRemover

        self.printer = PrintRemover()  # the print found on a stream's garment, kept between frames
        self._work = None  # a pattern's work arrays, kept between frames

    def render(self, region: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, strength: float) -> np.ndarray:
        from tryon_desktop.render.outfit import chroma_texture, render_garment
        from tryon_desktop.render.patterns import TwoTone, as_albedo

        y8 = self.printer(region, alpha)
        if strength >= 1.0 and (isinstance(albedo, TwoTone) or np.ndim(albedo) == 3):
            # a pattern at full strength: the same per-pixel shading, shoulder and encode by table lookups
            # (the outfit generator's, within one level), not evaluated pixel by pixel
            from tryon_desktop.vision.outfit_generator import _Work, render_pattern

            if self._work is None:
                self._work = _Work()
            made = render_pattern(y8, alpha, albedo, self._work)
        else:
            made = render_garment(region, alpha, as_albedo(albedo), strength, y8=y8)
        # the cloth's and the camera's own fine chroma texture, which recolouring loses, put back
        return chroma_texture(region, made, alpha, strength)

    def reset(self) -> None:
        self.printer.reset()

    def describe(self) -> dict:
        from tryon_desktop import __version__
        from tryon_desktop.render import outfit as ref
        from tryon_desktop.vision import outfit_generator as tables  # a pattern's table lookups (render_pattern)

        return {"version": f"reference-renderer {__version__}", "sha256": source_hash(ref, tables)}


def load_outfit_backend(model: str | Path | None = "auto", providers: list[str] | None = None):
    """(backend, notice): the installed outfit generator if there is one, else the reference renderer plus
    a notice. model: "auto" (the shipped manifest), a manifest path, or None (the reference renderer).
    An explicitly named model that fails to load raises ModelError; "auto" falls back with a notice."""
    if model is None:
        return ReferenceOutfit(), None
    manifest = DEFAULT_OUTFIT_MANIFEST if model == "auto" else Path(model)
    if model == "auto" and not manifest.exists():
        return ReferenceOutfit(), "no outfit generator model installed: using the reference renderer"
    from tryon_desktop.errors import ModelError
    from tryon_desktop.vision.onnx_runtime import ModelManifest

    try:
        ModelManifest.load(manifest).verify()  # hash checked before any generator code runs
        from tryon_desktop.vision.outfit_generator import GanOutfit

        return GanOutfit(manifest, providers=providers), None
    except ModelError as exc:
        if model != "auto":
            raise
        return ReferenceOutfit(), f"outfit generator: {exc}; using the reference renderer"


class OutfitEffect(Effect):
    kind = "outfit"
    needs = frozenset({FACES, GARMENT})

    def __init__(self, model: str | Path | None = "auto", providers: list[str] | None = None,
                 edge_matte: bool = True, video: bool = True) -> None:
        from tryon_desktop.render.hair_matte import HairMatte

        self.backend, self.notice = load_outfit_backend(model, providers)
        self.edge_matte = edge_matte  # the blend's edge moved onto the colour edge (render/edge_matte.py)
        self.hair = HairMatte()  # hair lying on the garment taken out of the blend (render/hair_matte.py)
        self.video = video  # a stream: the hair matte keeps its colour tables for a few frames
        if self.notice:
            log.warning(self.notice)
        self.status: str | None = None  # the last frame's per-frame message (NO_GARMENT), for the HUD
        self.anchor = PatternAnchor()

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def provider(self) -> str:
        return self.backend.provider

    def prepare(self, frame: np.ndarray, scene: Scene, look) -> list[OutfitItem]:
        from tryon_desktop.vision.garment_mask import upsample_to_box

        small = scene.garment
        self.status = None
        if small is None:
            self.status = scene.garment_notice or NO_GARMENT
            return []
        if (small > 0.5).sum() < MIN_GARMENT_FRACTION * small.size:
            self.status = NO_GARMENT
            return []
        # The box comes from the small mask (one cell of margin), and only the box is upsampled: a garment
        # costs its own size, not the frame's.
        ys, xs = np.nonzero(small > 0.3)  # alpha is 0 below p = 1/3 (see below)
        h, w = frame.shape[:2]
        mh, mw = small.shape
        sx, sy = w / mw, h / mh
        top, bottom, left, right = scene.bars  # (nothing is painted in a letterboxed video's black bars)
        box = Box(max(left, int((xs.min() - 1) * sx)), max(top, int((ys.min() - 1) * sy)),
                  min(w - right, int(np.ceil((xs.max() + 2) * sx))), min(h - bottom, int(np.ceil((ys.max() + 2) * sy))))
        if box.width < 2 or box.height < 2:
            self.status = NO_GARMENT
            return []
        prob = upsample_to_box(small, (w, h), (box.x0, box.y0, box.width, box.height))
        # The mask is upsampled ~10x from the network's output, so its 0..1 ramp is ~10 px wide and reaches
        # past the garment's edge: blending with it as is paints a coloured halo on the background. The
        # middle third of the ramp, stretched to 0..1, keeps a soft (2-3 px) edge centred on the 0.5 contour.
        import cv2

        from tryon_desktop.render import rim_fill as rim

        alpha = prob * EDGE_GAIN
        alpha += 0.5 - 0.5 * EDGE_GAIN
        cv2.min(cv2.max(alpha, 0.0, dst=alpha), 1.0, dst=alpha)  # SIMD clip
        region = frame[box.slices]  # (the item's: the generator keeps its luma for this array, see below)
        ovals = face_ovals(scene.faces)
        before_rim = None
        if self.edge_matte or rim.ENABLED:
            # ... and that edge moved onto the frame's own colour edge where the colours say where it is,
            # then what is left of the old garment's rim along it painted (render/rim_fill.py), with the
            # box's luma the generator works out for this region anyway (`GanOutfit.luma` keeps it for it)
            from tryon_desktop.render.edge_matte import edge_matte, quarter
            from tryon_desktop.render.outfit import luma8

            cell = max(sx, sy)
            small4 = quarter(region)
            if self.edge_matte:
                alpha = edge_matte(region, prob, alpha, cell=cell, small=small4)
            if rim.ENABLED:
                before_rim = alpha.copy()
                alpha = rim.rim_fill(region, alpha, cell=cell, small=small4,
                                     luma=getattr(self.backend, "luma", luma8)(region),
                                     faces=[f - np.float32((box.x0, box.y0)) for f in ovals])
        if scene.faces:  # long hair lying on the garment, taken out pixel by pixel
            alpha = self.hair(frame, (box.x0, box.y0, box.x1, box.y1), alpha, ovals, small,
                              video=self.video)
        # the renderer's statistics (the garment's colour and lightness, its network's mask) and the pattern's
        # scale are read without the rim fill's raise: the rim only moves the blend's edge. (The rim fill only
        # raises and the hair matte only lowers: the smaller of the two is the mask without the raise, the hair cut.)
        shade = None if before_rim is None else cv2.min(alpha, before_rim, dst=before_rim)
        width = shoulder_width(alpha if shade is None else shade)
        anchor = None
        outfit = getattr(look, "outfit", None)
        if outfit is not None and outfit.is_pattern:
            m = cv2.moments((small > 0.5).astype(np.uint8), binaryImage=True)
            centre = ((m["m10"] / m["m00"] + 0.5) * sx - 0.5, (m["m01"] / m["m00"] + 0.5) * sy - 0.5)
            anchor, width = self.anchor(centre, width, scene.timestamp)
        return [OutfitItem(box, alpha, region, width, anchor, shade)]

    def generate(self, item: OutfitItem, look) -> Made | None:
        from tryon_desktop.render.outfit import luma8, rgb8_to_linear_bgr
        from tryon_desktop.render.patterns import fold_offsets, pattern_albedo

        sw = look.outfit
        shade = item.alpha if item.shade_alpha is None else item.shade_alpha
        if sw.is_pattern:
            period = max(4.0, sw.scale * max(item.shoulder_px, 32.0))
            ax, ay = item.anchor if item.anchor is not None else (0.0, 0.0)
            # the print follows the cloth: bent along the garment's folds, read from its own (print-free) shading
            printer = getattr(self.backend, "printer", None)
            y8 = getattr(self.backend, "luma", luma8)(item.region)  # (the generator measures it once a frame)
            if printer is not None:
                y8 = printer(item.region, shade, y8)
            try:
                # (a two-tone pattern as its share of ink: `TwoTone`, a third of the work)
                albedo = pattern_albedo(sw.pattern, item.box.height, item.box.width, period, sw.rotation, sw.rgb,
                                        origin=(item.box.x0 - ax, item.box.y0 - ay),
                                        offsets=fold_offsets(y8, shade, period, item.shoulder_px, full=False))
            except LookError as exc:
                self.status = str(exc)
                return None
        else:
            albedo = rgb8_to_linear_bgr(sw.rgb)
        return Made(self.backend.render(item.region, shade, albedo, sw.strength), item.alpha, item.box)

    def reset(self) -> None:
        self.backend.reset()
        self.anchor.reset()
        self.hair.reset()

    def describe(self) -> EffectInfo:
        d = self.backend.describe()
        return EffectInfo(kind=self.kind, name=self.name, provider=self.provider, version=d["version"],
                          sha256=d["sha256"])
