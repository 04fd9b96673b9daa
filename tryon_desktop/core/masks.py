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
    p0, p2, p3 = np.roll(p1, 1, 0), np.roll(p1, -1, 0), np.roll(p1, -2, 0)
    m1 = 0.5 * (1.0 - tension) * (p2 - p0)
    m2 = 0.5 * (1.0 - tension) * (p3 - p1)
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]
    h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
    out = h00 * p1[:, None] + h10 * m1[:, None] + h01 * p2[:, None] + h11 * m2[:, None]
    return out.reshape(-1, 2)


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
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    mouth = np.zeros((box.height, box.width), np.uint8)
    _fill(mouth, smooth_contour(landmarks[list(LIPS_INNER), :2] - offset), 255)
    r = seam_width(landmarks)
    k = 2 * int(np.ceil(r)) + 1
    # A morphological opening: slivers thinner than twice the seam width (closed lips) vanish, while an
    # open mouth keeps its full extent, so no tooth is painted.
    return cv2.morphologyEx(mouth, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))


def lip_mask(landmarks: np.ndarray, box: Box, feather: float = 0.025) -> np.ndarray:
    """Soft lip mask (float32 in [0, 1], the box's size) for a face's landmarks in frame pixels.

    Both lip contours are splined. `feather` is the blur sigma as a fraction of the mouth's width. The
    mouth opening (see `seam_width`: none on closed lips) is cut out after feathering too, so no colour
    bleeds onto teeth or tongue.
    """
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    outer = smooth_contour(landmarks[list(LIPS_OUTER), :2] - offset)
    hard = np.zeros((box.height, box.width), np.uint8)
    sigma = max(0.6, feather * mouth_width(landmarks))
    _fill(hard, outer, 255)
    mouth = _opening(landmarks, box)
    hard = cv2.subtract(hard, mouth)
    soft = hard.astype(np.float32) / 255.0
    # A feather of one side only: the skin beyond the lip line gets the full soft tail, while inside the
    # line the edge is three times sharper, so the lips are covered out to their border and no rim of
    # their own colour shows round a light shade over dark lips.
    outside = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma, sigmaY=sigma)
    inside = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma / 3.0, sigmaY=sigma / 3.0)
    soft = np.where(hard > 127, np.maximum(inside, outside), outside)
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
