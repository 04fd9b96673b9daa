"""A photo's garment mask: the careful teacher's where it found a garment and trusts it or agrees with the live
network's; the live mask otherwise; faces never above the live mask; streams never wait for the teacher."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np

import tryon_desktop.engine as E

H, W = 360, 640  # the frame
MH, MW = 72, 128  # the mask


class FakeTeacher:
    def __init__(self, mask: np.ndarray, confident: bool = True, debug: dict | None = None) -> None:
        self.mask, self.confident, self.calls, self.debug = mask, confident, 0, debug or {}

    def __call__(self, frame):
        self.calls += 1
        return SimpleNamespace(mask=self.mask, confident=self.confident, reason="test", debug=self.debug)

    def close(self) -> None:
        pass


def perception(teacher, video: bool = False) -> E.GarmentPerception:
    g = E.GarmentPerception(model=None, video=video)
    g._teacher = teacher
    return g


def live_mask() -> np.ndarray:
    prob = np.zeros((MH, MW), np.float32)
    prob[30:, 40:90] = 0.95  # the live network found the top's middle only
    return prob


def teacher_mask() -> np.ndarray:
    m = np.zeros((H, W), np.float32)
    m[150:, 150:490] = 1.0  # the whole top
    return m


FRAME = np.zeros((H, W, 3), np.uint8)


def test_a_trusted_teacher_mask_replaces_the_live_one():
    out = perception(FakeTeacher(teacher_mask()))._photo_mask(FRAME, live_mask(), [])
    assert out.shape == (MH, MW) and out.dtype == np.float32
    assert out[40:, 32:96].min() > 0.9  # the teacher's wider top
    assert out[:25].max() == 0.0


def test_an_unsure_teacher_that_disagrees_or_finds_nothing_leaves_the_live_mask():
    elsewhere = np.zeros((H, W), np.float32)
    elsewhere[0:100, 0:100] = 1.0  # a garment somewhere else entirely, not trusted by the teacher itself
    prob = live_mask()
    assert np.array_equal(perception(FakeTeacher(elsewhere, confident=False))._photo_mask(FRAME, prob, []), prob)
    assert np.array_equal(perception(FakeTeacher(np.zeros((H, W), np.float32)))._photo_mask(FRAME, prob, []), prob)
    # unsure but agreeing with the live mask: taken
    agreeing = perception(FakeTeacher(teacher_mask(), confident=False))._photo_mask(FRAME, prob, [])
    assert agreeing[40:, 32:96].min() > 0.9


def test_a_teacher_that_took_a_skin_coloured_top_for_skin_gives_way_to_the_live_mask():
    """A beige top: to the teacher's skin model most of the torso is maybe skin (weak_frac), and it kept only a
    strip down the middle, inside the live network's whole top. The live mask is used. The same strip from a
    teacher that did not see a skin-coloured torso is used, and so is a skin-coloured teacher mask that
    reaches past the live one (not a subset: the teacher found more)."""
    prob = np.zeros((MH, MW), np.float32)
    prob[30:, 30:100] = 0.95  # the live network: the whole top
    strip = np.zeros((H, W), np.float32)
    strip[150:, 270:370] = 1.0  # the teacher: a strip down its middle
    beige = {"weak_frac": 0.95}
    assert np.array_equal(perception(FakeTeacher(strip, debug=beige))._photo_mask(FRAME, prob, []), prob)
    used = perception(FakeTeacher(strip, debug={"weak_frac": 0.1}))._photo_mask(FRAME, prob, [])
    assert used[40:, 35:50].max() < 0.5  # (the strip, not the live top)
    wider = np.zeros((H, W), np.float32)
    wider[150:, 100:540] = 1.0
    out = perception(FakeTeacher(wider, debug=beige))._photo_mask(FRAME, prob, [])
    assert out[40:, 22:106].min() > 0.9


def test_round_a_face_the_teacher_mask_is_never_above_the_live_one():
    face = np.array([[300, 40], [340, 40], [350, 110], [320, 140], [290, 110]], np.float32)  # just above the top
    spill = teacher_mask()
    spill[100:150, 280:360] = 1.0  # the teacher marks the chin and neck
    prob = live_mask()
    out = perception(FakeTeacher(spill))._photo_mask(FRAME, prob, [face])
    near = (slice(int(120 * MH / H), int(150 * MH / H)), slice(int(300 * MW / W), int(340 * MW / W)))
    assert (out[near] <= prob[near] + 1e-6).all()


def test_no_teacher_available_or_a_failing_one_leaves_the_live_mask(monkeypatch):
    prob = live_mask()
    assert np.array_equal(perception(False)._photo_mask(FRAME, prob, []), prob)

    class Broken(FakeTeacher):
        def __call__(self, frame):
            raise RuntimeError("graph failed")

    assert np.array_equal(perception(Broken(teacher_mask()))._photo_mask(FRAME, prob, []), prob)

    import tryon_desktop.vision.garment_teacher as GT

    def refuse(*a, **k):
        raise GT.InputError("no solutions API")

    monkeypatch.setattr(GT, "GarmentTeacher", refuse)
    g = perception(None)
    assert np.array_equal(g._photo_mask(FRAME, prob, []), prob)
    assert g._teacher is False  # not tried again on the next photo


def test_a_stream_never_runs_the_teacher():
    teacher = FakeTeacher(teacher_mask())
    g = perception(teacher, video=True)
    g.segmenter = SimpleNamespace(segment=lambda frame, timestamp, face_polygons: live_mask(), seen=None)
    g._loaded = True
    out = g(FRAME, 0.0, [])
    assert teacher.calls == 0 and np.array_equal(out, live_mask())
    assert g.photo_source is None and g.describe()["renderer"] == "student"
    g.video = False
    g(FRAME, 0.0, [])
    assert teacher.calls == 1
    assert g.photo_source == "teacher" and "teacher" in g.describe()["renderer"]
    g(FRAME, 0.0, [], careful=False)  # (only a small face wanted: no teacher)
    assert teacher.calls == 1 and g.photo_source is None


def _cells(y0, y1, x0, x1):
    """Mask cells (MH x MW) to frame pixels."""
    sy, sx = H / MH, W / MW
    return slice(round(y0 * sy), round(y1 * sy)), slice(round(x0 * sx), round(x1 * sx))


SKIN = (120, 150, 200)  # BGR: a light-medium skin tone
FACE = np.array([[300, 20], [340, 20], [360, 80], [340, 130], [300, 130], [280, 80]], np.float32)


def jacket_frame() -> np.ndarray:
    frame = np.full((H, W, 3), 235, np.uint8)  # a light wall
    frame[150:, 150:490] = (90, 40, 30)  # a navy jacket (BGR) where the teacher finds the top
    cv2.fillPoly(frame, [FACE.astype(np.int32)], SKIN)  # the face above it, whose cheeks give the skin's colour
    return frame


def badge_hole() -> np.ndarray:
    prob = np.zeros((MH, MW), np.float32)
    prob[30:, 30:100] = 0.95
    prob[45:52, 70:85] = 0.02  # the live network left this out, inside the jacket
    return prob


def test_inside_the_live_outline_the_live_network_s_sure_holes_stay():
    frame = jacket_frame()
    frame[_cells(45, 52, 70, 85)] = (240, 240, 245)  # a white name badge on the jacket
    out = perception(FakeTeacher(teacher_mask()))._photo_mask(frame, badge_hole(), [FACE])
    assert out[46:51, 72:83].max() < 0.1  # the badge stays out
    assert out[60:, 32:96].min() > 0.9  # the rest is the teacher's
    # the white shirt between the lapels a few cells away (the teacher's garment too) does not make the
    # badge a part of the garment: its white stops at its edge (the demo photo's name badge)
    frame[_cells(36, 72, 50, 64)] = (238, 240, 244)
    out = perception(FakeTeacher(teacher_mask()))._photo_mask(frame, badge_hole(), [FACE])
    assert out[46:51, 72:83].max() < 0.1


def test_a_hole_the_garment_round_it_shares_the_colour_of_goes_back_to_the_teacher():
    """A stripe, a print or a fold the live network half missed is garment: the jacket's own navy there, or a
    pink print that goes on past the hole into what the teacher calls garment."""
    plain = perception(FakeTeacher(teacher_mask()))._photo_mask(jacket_frame(), badge_hole(), [FACE])
    assert plain[46:51, 72:83].min() > 0.9
    printed = jacket_frame()
    printed[_cells(42, 58, 66, 95)] = (140, 150, 240)  # a pink print; the hole covers its left part
    out = perception(FakeTeacher(teacher_mask()))._photo_mask(printed, badge_hole(), [FACE])
    assert out[46:51, 72:83].min() > 0.9
    # no face: no skin colour to tell a hand from a print by, so the hole stays
    out = perception(FakeTeacher(teacher_mask()))._photo_mask(printed, badge_hole(), [])
    assert out[46:51, 72:83].max() < 0.1


def test_a_skin_coloured_hole_stays_even_where_the_teacher_runs_over_more_skin():
    """A hand in front of the chest: the teacher's mask covers it and more of the same skin round it."""
    frame = jacket_frame()
    frame[_cells(42, 58, 66, 95)] = SKIN  # the hand; the network's hole is its left part
    out = perception(FakeTeacher(teacher_mask()))._photo_mask(frame, badge_hole(), [FACE])
    assert out[46:51, 72:83].max() < 0.1


def _stub(g: E.GarmentPerception, prob_fn) -> E.GarmentPerception:
    g.segmenter = SimpleNamespace(segment=lambda frame, timestamp, face_polygons: prob_fn(), seen=None, reset=lambda: None)
    g._loaded = True
    return g


def test_a_stream_showing_one_still_picture_gets_its_careful_mask_once_and_a_camera_never_does():
    teacher = FakeTeacher(teacher_mask())
    careful = _stub(perception(teacher, video=False), live_mask)
    g = _stub(E.GarmentPerception(model=None, video=True), live_mask)
    g._careful = careful
    outs = []
    for _ in range(E.STILL_FRAMES + 1):
        outs.append(g(FRAME, 0.0, []))
    job = g._still.get("job")
    assert job is not None
    job.join(timeout=10)
    later = [g(FRAME, 0.0, []) for _ in range(3)]
    assert teacher.calls == 1  # made once
    assert all(np.array_equal(o, live_mask()) for o in outs)  # the live mask while it was being made
    assert later[-1][40:, 32:96].min() > 0.9  # then the careful one
    assert g.photo_source == "teacher"
    # a frame that differs (a camera's next frame) is live again, and nothing new is started
    moved = FRAME.copy()
    moved[0, 0] = 1
    assert np.array_equal(g(moved, 0.0, []), live_mask())
    assert teacher.calls == 1 and g.photo_source is None
    g.reset()
    assert g._still == {}


class SlowTeacher(FakeTeacher):
    """A teacher that takes its time and notes whether two threads were ever inside it at once."""

    def __init__(self, mask: np.ndarray) -> None:
        super().__init__(mask)
        import threading

        self.inside, self.most, self.lock = 0, 0, threading.Lock()

    def __call__(self, frame):
        import time

        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.3)
        with self.lock:
            self.inside -= 1
        return super().__call__(frame)


def test_a_second_still_picture_waits_for_the_first_ones_careful_mask():
    teacher = SlowTeacher(teacher_mask())
    careful = _stub(perception(teacher, video=False), live_mask)
    g = _stub(E.GarmentPerception(model=None, video=True), live_mask)
    g._careful = careful
    other = FRAME.copy()
    other[10:20, 10:20] = 200
    for frame in (FRAME, other):  # a picture, then another while the first one's mask is being made
        for _ in range(E.STILL_FRAMES + 1):
            g(frame, 0.0, [])
    first = g._careful_job
    assert first is not None and first.is_alive() and g._still.get("job") is None  # the second waits
    first.join(timeout=10)
    g(other, 0.0, [])  # now it starts
    g._careful_job.join(timeout=10)
    assert teacher.calls == 2 and teacher.most == 1  # never two threads in the careful models at once
    g.close()


class FakeFill:
    """Stands in for the body fill: counts its calls and adds the top's right side."""

    def __init__(self) -> None:
        self.calls = 0
        self.loaded = True

    def __call__(self, small, prob, frame, polys, video=False, colours=None):
        self.calls += 1
        out = prob.copy()
        out[30:, 90:110] = 0.75
        return out

    def reset(self) -> None:
        pass


def test_the_body_fill_stands_in_for_the_teacher_only_where_it_has_no_answer():
    oval = np.array([[300, 20], [340, 60], [300, 100], [260, 60]], np.float32)  # a face above the top
    for teacher, filled in ((FakeTeacher(teacher_mask()), False), (FakeTeacher(np.zeros((H, W), np.float32)), True)):
        g = perception(teacher)
        g.segmenter = SimpleNamespace(segment=lambda frame, timestamp, face_polygons: live_mask(),
                                      seen=np.zeros((MH, MW, 3), np.uint8))
        g._loaded = True
        g.skin_cut = False
        g._body = FakeFill()
        out = g(FRAME, 0.0, [SimpleNamespace(landmarks=np.tile(oval, (120, 1))[:478])])
        assert g._body.calls == int(filled)
        assert g.photo_source == ("live" if filled else "teacher")
        if filled:
            assert float(out[40:, 95:108].min()) > 0.5  # the fill's part of the top
            assert g.describe()["renderer"] == "student + body fill"
    g.body_fill = False  # the switch (tryon-eval garment-mask --no-body-fill)
    g._body.calls = 0
    g(FRAME, 0.0, [SimpleNamespace(landmarks=np.tile(oval, (120, 1))[:478])])
    assert g._body.calls == 0
    assert g.describe()["renderer"] == "student"


def test_switching_the_body_fill_drops_its_memory_and_reaches_a_still_pictures_careful_mask():
    g = perception(None, video=True)
    g._body = FakeFill()
    resets: list = []
    g._body.reset = lambda: resets.append(1)
    g._still = {"key": "a picture", "count": 9, "mask": np.ones((MH, MW), np.float32)}
    careful = perception(None)
    careful._body = FakeFill()
    careful._body.reset = lambda: None
    g._careful = careful
    g.set_body_fill(True)  # already on: nothing changes
    assert resets == [] and g._still
    g.set_body_fill(False)
    assert not g.body_fill and resets == [1] and g._still == {}  # the still's mask is made again, without it
    assert not careful.body_fill
    assert E.GarmentPerception.body_fill  # every other perception keeps the default
    engine = SimpleNamespace(garment=g)
    E.TryOnEngine.set_body_fill(engine, True)
    assert g.body_fill and careful.body_fill
