"""The face tracker reads MediaPipe's 478 landmarks from their serialised bytes in one go: the same numbers
as reading them one by one, and one by one whenever the bytes are laid out otherwise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tryon_desktop.vision.face_tracker import landmark_array

landmark_pb2 = pytest.importorskip("mediapipe.framework.formats.landmark_pb2")


def _one_by_one(face, w, h):
    return np.array([(p.x * w, p.y * h) for p in face.landmark], dtype=np.float32)


def _face(n=478, seed=0, visibility=False):
    rng = np.random.default_rng(seed)
    face = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in rng.uniform(-0.2, 1.2, (n, 3)):
        lm = face.landmark.add(x=float(x), y=float(y), z=float(z))
        if visibility:
            lm.visibility = 0.9
    return face


@pytest.mark.parametrize("seed", range(4))
def test_the_bytes_give_the_same_pixels_as_the_landmarks(seed):
    face = _face(seed=seed)
    got = landmark_array(face, 960, 540)
    assert got.dtype == np.float32 and got.shape == (478, 2)
    assert np.array_equal(got, _one_by_one(face, 960, 540))


def test_other_layouts_are_read_one_by_one():
    face = _face(visibility=True)  # a fourth field: the bytes are not the usual layout
    assert np.array_equal(landmark_array(face, 640, 480), _one_by_one(face, 640, 480))
    zero = landmark_pb2.NormalizedLandmarkList()
    zero.landmark.add(y=0.5)  # (fields never set are left out of the bytes: a shorter record)
    zero.landmark.add(x=0.25, y=0.5, z=0.1)
    assert np.array_equal(landmark_array(zero, 100, 100), _one_by_one(zero, 100, 100))
    plain = SimpleNamespace(landmark=[SimpleNamespace(x=0.5, y=0.25, z=0.0)])  # (the tasks API's objects)
    assert np.array_equal(landmark_array(plain, 100, 200), np.float32([[50.0, 50.0]]))
