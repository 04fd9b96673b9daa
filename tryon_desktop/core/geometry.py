"""Similarity alignment between landmarks and a canonical patch, and back.

Affine matrices are OpenCV-style 2x3 float64 arrays mapping (x, y, 1) of one image to another.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def similarity_from_points(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) taking src points onto dst (Umeyama)."""
    src = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    if len(src) != len(dst) or len(src) < 2:
        raise ValueError("need at least two matching point pairs")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    var_s = (s ** 2).sum() / len(src)
    if var_s < 1e-12:
        raise ValueError("source points are degenerate")
    cov = d.T @ s / len(src)
    U, S, Vt = np.linalg.svd(cov)
    E = np.eye(2)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        E[1, 1] = -1.0
    R = U @ E @ Vt
    scale = np.trace(np.diag(S) @ E) / var_s
    t = mu_d - scale * R @ mu_s
    return np.hstack([scale * R, t[:, None]])


def invert_affine(M: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(np.asarray(M, dtype=np.float64))


def apply_affine(M: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    return pts @ M[:, :2].T + M[:, 2]


def affine_scale(M: np.ndarray) -> float:
    """Uniform scale factor of a similarity matrix."""
    return float(np.sqrt(abs(np.linalg.det(M[:, :2]))))


@dataclass(frozen=True)
class Box:
    """Integer pixel box [x0, x1) x [y0, y1)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @classmethod
    def around(cls, pts: np.ndarray, margin: float, shape: tuple[int, ...]) -> Box:
        """Bounding box of points grown by `margin` pixels, clipped to an image of `shape`."""
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
        h, w = shape[:2]
        x0 = int(np.floor(pts[:, 0].min() - margin))
        y0 = int(np.floor(pts[:, 1].min() - margin))
        x1 = int(np.ceil(pts[:, 0].max() + margin)) + 1
        y1 = int(np.ceil(pts[:, 1].max() + margin)) + 1
        return cls(max(0, x0), max(0, y0), min(w, x1), min(h, y1))


def canonical_lip_points(patch_w: int, patch_h: int) -> np.ndarray:
    """Where the mouth corners and the lips' vertical midline land in the canonical lip patch.

    The corners sit at 20% and 80% of the width on the horizontal centre line, so the patch holds
    the lips with a margin of half a mouth-width around them on every side.
    """
    return np.array([[0.2 * patch_w, 0.5 * patch_h], [0.8 * patch_w, 0.5 * patch_h]])


def lip_alignment(corner_left: np.ndarray, corner_right: np.ndarray, patch_w: int, patch_h: int) -> np.ndarray:
    """Similarity matrix taking frame pixels to the canonical lip patch (mouth corners -> fixed spots).

    Rotation follows the mouth's corner-to-corner axis, so a tilted head gives an upright patch.
    """
    src = np.stack([np.asarray(corner_left, np.float64), np.asarray(corner_right, np.float64)])
    return similarity_from_points(src, canonical_lip_points(patch_w, patch_h))


def warp_to_patch(image: np.ndarray, M: np.ndarray, patch_w: int, patch_h: int,
                  interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    return cv2.warpAffine(image, M, (patch_w, patch_h), flags=interpolation, borderMode=cv2.BORDER_REFLECT)


def warp_patch_to_box(patch: np.ndarray, M: np.ndarray, box: Box,
                      interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Warp a canonical patch back into the frame, only over `box` (the region's bounding box).

    M maps frame -> patch; the result has the box's size.
    """
    shift = np.array([[1.0, 0.0, box.x0], [0.0, 1.0, box.y0]])
    # box pixel (u, v) -> frame (u + x0, v + y0) -> patch: M @ shift
    M_box = M[:, :2] @ shift[:, :2]
    M_box = np.hstack([M_box, (M[:, :2] @ shift[:, 2] + M[:, 2])[:, None]])
    return cv2.warpAffine(patch, M_box, (box.width, box.height),
                          flags=interpolation | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
