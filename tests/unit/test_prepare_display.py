"""The preview's frame (pipeline/worker.py: prepare_display): fitted into the widget with its aspect kept,
mirrored when asked, BGRA. A small shrink is bilinear (the area average's slow path cost the worker 3-4 ms a
frame) and stays within a level of the area average on average; a larger one (from three quarters of the
size down) is the area average."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.pipeline.worker import prepare_display


def _frame() -> np.ndarray:
    """A 1280x720 frame with smooth shading, sharp edges and fine stripes."""
    y, x = np.mgrid[0:720, 0:1280].astype(np.float32)
    base = 128 + 60 * np.sin(x / 90.0) * np.cos(y / 70.0)
    stripes = np.where((x // 3) % 2 == 0, 40.0, -40.0) * (y > 400)
    box = np.where((np.abs(x - 300) < 80) & (np.abs(y - 200) < 60), 90.0, 0.0)
    g = np.clip(base + stripes + box, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.dstack([g, np.roll(g, 7, 1), 255 - g]))


@pytest.mark.parametrize("size", [(989, 708), (1100, 700), (1000, 1000)])
def test_a_small_shrink_is_within_a_level_of_the_area_average(size):
    f = _frame()
    out = prepare_display(f, size, mirror=False)
    h, w = out.shape[:2]
    assert out.shape[2] == 4 and (w == size[0] or h == size[1])
    assert abs(w / h - 1280 / 720) < 0.01
    area = cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)
    d = np.abs(out[..., :3].astype(np.int16) - area.astype(np.int16))
    assert d.mean() < 1.0
    assert np.all(out[..., 3] == 255)


@pytest.mark.parametrize("size", [(640, 360), (500, 400), (853, 480), (900, 900)])
def test_a_large_shrink_is_the_area_average(size):
    f = _frame()
    out = prepare_display(f, size, mirror=False)
    h, w = out.shape[:2]
    assert np.array_equal(out[..., :3], cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA))


def test_same_size_and_mirror():
    f = _frame()
    assert np.array_equal(prepare_display(f, (1280, 720), mirror=False)[..., :3], f)
    assert np.array_equal(prepare_display(f, None, mirror=True)[..., :3], f[:, ::-1])
    big = prepare_display(f, (1920, 1080), mirror=False)
    assert big.shape == (1080, 1920, 4)
