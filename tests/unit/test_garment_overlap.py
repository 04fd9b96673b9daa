"""The garment network beside the face tracker (engine.GARMENT_OVERLAP): on a stream, the garment mask's pass
runs on the helper thread while the tracker runs, its prior drawn from the last frame's faces, and this
frame's faces are cut out afterwards. The first frame, a reset, a jump in time, a photo, and a frame after
one without faces wait for the tracker instead; and the mask is the one made one step after the other, but for
the prior's one frame of lag."""

import numpy as np
import pytest

from tryon_desktop import engine as E
from tryon_desktop.core.looks import Look, resolve_outfit
from tryon_desktop.effects.base import FaceInfo


class _Tracker:
    """A face tracker whose one face moves right by 2 px a frame (none while `hidden`)."""

    def __init__(self, lm):
        self.lm, self.n, self.hidden = lm.astype(np.float32), 0, False

    def track(self, frame):
        from tryon_desktop.vision.face_tracker import TrackedFace

        self.n += 1
        return [] if self.hidden else [TrackedFace(landmarks=self.lm + np.float32((2 * self.n, 0)))]

    def close(self):
        pass


class _Perception:
    """Records how the engine asks for the garment mask: ("call", faces) or ("start", prior) then ("finish", faces)."""

    notice = None

    def __init__(self):
        self.log = []

    def load(self):
        pass

    def __call__(self, frame, timestamp, faces):
        self.log.append(("call", len(faces)))
        return np.zeros((36, 64), np.float32)

    def start(self, frame, timestamp, prior):
        self.log.append(("start", [p.copy() for p in prior]))
        return lambda: np.zeros((36, 64), np.float32)

    def finish(self, pending, frame, faces: list[FaceInfo]):
        self.log.append(("finish", len(faces)))
        return pending()

    def describe(self):
        return {"renderer": "fixed", "version": "test", "sha256": "", "provider": "CPU"}

    def reset(self):
        pass


def _engine(lm, video=True):
    eng = E.TryOnEngine(model=None, video=video, smoothing=False, tracker=_Tracker(lm), outfit_model=None)
    eng.garment = _Perception()
    return eng


def test_the_last_frames_faces_are_the_prior_and_the_first_frame_waits(grace_face):
    img, lm = grace_face
    eng = _engine(lm)
    look = Look(outfit=resolve_outfit("Navy"))
    try:
        eng.process(img, look, timestamp=0.0)
        assert eng.garment.log == [("call", 1)]  # the first frame: no faces known yet
        eng.garment.log.clear()
        eng.process(img, look, timestamp=1 / 30)
        (kind, prior), done = eng.garment.log
        assert kind == "start" and done == ("finish", 1)
        from tryon_desktop.core.masks import FACE_OVAL

        want = (lm.astype(np.float32) + np.float32((2, 0)))[list(FACE_OVAL)]  # frame 1's face, not frame 2's
        np.testing.assert_allclose(prior[0], want, atol=1e-4)
        for reason in ("reset", "gap", "size", "no face"):
            eng.process(img, look, timestamp=2 / 30)
            eng.garment.log.clear()
            t, frame = 3 / 30, img
            if reason == "reset":
                eng.reset()
            elif reason == "gap":
                t = 3 / 30 + 2 * E.PRIOR_MAX_GAP_S
            elif reason == "size":
                frame = np.ascontiguousarray(img[:-2])
            else:
                eng.tracker.hidden = True
                eng.process(img, look, timestamp=t)
                eng.tracker.hidden = False
                eng.garment.log.clear()
                t += 1 / 30
            eng.process(frame, look, timestamp=t)
            assert eng.garment.log == [("call", 1)], reason
    finally:
        eng.close()


def test_photos_and_the_switch_off_wait_for_the_tracker(grace_face, monkeypatch):
    img, lm = grace_face
    look = Look(outfit=resolve_outfit("Navy"))

    def photo():
        return _engine(lm, video=False)

    def stream_switched_off():
        monkeypatch.setattr(E, "GARMENT_OVERLAP", False)
        return _engine(lm)

    for make in (photo, stream_switched_off):
        eng = make()
        try:
            for i in range(3):
                eng.process(img, look, timestamp=i / 30)
            assert [k for k, _ in eng.garment.log] == ["call"] * 3, make.__name__
        finally:
            eng.close()


def test_overlapped_mask_matches_the_one_made_after_the_tracker(monkeypatch):
    """The real segmenter on the bench's moving clip: the mask made beside the tracker (last frame's faces as
    the prior) against the one made after it (this frame's), frame by frame on twin engines."""
    from tryon_desktop.cli import clip_frame, synthetic_clip

    clip = synthetic_clip(640, 360, 12)
    look = Look(outfit=resolve_outfit("Navy"))
    engines = {on: E.TryOnEngine(model=None, outfit_model=None, video=True) for on in (False, True)}
    if engines[True].garment.describe()["renderer"] == "none":
        pytest.skip("no garment mask model installed")
    try:
        for i in range(12):
            f = clip_frame(clip, i)
            masks = {}
            for on, eng in engines.items():
                monkeypatch.setattr(E, "GARMENT_OVERLAP", on)
                masks[on] = eng.process(f, look, timestamp=i / 30).garment_mask
            a, b = masks[False] > 0.5, masks[True] > 0.5
            union = int((a | b).sum())
            assert union > 0
            assert (a & b).sum() / union > 0.97, i
            assert float(np.abs(masks[False] - masks[True]).mean()) < 0.01, i
    finally:
        for eng in engines.values():
            eng.close()
