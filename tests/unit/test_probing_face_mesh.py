"""A stream's face tracker (mediapipe's own FaceMesh) tracks one face with a one-face graph and looks for more
with the face detector alone every few frames (`ProbingFaceMesh`): the same landmarks as the several-face
graph while one face is in view, a second face picked up within PROBE_EVERY frames, and the one-face graph
back once it has gone."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tryon_desktop.vision import face_tracker as ftr
from tryon_desktop.vision.face_tracker import _BLANK, ProbingFaceMesh


def _face(x0: float, y0: float, size: float = 0.2):
    """A landmark list filling the box (x0, y0)-(x0 + size, y0 + size), normalised coordinates (plain objects,
    as `landmark_array` reads them one by one: no mediapipe needed)."""
    pts = np.random.default_rng(0).uniform(0, 1, (478, 2))
    return SimpleNamespace(landmark=[SimpleNamespace(x=float(x0 + size * x), y=float(y0 + size * y), z=0.0)
                                     for x, y in pts])


class _Graph:
    """A stand-in graph: answers `faces` (what it finds in the frame), logs every frame it is fed."""

    def __init__(self, name, log, answer):
        self.name, self.log, self.answer = name, log, answer
        self.closed = False

    def process(self, rgb):
        self.log.append((self.name, "blank" if rgb is _BLANK else "frame"))
        return self.answer(self.name, rgb)

    def close(self):
        self.closed = True


def _rig(n_in_view):
    """A ProbingFaceMesh over stand-ins for a scene with n_in_view[0] faces (changed by the test)."""
    log: list = []
    tracked = [_face(0.2, 0.2), _face(0.6, 0.2)]

    def answer(name, rgb):
        if rgb is _BLANK:
            return SimpleNamespace(multi_face_landmarks=None, detections=None)
        n = n_in_view[0]
        if name == "probe":
            boxes = [SimpleNamespace(xmin=x, ymin=0.25, width=0.1, height=0.1) for x in (0.25, 0.65)[:n]]
            return SimpleNamespace(detections=[SimpleNamespace(location_data=SimpleNamespace(relative_bounding_box=b))
                                               for b in boxes] or None)
        return SimpleNamespace(multi_face_landmarks=tracked[: min(n, 1 if name == "one" else 2)] or None)

    graphs = [_Graph(k, log, answer) for k in ("one", "many", "probe")]
    return ProbingFaceMesh(*graphs), log, graphs


def test_one_face_runs_the_one_face_graph_and_probes_now_and_then():
    mesh, log, _ = _rig([1])
    for _ in range(3 * ProbingFaceMesh.PROBE_EVERY):
        assert len(mesh.process(np.zeros((8, 8, 3), np.uint8)).multi_face_landmarks) == 1
    assert {g for g, _ in log} == {"one", "probe"}
    assert [g for g, _ in log].count("probe") == 3  # the tracked face's own detection is not a new face
    assert not mesh.many


def test_a_second_face_switches_graphs_and_leaving_switches_back():
    n = [1]
    mesh, log, graphs = _rig(n)
    frame = np.zeros((8, 8, 3), np.uint8)
    for _ in range(5):
        mesh.process(frame)
    n[0] = 2
    counts = [len(mesh.process(frame).multi_face_landmarks or []) for _ in range(ProbingFaceMesh.PROBE_EVERY)]
    assert counts[-1] == 2 and mesh.many
    assert ("one", "blank") in log  # the one-face graph forgets its face when it hands over
    log.clear()
    n[0] = 1
    for _ in range(ProbingFaceMesh.RELEASE_AFTER + 1):
        assert len(mesh.process(frame).multi_face_landmarks) == 1
    assert not mesh.many and log[-1] == ("many", "blank")
    log.clear()
    mesh.process(frame)
    assert log == [("one", "frame")]
    mesh.close()
    assert all(g.closed for g in graphs)


def test_no_face_in_view_does_not_probe():
    """With no face tracked the one-face graph runs its own detector on every frame: no probe on top."""
    mesh, log, _ = _rig([0])
    for _ in range(2 * ProbingFaceMesh.PROBE_EVERY):
        assert mesh.process(np.zeros((8, 8, 3), np.uint8)).multi_face_landmarks is None
    assert {g for g, _ in log} == {"one"}


def _has_solutions() -> bool:
    try:
        import mediapipe as mp
    except Exception:
        return False
    return hasattr(getattr(mp, "solutions", None), "face_mesh")


@pytest.mark.skipif(not _has_solutions(), reason="needs mediapipe's solutions API (0.10.21)")
def test_real_graphs_give_the_several_face_graphs_landmarks_and_find_a_second_face():
    import cv2

    from tryon_desktop.core.media import demo_photo_path

    face = cv2.resize(cv2.imread(str(demo_photo_path())), (400, 468))

    def frame(dx: int, two: bool) -> np.ndarray:
        f = np.full((720, 1280, 3), 90, np.uint8)
        f[100:568, 60 + dx:460 + dx] = face
        if two:
            f[100:568, 780:1180] = face[:, ::-1]
        return f

    old = ftr.PROBE
    try:
        ftr.PROBE = False
        plain = ftr.FaceTracker(max_faces=2, video=True, backend="solutions")
        ftr.PROBE = True
        probing = ftr.FaceTracker(max_faces=2, video=True, backend="solutions")
    finally:
        ftr.PROBE = old
    try:
        assert isinstance(probing._mesh, ProbingFaceMesh) and probing.probing and not plain.probing
        for i in range(20):  # one face, moving: the same landmarks
            f = frame(3 * i, False)
            a, b = plain.track(f), probing.track(f)
            assert len(a) == len(b) == 1
            assert np.abs(a[0].landmarks - b[0].landmarks).max() < 0.01
        counts = [len(probing.track(frame(60, True))) for _ in range(ProbingFaceMesh.PROBE_EVERY)]
        assert counts[-1] == 2
    finally:
        plain.close()
        probing.close()
