"""Region masks from the 478-point MediaPipe face mesh.

The lip mask is the outer lip ring minus the inner mouth opening, so teeth and tongue are never
coloured, with a soft edge whose width follows the mouth's size.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon_desktop.core.geometry import Box

# Closed contours of the face mesh, in drawing order.
LIPS_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
LIPS_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
MOUTH_CORNERS = (61, 291)
# The face mesh's outline, in order around the face (forehead, right cheek, chin, left cheek).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
             176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
UPPER_LIP_TOP, LOWER_LIP_BOTTOM = 0, 17
INNER_UPPER, INNER_LOWER = 13, 14

_SUB = 4  # fixed-point bits for sub-pixel polygon filling
_SCALE = 1 << _SUB


def mouth_width(landmarks: np.ndarray) -> float:
    a, b = landmarks[MOUTH_CORNERS[0], :2], landmarks[MOUTH_CORNERS[1], :2]
    return float(np.hypot(*(a - b)))


def mouth_opening(landmarks: np.ndarray) -> float:
    """Gap between the inner lips as a fraction of the mouth's width (0 closed, ~0.3 wide open)."""
    gap = np.hypot(*(landmarks[INNER_UPPER, :2] - landmarks[INNER_LOWER, :2]))
    return float(gap / max(mouth_width(landmarks), 1e-6))


def lip_box(landmarks: np.ndarray, shape: tuple[int, ...], margin_frac: float = 0.12) -> Box:
    pts = landmarks[list(LIPS_OUTER), :2]
    return Box.around(pts, margin=max(3.0, margin_frac * mouth_width(landmarks)), shape=shape)


def _fill(mask: np.ndarray, pts: np.ndarray, value: int) -> None:
    poly = np.round(pts * _SCALE).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(mask, [poly], value, lineType=cv2.LINE_AA, shift=_SUB)


def smooth_contour(pts: np.ndarray, per_segment: int = 4, tension: float = 0.35) -> np.ndarray:
    """A closed cardinal spline through the mesh's contour points (n, 2) -> (n * per_segment, 2).

    The face mesh gives 20 points per lip contour; joined by straight lines, the seam between closed
    lips and the lip line are polygons where real lips curve. `tension` > 0 shortens the tangents, so
    the curve does not overshoot the sharp mouth corners.
    """
    p1 = np.asarray(pts, np.float64)
    # The spline is linear in the points: one (n * per_segment, n) matrix, made once per shape.
    return _spline_matrix(len(p1), per_segment, float(tension)) @ p1


_SPLINES: dict[tuple[int, int, float], np.ndarray] = {}


def _spline_matrix(n: int, per_segment: int, tension: float) -> np.ndarray:
    key = (n, per_segment, tension)
    W = _SPLINES.get(key)
    if W is None:
        W = _smooth_contour_reference(np.eye(n), per_segment, tension)
        W.flags.writeable = False
        _SPLINES[key] = W
    return W


def _smooth_contour_reference(p1: np.ndarray, per_segment: int, tension: float) -> np.ndarray:
    """smooth_contour written out (columns of p1 are independent curves): what the matrix is made from."""
    p0, p2, p3 = np.roll(p1, 1, 0), np.roll(p1, -1, 0), np.roll(p1, -2, 0)
    m1 = 0.5 * (1.0 - tension) * (p2 - p0)
    m2 = 0.5 * (1.0 - tension) * (p3 - p1)
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]
    h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
    out = h00 * p1[:, None] + h10 * m1[:, None] + h01 * p2[:, None] + h11 * m2[:, None]
    return out.reshape(-1, p1.shape[1])


def seam_width(landmarks: np.ndarray) -> float:
    """Half the narrowest mouth opening that is cut out of the lip mask, in pixels.

    Closed lips meet along a crease, not a gap: the parts of the inner contour thinner than twice this
    vanish, so the crease is painted (its own shading keeps it dark, as with real lipstick), while an
    open mouth is cut out whole.
    """
    return max(1.5, 0.025 * mouth_width(landmarks))


def _opening(landmarks: np.ndarray, box: Box) -> np.ndarray:
    """uint8 (0..255, anti-aliased) mask of the mouth opening: the splined inner contour without the parts
    narrower than twice the seam width."""
    inner = landmarks[_INNER_IDX, :2]
    r = seam_width(landmarks)
    # lip_mask and suppress_teeth both want it for the same face and frame: the last one is kept
    key = (inner.tobytes(), r, box.x0, box.y0, box.x1, box.y1)
    hit = _LAST_OPENING[0]
    if hit is not None and hit[0] == key:
        return hit[1]
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    mouth = np.zeros((box.height, box.width), np.uint8)
    _fill(mouth, smooth_contour(inner - offset), 255)
    k = 2 * int(np.ceil(r)) + 1
    # A morphological opening: slivers thinner than twice the seam width (closed lips) vanish, while an
    # open mouth keeps its full extent, so no tooth is painted.
    out = cv2.morphologyEx(mouth, cv2.MORPH_OPEN, _ellipse(k))
    out.flags.writeable = False
    _LAST_OPENING[0] = (key, out)
    return out


_LAST_OPENING: list = [None]  # [(key, opening)], replaced whole (thread-safe)
_INNER_IDX = np.array(LIPS_INNER)
_OUTER_IDX = np.array(LIPS_OUTER)
_ELLIPSES: dict[int, np.ndarray] = {}


def _ellipse(k: int) -> np.ndarray:
    e = _ELLIPSES.get(k)
    if e is None:
        e = _ELLIPSES[k] = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    return e


def lip_mask(landmarks: np.ndarray, box: Box, feather: float = 0.025) -> np.ndarray:
    """Soft lip mask (float32 in [0, 1], the box's size) for a face's landmarks in frame pixels.

    Both lip contours are splined. `feather` is the blur sigma as a fraction of the mouth's width. The
    mouth opening (see `seam_width`: none on closed lips) is cut out after feathering too, so no colour
    bleeds onto teeth or tongue.
    """
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    outer = smooth_contour(landmarks[_OUTER_IDX, :2] - offset)
    hard = np.zeros((box.height, box.width), np.uint8)
    sigma = max(0.6, feather * mouth_width(landmarks))
    _fill(hard, outer, 255)
    mouth = _opening(landmarks, box)
    opened = cv2.countNonZero(mouth) > 0
    if opened:
        hard = cv2.subtract(hard, mouth)
    soft = hard.astype(np.float32) / 255.0
    # A feather of one side only: the skin beyond the lip line gets the full soft tail, while inside the
    # line the edge is three times sharper, so the lips are covered out to their border and no rim of
    # their own colour shows round a light shade over dark lips.
    outside = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma, sigmaY=sigma)
    inside = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma / 3.0, sigmaY=sigma / 3.0)
    soft = outside
    np.maximum(inside, outside, out=soft, where=hard > 127)
    if opened:
        # Inside the mouth opening it must be zero, whatever the blur spilled there.
        # The opening's anti-aliased rim attenuates; its inside (as inner_mouth_mask defines it) is exactly 0.
        soft *= 1.0 - mouth.astype(np.float32) / 255.0
        soft[mouth > 127] = 0.0
    return soft


def inner_mouth_mask(landmarks: np.ndarray, box: Box) -> np.ndarray:
    """Hard mask (bool) of the open mouth: teeth, tongue, the dark gap between the lips (empty when the
    lips are closed)."""
    return _opening(landmarks, box) > 127


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation of mask > 0 by a disc of `radius` pixels."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate((mask > 0).astype(np.uint8), k) > 0


def suppress_teeth(mask: np.ndarray, roi_bgr: np.ndarray, landmarks: np.ndarray, box: Box) -> np.ndarray:
    """Fade the mask out on teeth-like pixels at the mouth opening.

    The inner lip contour from the mesh can sit a pixel or two off on real faces, and the opening is
    pulled in by the seam width, so a sliver of tooth may fall inside the lip mask. Only there (the
    opening grown by the seam width: never the lip body, where a pale gloss highlight must
    stay painted), pixels much lighter and much less saturated than the lips are taken for teeth, with
    a soft edge.
    """
    if mouth_opening(landmarks) < 0.03:
        return mask
    mouth = _opening(landmarks, box)
    r = int(np.ceil(seam_width(landmarks)))
    near = dilate(mouth, r) & (mask > 0)
    if not near.any():
        return mask
    lab = cv2.cvtColor(roi_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    L = lab[..., 0] * (100.0 / 255.0)
    chroma = np.hypot(lab[..., 1] - 128.0, lab[..., 2] - 128.0)
    lips = mask > 0.8
    if lips.sum() < 12:
        return mask
    L_lips = float(np.median(L[lips]))
    c_lips = float(np.median(chroma[lips]))
    # How tooth-like, 0..1: ramps instead of thresholds, so the guard has no hard, blocky edge.
    lighter = np.clip((L - (L_lips + 8.0)) / 8.0, 0.0, 1.0)
    greyer = np.clip((0.75 * c_lips - chroma) / max(0.3 * c_lips, 1.0), 0.0, 1.0)
    teeth = (lighter * greyer).astype(np.float32)
    teeth[~near] = 0.0
    if not (teeth > 0).any():
        return mask
    teeth = cv2.GaussianBlur(teeth, (0, 0), 0.7)
    return (mask * (1.0 - np.clip(teeth, 0.0, 1.0))).astype(np.float32)


def lip_unmix(mask: np.ndarray, roi_bgr: np.ndarray, landmarks: np.ndarray, box: Box, reach: float = 0.035,
              min_contrast: float = 8.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The lips' own colour taken out of the pixels round the lip line, for the blend to show instead.

    On the lip border a pixel is a mix of lip and skin, and the face mesh's lip line often sits a pixel or
    three inside the real border. Wherever the mask is below 1 there, the blend shows part of the
    original pixel, so a band of the lips' own colour stays: a red rim round a nude, a dark line round a
    light shade. Within `reach` (x the mouth's width) of the lip line, outside it and in its feathered
    edge (never inside the inner lip line: teeth stay untouched), each pixel's share of lip colour is read
    from its place on the line between the skin next to it (a blur of the skin just past the band: the
    shadow under the lower lip, the philtrum's light) and the lips' colour (median of their core), in Lab;
    pixels far off that line (teeth, the dark mouth, shadow) count as no lip. That share of (lips - skin)
    is subtracted, so the pixel becomes the skin it would be without the lip colour, and the share itself
    is returned: the lipstick covers that much of the pixel (`effects.lipstick.show_unmixed`), so the
    lips keep their real border instead of shrinking to the mesh's line with a skin-coloured outline.

    Returns (idx, original, change, share): the flat box indices of the pixels where lip colour was found,
    their BGR values (float32 (n, 3)), the change that takes it out (float32 (n, 3), BGR levels) and the
    lip share (float32 (n,) in [0, 1]), or None where the lips and the skin round them are within
    `min_contrast` of each other (no rim can show, and a colour test would only add noise) or the lips are
    too small to measure.
    """
    mw = mouth_width(landmarks)
    r = max(1.0, reach * mw)
    hard = (mask > 0.5).astype(np.uint8)
    if cv2.countNonZero(hard) < 30 or min(mask.shape) < 4 * r:
        return None
    dist = cv2.distanceTransform(1 - hard, cv2.DIST_L2, 3)  # 0 on the lips and their feathered edge
    core = np.flatnonzero(cv2.distanceTransform(hard, cv2.DIST_L2, 3) > 0.5 * r)
    ring = np.flatnonzero((dist > 2.0 * r) & (dist <= 3.0 * r))
    if len(core) < 20 or len(ring) < 20:
        return None
    lab8 = cv2.cvtColor(roi_bgr, cv2.COLOR_BGR2LAB).reshape(-1, 3)
    # np.median(lab[core], axis=0) with lab in float32, worked out on the 8-bit values (the same numbers)
    lip_c = _channel_median(np.take(lab8, core, axis=0))
    skin_c = _channel_median(np.take(lab8, ring, axis=0))
    w_l = np.array([0.5, 1.0, 1.0], np.float32)  # lightness counts half: shading changes it on both
    axis = (lip_c - skin_c) * w_l
    contrast = float(np.sqrt(axis @ axis)) * 100.0 / 255.0  # 8-bit Lab steps -> about CIELAB units
    if contrast < min_contrast:
        return None
    lab = lab8.reshape(roi_bgr.shape).astype(np.float32)  # only now: most faces stop at the contrast test
    band = (dist <= r) & (mask < 0.999)
    # never inside the inner lip line: teeth next to the lips are a mix of tooth and lip too, and they
    # must stay exactly as they are
    inner = np.zeros(mask.shape, np.uint8)
    _fill(inner, smooth_contour(landmarks[_INNER_IDX, :2] - np.array([box.x0, box.y0], np.float64)), 255)
    band &= cv2.dilate(inner, _ellipse(3)) == 0
    if not band.any():
        return None
    # the skin next to each band pixel: a normalised blur of the skin just past the band, so the unmixed
    # pixel is the skin beside it (a shadow under the lower lip stays a shadow), not the ring's median
    near = ((dist > 1.5 * r) & (dist <= 3.0 * r)).astype(np.float32)
    sigma = max(1.0, 1.5 * r)
    den = cv2.GaussianBlur(near, (0, 0), sigma)
    num = cv2.GaussianBlur(lab * near[..., None], (0, 0), sigma)
    skin_px = num / np.maximum(den, 1e-3)[..., None]
    skin_px[den <= 0.02] = skin_c
    px = lab[band]
    sk = skin_px[band]
    ax = (lip_c[None, :] - sk) * w_l  # each pixel's own skin-to-lips line
    n2 = np.maximum(np.einsum("nc,nc->n", ax, ax), 1e-3)
    rel = (px - sk) * w_l
    amount = np.einsum("nc,nc->n", rel, ax) / n2
    off = np.linalg.norm(rel - amount[:, None] * ax, axis=1)
    share = np.clip(amount, 0.0, 1.0) * np.clip(1.5 - off / (0.5 * np.sqrt(n2)), 0.0, 1.0)
    share *= np.clip((r - dist[band]) / max(0.25 * r, 0.5), 0.0, 1.0)  # fading out at the reach
    weight = np.zeros(mask.shape, np.float32)
    weight[band] = share
    weight = cv2.GaussianBlur(weight, (0, 0), 0.7)
    idx = np.flatnonzero(weight > 0.02)
    if not len(idx):
        return None
    before = lab.reshape(-1, 3)[idx]
    skin_i = skin_px.reshape(-1, 3)[idx]
    share_i = np.minimum(weight.ravel()[idx], 1.0)
    px_lab = before - share_i[:, None] * (lip_c[None, :] - skin_i)
    # never lighter than the skin beside it (a shadowed lip line would overshoot into a pale outline)
    px_lab[:, 0] = np.minimum(px_lab[:, 0], np.maximum(before[:, 0], skin_i[:, 0]))
    unmixed = cv2.cvtColor(np.clip(px_lab + 0.5, 0, 255).astype(np.uint8)[None], cv2.COLOR_LAB2BGR)[0]
    original = roi_bgr.reshape(-1, 3)[idx].astype(np.float32)
    return idx, original, unmixed.astype(np.float32) - original, share_i.astype(np.float32)


def _channel_median(px: np.ndarray) -> np.ndarray:
    """np.median(px.astype(np.float32), axis=0) of (k, 3) uint8 rows, through one partition of (3, k): the
    middle value, or the mean of the two middle ones (exact in float32 for 8-bit values)."""
    x = np.ascontiguousarray(px.T)
    k = x.shape[1]
    h = k // 2
    if k % 2:
        return np.partition(x, h, axis=1)[:, h].astype(np.float32)
    p = np.partition(x, (h - 1, h), axis=1)
    return (p[:, h - 1].astype(np.float32) + p[:, h]) / np.float32(2)
