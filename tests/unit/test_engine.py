"""The engine on real photos that ship with our dependencies (no ../shared needed)."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from tryon_desktop.core.colour import LUMA, linear_to_xyz, srgb_to_linear, xyz_to_lab
from tryon_desktop.core.looks import Finish, Look, resolve_shade
from tryon_desktop.core.masks import LIPS_OUTER, dilate, inner_mouth_mask, lip_box, lip_mask


def test_engine_imports_neither_qt_nor_torch():
    code = ("import sys, tryon_desktop.engine, tryon_desktop.cli, tryon_desktop.render.lipstick, "
            "tryon_desktop.vision.onnx_runtime as r; r.available_providers(); "
            "from tryon_desktop.engine import TryOnEngine; e = TryOnEngine(video=False); "
            "bad = [m for m in ('PySide6', 'torch', 'tryon_desktop.ui') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _face(engine, img):
    res = engine.process(img, None)
    assert len(res.faces) == 1, "the test photo must show one face"
    return res.faces[0]


def _lab_of_linear(lin):
    return xyz_to_lab(linear_to_xyz(lin))


def test_lip_mask_lies_on_the_lips(still_engine, grace):
    face = _face(still_engine, grace)
    box = face.box
    mask = lip_mask(face.landmarks, box)
    roi = grace[box.slices]
    lab = cv2.cvtColor(roi, cv2.COLOR_BGR2LAB).astype(float)
    lips = mask > 0.8
    ring = dilate(mask > 0.05, 6) & ~dilate(mask > 0.05, 2)
    # lips are redder than the skin just around them
    assert lab[..., 1][lips].mean() > lab[..., 1][ring].mean() + 3
    # and the mask stays within the outer lip contour (plus its feathered edge)
    outline = np.zeros(mask.shape, np.uint8)
    pts = np.round(face.landmarks[list(LIPS_OUTER)] - [box.x0, box.y0]).astype(np.int32)
    cv2.fillPoly(outline, [pts], 1)
    assert not (lips & ~dilate(outline, 1)).any()


def test_open_mouth_teeth_are_never_coloured(still_engine, astronaut):
    face = _face(still_engine, astronaut)
    assert face.mouth_open > 0.05, "astronaut smiles with teeth showing"
    shade = resolve_shade("Electric Blue", opacity=1.0)
    res = still_engine.process(astronaut, shade)
    box = face.box
    mouth = inner_mouth_mask(face.landmarks, box)
    before = astronaut[box.slices][mouth]
    after = res.frame[box.slices][mouth]
    assert mouth.sum() > 50
    assert np.array_equal(before, after)
    assert lip_mask(face.landmarks, box)[mouth].max() == 0.0


@pytest.mark.parametrize("finish", list(Finish))
def test_nothing_outside_the_dilated_lip_mask_changes(still_engine, grace, finish):
    shade = resolve_shade("Classic Red", finish=finish.value)
    res = still_engine.process(grace, shade)
    face = res.faces[0]
    full = np.zeros(grace.shape[:2], np.float32)
    full[face.box.slices] = lip_mask(face.landmarks, face.box)
    allowed = dilate(full > 0, 2)
    changed = np.any(res.frame != grace, axis=2)
    assert changed.sum() > 300
    assert not (changed & ~allowed).any()


@pytest.mark.parametrize("name", ["Classic Red", "Electric Blue", "Plum", "Coral Reef", "Emerald", "Mocha"])
def test_rendered_lips_take_the_shades_hue_and_chroma(still_engine, grace, name):
    shade = resolve_shade(name, finish="matte", opacity=1.0)
    res = still_engine.process(grace, shade)
    face = res.faces[0]
    box = face.box
    core = lip_mask(face.landmarks, box) > 0.95
    lin = srgb_to_linear(res.frame[box.slices][core][:, ::-1] / 255.0)
    Y = lin @ LUMA
    keep = Y < np.percentile(Y, 90)  # leave highlights out
    # Lightness factored out: compare chromaticities at one luminance.
    got = lin[keep].sum(0)
    want = srgb_to_linear(np.array(shade.rgb) / 255.0)
    got_lab = _lab_of_linear(got / (got @ LUMA) * 0.2)
    want_lab = _lab_of_linear(want / (want @ LUMA) * 0.2)
    hue = np.degrees(np.arctan2(got_lab[2], got_lab[1]) - np.arctan2(want_lab[2], want_lab[1]))
    hue = (hue + 180) % 360 - 180
    chroma_got, chroma_want = np.hypot(*got_lab[1:]), np.hypot(*want_lab[1:])
    assert abs(hue) < 4.0, (got_lab, want_lab)
    assert abs(chroma_got - chroma_want) < 0.08 * chroma_want + 1.0


def test_opacity_zero_changes_nothing_visible(still_engine, grace):
    res = still_engine.process(grace, resolve_shade("Classic Red", finish="matte", opacity=0.0))
    assert np.abs(res.frame.astype(int) - grace).max() <= 2


def test_no_face_passes_the_frame_through(still_engine):
    blank = np.full((240, 320, 3), 128, np.uint8)
    res = still_engine.process(blank, resolve_shade("Classic Red"))
    assert res.no_face and np.array_equal(res.frame, blank)
    assert set(res.timings_ms) >= {"track", "align", "generate", "blend", "total"}


def test_two_faces_are_both_made_up(grace):
    from tryon_desktop.engine import TryOnEngine

    both = np.hstack([grace, cv2.flip(grace, 1)])
    with TryOnEngine(model=None, video=False, max_faces=2) as engine:
        res = engine.process(both, Look(lipstick=resolve_shade("Plum")))
    assert len(res.faces) == 2
    for face in res.faces:
        assert np.any(res.frame[face.box.slices] != both[face.box.slices])


def test_input_frame_is_not_modified_and_bad_frames_rejected(still_engine, grace):
    from tryon_desktop.errors import InputError

    copy = grace.copy()
    still_engine.process(grace, resolve_shade("Plum"))
    assert np.array_equal(grace, copy)
    with pytest.raises(InputError):
        still_engine.process(grace[..., 0], resolve_shade("Plum"))


def test_video_mode_is_steady_on_a_still_clip(grace):
    """Temporal smoothing: on a still face the lips' box must not wander."""
    from tryon_desktop.engine import TryOnEngine

    rng = np.random.default_rng(3)
    boxes = []
    with TryOnEngine(model=None, video=True) as engine:
        for i in range(20):
            noisy = np.clip(grace.astype(int) + rng.integers(-6, 7, grace.shape), 0, 255).astype(np.uint8)
            res = engine.process(noisy, resolve_shade("Plum"), timestamp=i / 30)
            boxes.append(res.faces[0].landmarks[list(LIPS_OUTER)].mean(0))
    drift = np.ptp(np.array(boxes[5:]), axis=0)
    assert drift.max() < 1.5


def test_lip_box_is_clipped_to_the_frame(grace):
    lm = np.zeros((478, 2), np.float32) + [-5, -5]
    lm[list(LIPS_OUTER)] += np.random.default_rng(0).uniform(0, 20, (len(LIPS_OUTER), 2))
    box = lip_box(lm, grace.shape)
    assert box.x0 == 0 and box.y0 == 0  # the lips start off the frame's top-left corner
    assert 0 < box.x1 <= grace.shape[1] and 0 < box.y1 <= grace.shape[0] and not box.empty
    far = lm + [grace.shape[1] - 10, grace.shape[0] - 10]  # the same lips off the bottom-right corner
    box = lip_box(far, grace.shape)
    assert box.x1 == grace.shape[1] and box.y1 == grace.shape[0] and box.x0 >= 0 and box.y0 >= 0
