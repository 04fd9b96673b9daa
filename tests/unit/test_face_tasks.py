"""The Tasks-API face tracker backend (vision/face_tasks.py): shipped models, their checks, and agreement with
mediapipe 0.10.21's own FaceMesh where both can run (Python <= 3.12: 0.10.21 has both APIs)."""

from __future__ import annotations

import json
import shutil
import zipfile
import io

import numpy as np
import pytest

from tryon_desktop.vision import face_tasks as ft


def _has_solutions() -> bool:
    try:
        import mediapipe as mp
    except Exception:
        return False
    return hasattr(getattr(mp, "solutions", None), "face_mesh")


needs_schema = pytest.mark.skipif(
    not ft.tasks_available(), reason="this mediapipe has no Tasks FaceLandmarker / tflite schema")
needs_both = pytest.mark.skipif(
    not (ft.tasks_available() and _has_solutions()), reason="needs mediapipe with both mp.solutions and Tasks")


def test_shipped_models_match_their_manifest():
    files = ft.verify_models()
    assert files.detector.name == "face_detection_short_range.tflite"
    assert files.landmarks.name == "face_landmark_with_attention.tflite"
    man = json.loads((ft.FACE_MODELS_DIR / ft.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert "Apache-2.0" in man["license"]
    assert "Apache License" in (ft.FACE_MODELS_DIR / "LICENSE").read_text(encoding="utf-8")


@pytest.fixture
def model_copy(tmp_path):
    d = tmp_path / "mediapipe"
    shutil.copytree(ft.FACE_MODELS_DIR, d)
    return d


def test_missing_model_file_says_so_and_downloads_nothing(model_copy):
    (model_copy / "face_landmark_with_attention.tflite").unlink()
    with pytest.raises(ft.FaceModelError, match="missing.*never downloads"):
        ft.verify_models(model_copy)


def test_altered_model_file_is_refused(model_copy):
    p = model_copy / "face_detection_short_range.tflite"
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(ft.FaceModelError, match="corrupt or altered"):
        ft.verify_models(model_copy)


def test_missing_manifest_is_refused(model_copy):
    (model_copy / ft.MANIFEST_NAME).unlink()
    with pytest.raises(ft.FaceModelError, match="manifest missing"):
        ft.verify_models(model_copy)


def test_refine_index_covers_every_output_float():
    idx = ft._refine_index().reshape(ft.N_LANDMARKS, 3)
    n_mesh = ft.N_MESH * 3
    assert idx.min() >= 0 and idx.max() == sum(ft._ATTN_OUTPUT_SIZES[:6]) + 1  # the right iris z
    # every lips/eye/iris x, y comes from its region's output; mesh z stays the mesh's
    for k in ft.LIPS + ft.LEFT_EYE + ft.RIGHT_EYE:
        assert idx[k, 0] >= n_mesh and idx[k, 1] == idx[k, 0] + 1 and idx[k, 2] == 3 * k + 2
    assert len(set(ft.LIPS) | set(ft.LEFT_EYE) | set(ft.RIGHT_EYE)) == 80 + 71 + 71
    untouched = sorted(set(range(ft.N_MESH)) - set(ft.LIPS) - set(ft.LEFT_EYE) - set(ft.RIGHT_EYE))
    assert (idx[untouched] == np.arange(n_mesh).reshape(ft.N_MESH, 3)[untouched]).all()


@needs_schema
def test_patched_model_has_the_two_outputs_the_tasks_graph_reads():
    from mediapipe.tasks.metadata import schema_py_generated as S

    out = ft.patch_attention_model(ft.verify_models().landmarks.read_bytes())
    g = S.Model.GetRootAsModel(out, 0).Subgraphs(0)
    shapes = [list(g.Tensors(g.Outputs(i)).ShapeAsNumpy()) for i in range(g.OutputsLength())]
    assert shapes == [[1, 1, 1, 1434], [1, 1, 1, 1]]


@needs_schema
def test_bundle_is_an_aligned_zip_with_the_two_models():
    bundle = ft.build_landmarker_bundle()
    with zipfile.ZipFile(io.BytesIO(bundle)) as z:
        assert sorted(z.namelist()) == ["face_detector.tflite", "face_landmarks_detector.tflite"]
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert start % 64 == 0
            assert bundle[start + 4:start + 8] == b"TFL3"


@needs_schema
def test_tasks_tracker_finds_478_landmarks_and_nothing_on_a_blank(grace):
    from tryon_desktop.vision.face_tracker import FaceTracker

    with FaceTracker(max_faces=1, video=False, backend="tasks") as tr:
        faces = tr.track(grace)
        assert len(faces) == 1 and faces[0].landmarks.shape == (478, 2)
        assert faces[0].landmarks.dtype == np.float32
        assert tr.track(np.zeros((120, 160, 3), np.uint8)) == []


@needs_both
@pytest.mark.parametrize("video", [False, True])
def test_tasks_backend_agrees_with_solutions(grace, video):
    from tryon_desktop.vision.face_tracker import FaceTracker

    out = {}
    for backend in ("solutions", "tasks"):
        with FaceTracker(max_faces=1, video=video, backend=backend) as tr:
            frames = [tr.track(grace) for _ in range(3 if video else 1)]
        assert all(len(f) == 1 for f in frames)
        out[backend] = np.stack([f[0].landmarks for f in frames])
    width = np.ptp(out["solutions"][..., 0], axis=-1)[..., None]
    d = np.linalg.norm(out["solutions"] - out["tasks"], axis=-1) / width
    assert np.median(d) < 0.001  # 0.1% of the face width (measured: ~0.01%)
    assert d.max() < 0.005


def test_unknown_backend_is_refused(monkeypatch):
    pytest.importorskip("mediapipe")
    from tryon_desktop.vision.face_tracker import FaceTracker

    monkeypatch.setenv("TRYON_FACE_BACKEND", "bogus")
    with pytest.raises(ValueError, match="unknown face tracker backend"):
        FaceTracker(max_faces=1, video=False)


@needs_schema
def test_video_tracks_one_face_and_finds_a_second_that_comes_in():
    """In video, one face is tracked by a one-face landmarker (the legacy graph's behaviour); a second face
    joining is found by the periodic look for more, and then both are tracked."""
    import cv2

    from tryon_desktop.train.smoke_data import package_faces

    img = cv2.cvtColor(cv2.imread(str(package_faces()[0])), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    one = np.full((h, 2 * w, 3), 90, np.uint8)
    one[:, :w] = img
    two = np.concatenate([img, img[:, ::-1]], axis=1)
    mesh = ft.TasksFaceMesh(static_image_mode=False, max_num_faces=2)
    try:
        counts = [len(mesh.process(one).multi_face_landmarks or []) for _ in range(5)]
        assert counts == [1] * 5
        counts = [len(mesh.process(two).multi_face_landmarks or []) for _ in range(2 * mesh.PROBE_EVERY)]
        assert counts[-1] == 2 and counts.count(2) >= mesh.PROBE_EVERY
    finally:
        mesh.close()
