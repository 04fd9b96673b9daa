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


def lip_mask(landmarks: np.ndarray, box: Box, feather: float = 0.025) -> np.ndarray:
    """Soft lip mask (float32 in [0, 1], the box's size) for a face's landmarks in frame pixels.

    `feather` is the blur sigma as a fraction of the mouth's width. The inner mouth opening is cut
    out after feathering too, so no colour bleeds onto teeth or tongue.
    """
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    outer = landmarks[list(LIPS_OUTER), :2] - offset
    inner = landmarks[list(LIPS_INNER), :2] - offset
    hard = np.zeros((box.height, box.width), np.uint8)
    _fill(hard, outer, 255)
    mouth = np.zeros_like(hard)
    _fill(mouth, inner, 255)
    hard = cv2.subtract(hard, mouth)
    soft = hard.astype(np.float32) / 255.0
    sigma = max(0.6, feather * mouth_width(landmarks))
    soft = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma, sigmaY=sigma)
    # Feathering is symmetric; inside the mouth opening it must be zero, whatever the blur spilled there.
    # The opening's anti-aliased rim attenuates; its inside (as inner_mouth_mask defines it) is exactly 0.
    soft *= 1.0 - mouth.astype(np.float32) / 255.0
    soft[mouth > 127] = 0.0
    return soft


def inner_mouth_mask(landmarks: np.ndarray, box: Box) -> np.ndarray:
    """Hard mask (bool) of the open mouth: teeth, tongue, the dark gap between the lips."""
    mouth = np.zeros((box.height, box.width), np.uint8)
    _fill(mouth, landmarks[list(LIPS_INNER), :2] - np.array([box.x0, box.y0]), 255)
    return mouth > 127


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation of mask > 0 by a disc of `radius` pixels."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate((mask > 0).astype(np.uint8), k) > 0


def suppress_teeth(mask: np.ndarray, roi_bgr: np.ndarray, landmarks: np.ndarray, box: Box,
                   band: float = 0.05) -> np.ndarray:
    """Zero the mask on teeth-like pixels next to the mouth opening.

    The inner lip contour from the mesh can sit a pixel or two off on real faces, so a sliver of tooth
    may fall inside the lip mask. Near the opening (within `band` x mouth width), pixels much lighter
    and much less saturated than the lips themselves are taken for teeth and left alone.
    """
    if mouth_opening(landmarks) < 0.03:
        return mask
    mouth = inner_mouth_mask(landmarks, box).astype(np.uint8)
    r = max(1, int(round(band * mouth_width(landmarks))))
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
    teeth = near & (L > L_lips + 12.0) & (chroma < 0.6 * c_lips)
    if not teeth.any():
        return mask
    # Grow by a pixel so the blend's soft edge does not tint the tooth's rim.
    teeth = cv2.dilate(teeth.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    out = mask.copy()
    out[teeth & near] = 0.0
    return out
