"""The live garment mask's body fill (vision/body_fill.py): below a face, the person's clothing the network
missed is added, never skin, hair hanging from the head, the face or what is off the person; nothing is
added when the network found no garment or the clothing is skin-coloured; a stream makes it afresh every
few frames and moves it with the faces in between. The person mask (MediaPipe's selfie model) is stood in
for by a drawn one, so these tests need no model and no data folder."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.vision import body_fill as BF

SKIN = (140, 160, 200)  # BGR
NAVY = (90, 40, 30)
WALL = (200, 200, 200)
HAIR = (30, 60, 110)  # auburn


def _scene(clothes=NAVY, hair_down: bool = False, dx: int = 0, seed: int = 0, shoulders_high: bool = False):
    """A 144 x 256 frame (the mask's own size): a face (skin) with hair on top, a neck, a top below on a
    light wall; the person mask covers head, neck and top. The network found the left half of the top.
    hair_down: the hair also hangs down the right side of the face over the top's right shoulder, and the
    top's left half has stripes of the hair's colour (so the garment's own colours do not rule it out).
    shoulders_high: a close-up's shoulders, rising beside the face to its mouth (rows 50 on; the chin is at
    row 62), where they meet the ring round the head beside the jaw."""
    rng = np.random.default_rng(seed)
    img = np.full((144, 256, 3), WALL, np.uint8)
    person = np.zeros((144, 256), np.float32)
    cx = 128 + dx
    cv2.ellipse(img, (cx, 30), (22, 26), 0, 180, 360, HAIR, -1)  # hair round the top of the head
    cv2.ellipse(person, (cx, 30), (22, 26), 0, 180, 360, 1.0, -1)
    img[78:144, cx - 60:cx + 60] = clothes
    person[78:144, cx - 60:cx + 60] = 1.0
    if shoulders_high:
        for x0, x1 in ((cx - 60, cx - 23), (cx + 23, cx + 60)):
            img[50:78, x0:x1] = clothes
            person[50:78, x0:x1] = 1.0
    img[55:84, cx - 9:cx + 10] = SKIN  # the neck, into the collar
    person[55:84, cx - 9:cx + 10] = 1.0
    cv2.ellipse(img, (cx, 40), (17, 22), 0, 0, 360, SKIN, -1)
    cv2.ellipse(person, (cx, 40), (17, 22), 0, 0, 360, 1.0, -1)
    if hair_down:
        img[30:110, cx + 17:cx + 30] = HAIR
        person[30:110, cx + 17:cx + 30] = 1.0
        img[90:140:8, cx - 55:cx - 20] = HAIR
        img[91:140:8, cx - 55:cx - 20] = HAIR
    img = np.clip(img.astype(np.int16) + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = np.stack([cx + 17 * np.cos(t), 40 + 22 * np.sin(t)], 1).astype(np.float32)
    prob = np.zeros((144, 256), np.float32)
    prob[84:144, cx - 58:cx - 5] = 0.95  # the network found the top's left half
    return img, prob, person, oval


class _Now:
    """Stands in for the body fill's thread: runs each person mask at once."""

    def submit(self, fn, *a):
        from concurrent.futures import Future

        f: Future = Future()
        f.set_result(fn(*a))
        return f


@pytest.fixture(autouse=True)
def _at_once(monkeypatch):
    monkeypatch.setattr(BF, "_pool", lambda: _Now())


def _fill(img, prob, person, oval, video=False, calls=None):
    bf = BF.BodyFill()
    bf._seg = True  # (a stand-in segmenter: `person` is replaced below)

    def person_of(small):
        if calls is not None:
            calls.append(1)
        return person

    bf.person = person_of
    return bf, bf(img, prob, img, [oval], video=video)


def test_the_missed_half_of_the_top_is_filled_and_nothing_else():
    img, prob, person, oval = _scene()
    _, out = _fill(img, prob, person, oval)
    assert float(out[90:140, 140:186].mean()) > 0.7  # the right half the network missed
    assert float(out[90:140, 72:120].mean()) > 0.9  # the left half stays
    assert float(out[60:76, 121:136].max()) < 0.5  # the neck above the collar: skin
    assert float(out[20:62, 112:145].max()) < 0.5  # the face and the hair on it
    assert float(out[:, :60].max()) < 0.5 and float(out[:, 196:].max()) < 0.5  # the wall, off the person
    assert np.all(out >= prob)  # it only adds


def test_nothing_is_filled_without_a_garment_found_or_with_a_skin_coloured_top():
    img, prob, person, oval = _scene()
    none_found = np.zeros_like(prob)
    _, out = _fill(img, none_found, person, oval)
    assert out is none_found  # it completes a garment the network found, it never makes one up
    speck = np.zeros_like(prob)
    speck[120:144, 75:90] = 0.95  # a speck of the top: too little to say the network found the garment
    _, out = _fill(img, speck, person, oval)
    assert out is speck
    img, prob, person, oval = _scene(clothes=(150, 168, 205))  # a blush top, the skin's colour
    _, out = _fill(img, prob, person, oval)
    assert out is prob


def test_hair_hanging_from_the_head_over_the_top_is_not_filled():
    img, prob, person, oval = _scene(hair_down=True)
    _, out = _fill(img, prob, person, oval)
    assert float(out[88:108, 147:156].max()) < 0.5  # the hair over the right shoulder
    assert float(out[112:140, 150:186].mean()) > 0.7  # the top below and beside it


def test_a_close_ups_shoulders_of_the_hairs_colour_beside_the_jaw_are_filled_and_the_hair_is_not():
    # a dark jacket as dark as the hair, its shoulders rising beside the face: they meet the ring round the
    # head only beside the jaw, and the ears and neck between (skin) do not join them to the hair on top
    img, prob, person, oval = _scene(clothes=HAIR, shoulders_high=True)
    _, out = _fill(img, prob, person, oval)
    assert float(out[52:76, 155:185].mean()) > 0.7  # the right shoulder, above the chin
    assert float(out[90:140, 140:186].mean()) > 0.7  # the right half of the top
    assert float(out[:40].max()) < 0.5  # the hair round the top of the head
    assert float(out[20:62, 112:145].max()) < 0.5  # the face
    img, prob, person, oval = _scene(clothes=HAIR, shoulders_high=True, hair_down=True)
    _, out = _fill(img, prob, person, oval)
    assert float(out[88:108, 147:156].max()) < 0.5  # hair hanging from the top of the head still is hair


def test_no_face_or_no_person_model_adds_nothing(monkeypatch):
    img, prob, person, oval = _scene()
    bf, _ = _fill(img, prob, person, oval)
    assert bf(img, prob, img, []) is prob
    monkeypatch.setattr(BF.BodyFill, "_make", staticmethod(lambda: False))  # Python 3.13's mediapipe
    plain = BF.BodyFill()
    assert not plain.available
    assert plain(img, prob, img, [oval]) is prob


def test_a_stream_makes_the_fill_every_few_frames_and_moves_it_with_the_face():
    calls: list = []
    img, prob, person, oval = _scene()
    bf, first = _fill(img, prob, person, oval, video=True, calls=calls)
    assert len(calls) == 1  # the stream's first frame waits for its person mask, made there and then
    assert float(first[90:140, 140:186].mean()) > 0.7  # ... and is filled at once
    for k in range(1, BF.EVERY * 3):
        img2, prob2, person2, oval2 = _scene(dx=2 * k)
        bf.person = lambda small, p=person2: calls.append(1) or p
        out = bf(img2, prob2, img2, [oval2], video=True)
    # a person mask (most of the cost) on frames 0, EVERY and 2 * EVERY; the fill made from each on the next
    assert len(calls) == 3
    # the last frame reused a fill made several frames before, moved with the face: the right half is covered
    cx = 128 + 2 * (BF.EVERY * 3 - 1)
    assert float(out[95:140, cx + 12:cx + 55].mean()) > 0.6
    assert float(out[:, :cx - 68].max()) < 0.5  # and it did not stay behind on the wall


def test_a_stream_drops_the_fill_at_once_when_the_garment_is_gone():
    img, prob, person, oval = _scene()
    bf, _ = _fill(img, prob, person, oval, video=True)
    assert float(bf(img, prob, img, [oval], video=True)[90:140, 140:186].mean()) > 0.7  # filled
    blank = np.full_like(img, 128)
    out = bf(blank, np.zeros_like(prob), blank, [oval], video=True)  # the next frame: the person left
    assert float(out.max()) == 0.0  # the last frame's faces (a stream's prior) must not bring the fill back


def test_shifted_moves_a_mask():
    m = np.zeros((20, 30), np.float32)
    m[5:10, 5:10] = 1.0
    s = BF.shifted(m, np.float32((3, 2)))
    assert s[7:12, 8:13].min() == pytest.approx(1.0)
    assert s[5:7, 5:8].max() == pytest.approx(0.0)
    assert BF.shifted(m, np.float32((0.0, 0.0))) is m


def test_a_stream_whose_frame_is_not_at_the_mask_size_is_filled_too():
    # a portrait frame: the network's view of it is smaller than the mask the engine keeps (its canvas)
    img, prob, person, oval = _scene()
    bf = BF.BodyFill()
    bf._seg = True
    bf.person = lambda small: cv2.resize(person, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_LINEAR)
    half = cv2.resize(img, (128, 72), interpolation=cv2.INTER_AREA)
    assert float(bf(half, prob, img, [oval], video=True)[90:140, 140:186].mean()) > 0.7  # the first frame's
    out = bf(half, prob, img, [oval], video=True)
    assert float(out[90:140, 140:186].mean()) > 0.7


def test_a_person_mask_queued_when_the_fill_closes_makes_no_new_segmenter(monkeypatch):
    made: list = []

    class Seg:
        def process(self, rgb):
            return type("R", (), {"segmentation_mask": np.zeros(rgb.shape[:2], np.float32)})()

        def close(self):
            pass

    monkeypatch.setattr(BF.BodyFill, "_make", staticmethod(lambda: made.append(1) or Seg()))
    bf = BF.BodyFill()
    assert bf.person(np.zeros((8, 8, 3), np.uint8)) is not None and len(made) == 1
    bf.close()
    assert bf.person(np.zeros((8, 8, 3), np.uint8)) is None  # (a job still in the queue after close)
    assert len(made) == 1 and not bf.available


def test_garment_patches_off_the_person_are_dropped_whole_and_those_on_it_kept_whole():
    img, prob, person, oval = _scene()
    prob[100:130, 5:40] = 0.95  # a patch on the wall beside the person (a coat on a chair behind)
    _, out = _fill(img, prob, person, oval)
    assert float(out[95:135, 0:45].max()) == 0.0  # off the person: gone, its soft fringe too
    assert float(out[90:140, 72:120].mean()) > 0.9  # the garment found stays
    # the same on a stream, from the person mask of a few frames before
    bf, _ = _fill(img, prob, person, oval, video=True)
    out = bf(img, prob, img, [oval], video=True)
    assert float(out[95:135, 0:45].max()) == 0.0


def test_off_person_keeps_a_patch_mostly_on_the_person_whole_and_drops_one_mostly_off():
    prob = np.zeros((20, 40), np.float32)
    prob[5:10, 5:15] = 0.9  # 3 of its 10 columns on the person
    prob[5:10, 25:35] = 0.9  # 1 of its 10 columns on the person
    person = np.zeros_like(prob)
    person[:, 12:26] = 1.0
    out = BF.off_person(prob, person)
    assert np.array_equal(out[:, :20], prob[:, :20])  # kept whole, off-person columns too
    assert float(out[:, 20:].max()) == 0.0
    person[:, :] = 1.0
    assert BF.off_person(prob, person) is prob  # nothing off the person: the input itself


def _wall_scene(seed=3):
    """A 60x80 frame: a textured blue-grey wall everywhere, a white shirt on the right half's lower part;
    the network's garment: the shirt and a patch of the wall at the bottom left."""
    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal((120, 105, 95), 14, (60, 80, 3)), 0, 255).astype(np.uint8)
    img[35:, 45:] = (235, 238, 240)
    prob = np.zeros((60, 80), np.float32)
    prob[40:, :25] = 0.97  # the wall, taken for a jacket
    prob[36:, 46:] = 0.97  # the shirt
    person = np.zeros_like(prob)
    person[:, 30:] = 1.0
    person[38:, :28] = 0.6  # the person mask guesses a shoulder there, unsure
    return img, prob, person


def test_a_patch_of_the_background_where_the_person_mask_guesses_a_shoulder_goes():
    img, prob, person = _wall_scene()
    out = BF.off_person(prob, person, img)
    assert float(out[40:, :25].max()) == 0.0  # the wall: gone
    assert np.array_equal(out[36:, 46:], prob[36:, 46:])  # the shirt stays
    assert BF.off_person(prob, person) is prob  # without the frame: only patches off the person go
    # the person mask sure of it: kept (a white shirt before a white wall has the wall's colours too)
    sure = person.copy()
    sure[38:, :28] = 1.0
    assert BF.off_person(prob, sure, img) is prob
    # a patch that is not the background's colour stays however unsure the person mask is
    jacket = img.copy()
    jacket[40:, :25] = (40, 30, 120)
    assert BF.off_person(prob, person, jacket) is prob


def _wall_stream():
    """The wall scene on a stream: (a BodyFill, a call of its off-person step with a person mask and a
    centre, the scene, the person mask sure of the wall too)."""
    img, prob, person = _wall_scene()
    sure = person.copy()
    sure[38:, :28] = 1.0
    oval = np.array([[40, 2], [50, 10], [40, 20], [30, 10]], np.float32)
    bf = BF.BodyFill()
    still = np.zeros(2, np.float32)  # (the faces' centre: the head does not move)

    def step(p, per, centre=still, fill=bf):
        return fill._off_person(p, per, [oval], img.shape, img, centre)

    return bf, step, (img, prob, person), sure


def test_where_the_wall_went_lately_it_goes_even_when_the_person_mask_is_sure_of_it():
    _, step, (img, prob, person), sure = _wall_stream()
    out = step(prob, person)
    assert float(out[40:, :25].max()) == 0.0
    for _ in range(BF.BACKDROP_HOLD - 1):  # the person mask sure of the wall for a while: still gone
        out = step(prob, sure)
        assert float(out[40:, :25].max()) == 0.0
        assert np.array_equal(out[36:, 46:], prob[36:, 46:])
    # a photo keeps nothing from one call to the next
    photo = BF.BodyFill()
    step(prob, person, None, photo)
    assert step(prob, sure, None, photo)[40:, :25].min() > 0.9


def test_what_went_lately_is_forgotten_after_the_hold():
    _, step, (img, prob, person), sure = _wall_stream()
    step(prob, person)
    for _ in range(BF.BACKDROP_HOLD):  # nothing goes for the whole hold
        step(np.zeros_like(prob), sure)
    assert float(step(prob, sure)[40:, :25].min()) > 0.9  # the person mask sure of it, nothing held: kept


def test_a_lock_of_hair_broken_by_its_highlights_still_hangs_from_the_head_in_one_piece():
    """A lock hanging from the head, crossed by a band of its glossy highlights (a colour only a little
    likelier in the hair than off the person): the part below the highlights is hair too, not clothing."""
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = np.stack([128 + 17 * np.sin(t), 40 - 22 * np.cos(t)], 1).astype(np.float32)  # forehead first
    geo = BF.Geometry.of([oval], (144, 256), (144, 256, 3))
    llr = np.full((144, 256), -3.0, np.float32)  # the wall's colours
    llr[10:100, 150:160] = 2.5  # a lock from the temple down over the shoulder ...
    llr[60:64, 150:160] = 0.5  # ... crossed by its highlights
    on = np.ones((144, 256), bool)
    hair = BF.hanging_hair(llr, on, geo)
    assert hair[20:58, 150:160].all() and hair[66:100, 150:160].all()  # above and below the highlights
    assert hair[60:64, 150:160].all()
    llr[60:64, 150:160] = -1.0  # a band of another colour (a strap across it): the part below is not hair
    hair = BF.hanging_hair(llr, on, geo)
    assert hair[20:58, 150:160].all() and not hair[66:100, 150:160].any()


def test_where_a_beard_may_grow_hair_hangs_from_the_whole_head_down_to_the_jaw():
    """The hanging hair's ring is the top half of the head, so a close-up's shoulder beside the jaw is not
    taken for hair; where a beard may grow (dark grey under the chin) it reaches down to the jaw again, so a
    beard below the face is hair, never filled as clothing."""
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = np.stack([128 + 17 * np.sin(t), 40 - 22 * np.cos(t)], 1).astype(np.float32)
    top = BF.Geometry.of([oval], (144, 256), (144, 256, 3), beards=[False])
    whole = BF.Geometry.of([oval], (144, 256), (144, 256, 3), beards=[True])
    assert not top.ring[42:].any() and whole.ring[42:60].any()
    assert np.array_equal(top.ring[:38], whole.ring[:38])
    assert np.array_equal(BF.Geometry.of([oval], (144, 256), (144, 256, 3)).ring, top.ring)


def test_trim_off_person_fades_the_doubtful_garment_past_the_person_and_keeps_the_sure():
    """A coat whose doubtful fringe (0.6) runs 8 cells past the person mask's edge onto a fence of its colour:
    kept within the margin, faded over the next cells, gone beyond; the network's sure garment (0.95) off the
    person stays, and so does everything on it."""
    prob = np.zeros((20, 40), np.float32)
    prob[:, :20] = 1.0
    prob[:, 20:28] = 0.6  # the fringe on the fence
    prob[2:4, 30:33] = 0.95  # a sleeve the person mask lost
    person = np.zeros_like(prob)
    person[:, :20] = 1.0  # columns 0-19
    out = BF.trim_off_person(prob, person, margin=2.0)
    assert np.array_equal(out[:, :20], prob[:, :20])
    assert np.allclose(out[:, 20:22], 0.6)  # within 2 cells of the person: kept
    assert 0.0 < float(out[10, 22]) < 0.6  # fading
    assert float(out[:, 24:28].max()) == 0.0  # past twice the margin: gone
    assert np.allclose(out[2:4, 30:33], 0.95)  # sure: kept
    person[:] = 1.0
    assert BF.trim_off_person(prob, person, 2.0) is prob  # all on the person: the input itself


def test_trim_off_person_switch_and_a_tiny_margin():
    prob = np.full((10, 20), 0.6, np.float32)
    person = np.zeros_like(prob)
    person[:, :10] = 1.0
    tiny = BF.trim_off_person(prob, person, margin=0.0)  # at least half a cell, fading over at least one
    assert np.allclose(tiny[:, :10], 0.6) and float(tiny[:, 12:].max()) == 0.0
    old = BF.OFF_PERSON_TRIM
    BF.OFF_PERSON_TRIM = False
    try:
        assert BF.trim_off_person(prob, person, 0.0) is prob
    finally:
        BF.OFF_PERSON_TRIM = old
