"""Bringing a low-resolution mask up to frame size cheaply (bilinear; OpenCV's resize is SIMD)."""

from __future__ import annotations

import cv2
import numpy as np


def upsample_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    h, w = int(shape[0]), int(shape[1])
    if mask.shape[:2] == (h, w):
        return mask.astype(np.float32, copy=False)
    return cv2.resize(mask.astype(np.float32, copy=False), (w, h), interpolation=cv2.INTER_LINEAR)
