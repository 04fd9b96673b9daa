"""The issue-12 lipstick metrics (tryon_desktop/eval_lip_quality.py) on synthetic faces: no data, no models."""

from types import SimpleNamespace

import numpy as np
import pytest

from tryon_desktop import eval_lip_quality as q
from tryon_desktop.core.colour import bgr8_to_lab, lab_to_srgb, rgb8_to_lab
from tryon_desktop.core.looks import Shade
from tryon_desktop.core.masks import LIPS_INNER, LIPS_OUTER

H, W = 200, 240
CX, CY, A, B = 120.0, 140.0, 50.0, 18.0
SKIN_BGR = (120, 150, 200)
LIP_BGR = (110, 100, 170)


def lab_to_bgr8(lab) -> tuple[int, int, int]:
    rgb = np.clip(np.round(lab_to_srgb(np.asarray(lab, np.float64)) * 255), 0, 255).astype(int)
    return int(rgb[2]), int(rgb[1]), int(rgb[0])


def landmarks(opening: float = 0.0, angle_deg: float = 0.0) -> np.ndarray:
    """A 478-point array with the lip contours on ellipses (contour order as the face mesh's) and both
    cheeks' points on circles; opening = inner gap / mouth width."""
    lm = np.tile([CX, CY - 80.0], (478, 1)).astype(np.float64)
    t = 2 * np.pi * np.arange(20) / 20.0
    lm[list(LIPS_OUTER)] = np.c_[CX - A * np.cos(t), CY + B * np.sin(t)]
    bi = 0.5 * opening * 2 * A
    lm[list(LIPS_INNER)] = np.c_[CX - 0.8 * A * np.cos(t), CY + bi * np.sin(t)]
    u = 2 * np.pi * np.arange(9) / 9.0
    lm[list(q.CHEEK_RIGHT)] = np.c_[60 + 15 * np.cos(u), 70 + 15 * np.sin(u)]
    lm[list(q.CHEEK_LEFT)] = np.c_[180 + 15 * np.cos(u), 70 + 15 * np.sin(u)]
    if angle_deg:
        r = np.radians(angle_deg)
        R = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
        lm = (lm - [CX, CY]) @ R.T + [CX, CY]
    return lm


def face_image(lm: np.ndarray, skin=SKIN_BGR, lips=LIP_BGR, teeth=None) -> np.ndarray:
    reg = q.lip_regions(lm, (H, W))
    img = np.empty((H, W, 3), np.uint8)
    img[:] = skin
    win = img[reg.win.slices]
    win[reg.lips] = lips
    if teeth is not None:
        win[reg.inner] = teeth
    return img


@pytest.fixture(scope="module")
def closed():
    lm = landmarks(0.0)
    return lm, q.lip_regions(lm, (H, W)), face_image(lm)


# ---------------------------------------------------------------- regions


def test_regions_of_a_closed_mouth(closed):
    lm, reg, _ = closed
    assert reg.opening < q.CLOSED_MAX
    assert reg.core.sum() > 500 and reg.seam.sum() > 50
    assert not (reg.core & reg.seam).any()  # the seam is never core
    assert not (reg.ring & reg.outer).any()  # the halo ring lies outside the lips
    assert (reg.core <= reg.lips).all() and (reg.seam <= reg.outer).all()
    # the seam is the middle 70% of the midline: it stays clear of the corners
    ys, xs = np.nonzero(reg.seam)
    x_frame = xs + reg.win.x0
    assert x_frame.min() > CX - 0.85 * 0.8 * A and x_frame.max() < CX + 0.85 * 0.8 * A
    assert np.abs(ys + reg.win.y0 - CY).max() <= 1.5  # 2 px wide, along the lips' midline


def test_polyline_band_is_two_pixels_wide():
    band = q.polyline_band((20, 40), np.array([[5.0, 10.0], [35.0, 10.0]]), 1.0)
    assert band[:, 20].sum() == 3  # pixel centres 9, 10, 11 are within 1 px of y = 10
    assert band[10, 4] and not band[10, 3]


# ---------------------------------------------------------------- colour and tone


def test_colour_error_with_lightness(closed):
    lm, reg, img = closed
    shade = Shade("t", (176, 36, 58))
    want = rgb8_to_lab(shade.rgb)
    out = img.copy()
    out[reg.win.slices][reg.lips] = shade.rgb[::-1]
    de, dL = q.colour_error(bgr8_to_lab(out[reg.win.slices]), reg.core, shade)
    assert de < 0.5 and abs(dL) < 0.5
    lighter = img.copy()
    lighter[reg.win.slices][reg.lips] = lab_to_bgr8(want + [10.0, 0.0, 0.0])
    de, dL = q.colour_error(bgr8_to_lab(lighter[reg.win.slices]), reg.core, shade)
    assert 9.0 < dL < 11.0 and de > 4.0  # lightness counts, and its sign says "too light"


def _painted_with_every(reg, img, shade, n, bgr):
    """The lips painted in the shade, every n-th core pixel set to `bgr` instead; returns the window."""
    w = img.copy()[reg.win.slices]
    w[reg.lips] = shade.rgb[::-1]
    ys, xs = np.nonzero(reg.core)
    pick = np.arange(len(ys)) % n == 0
    w[ys[pick], xs[pick]] = bgr
    return w


def test_colour_error_drops_highlights(closed):
    lm, reg, img = closed
    shade = Shade("t", (176, 36, 58))
    w = _painted_with_every(reg, img, shade, 12, (255, 255, 255))  # ~8% specular white
    assert q.colour_error(bgr8_to_lab(w), reg.core, shade)[0] < 0.5


@pytest.mark.parametrize("angle,group", [(60, "very light"), (48, "light"), (30, "intermediate"),
                                         (20, "tan"), (-10, "brown"), (-45, "dark")])
def test_ita_groups(angle, group):
    assert q.ita_group(angle) == group


def test_ita_of_the_cheeks():
    lab = np.array([65.0, 12.0, 18.0])
    assert q.ita(lab) == pytest.approx(np.degrees(np.arctan2(15.0, 18.0)))
    lm = landmarks()
    img = face_image(lm, skin=lab_to_bgr8(lab))
    img[:30] = 0  # hair above the cheeks must not count
    got = q.cheek_lab(img, lm)
    assert np.abs(got - lab).max() < 1.0
    assert q.ita_group(q.ita(got)) == "intermediate"
    assert q.plausible_skin(got)
    assert not q.plausible_skin(np.array([40.0, 0.5, 1.0]))  # grey-scale photo
    assert not q.plausible_skin(np.array([25.0, 21.0, 3.0]))  # red cast


def test_tone_faces_spread_over_groups_darkest_first():
    lm = landmarks()
    faces = []
    for i, L in enumerate([80, 80, 80, 80, 70, 40, 30]):  # very light x4, light, dark x2
        faces.append(SimpleNamespace(name=f"f{i}", landmarks=lm, image=face_image(lm, skin=lab_to_bgr8([L, 10, 16]))))
    faces.append(SimpleNamespace(name="grey", landmarks=lm, image=face_image(lm, skin=(60, 60, 60))))
    got = [f.name for f in q.select_tone_faces(faces, 3)]
    assert got == ["f5", "f4", "f0"]  # one per group, darkest group first
    got = [f.name for f in q.select_tone_faces(faces, 5)]
    assert got == ["f5", "f4", "f0", "f6", "f1"] and "grey" not in got


# ---------------------------------------------------------------- coverage, halo, teeth


def test_seam_coverage_bare_line_and_full(closed):
    lm, reg, img = closed
    shade = Shade("t", (176, 36, 58))
    full = img.copy()
    full[reg.win.slices][reg.outer] = shade.rgb[::-1]
    b = bgr8_to_lab(img[reg.win.slices])
    seam, core = q.seam_coverage(q.change_map(b, bgr8_to_lab(full[reg.win.slices])), reg.core, reg.seam)
    assert seam > 0.99 and core > 0.99
    bare = full.copy()
    line = q.polyline_band(reg.outer.shape, reg.midline, 1.5)
    bare[reg.win.slices][line] = img[reg.win.slices][line]  # a bare line along the seam
    seam, core = q.seam_coverage(q.change_map(b, bgr8_to_lab(bare[reg.win.slices])), reg.core, reg.seam)
    assert seam < 0.01 and core > 0.99
    m = q.measure_case(img, bare, lm, shade, reg)
    assert m["seam_painted"] < 0.01 and m["bare_core"] < 0.01


def test_bare_core_share(closed):
    lm, reg, img = closed
    shade = Shade("t", (176, 36, 58))
    w = _painted_with_every(reg, img, shade, 10, LIP_BGR)  # every 10th core pixel left bare
    share = q.bare_core(q.change_map(bgr8_to_lab(img[reg.win.slices]), bgr8_to_lab(w)), reg.core)
    n = int(reg.core.sum())
    assert share == pytest.approx(len(range(0, n, 10)) / n, abs=0.002)
    # a shade that changes nothing says nothing about coverage
    assert q.bare_core(np.zeros(reg.core.shape), reg.core) is None


def test_capped_painted_criterion():
    core = np.ones((10, 20), bool)
    de = np.full(core.shape, 30.0)
    de[:4] = 8.0  # a shadowed part changed less (a dark shade), but clearly changed
    de[9, :4] = 0.5  # four bare pixels
    assert q.bare_core(de, core) == pytest.approx(84 / 200)  # plain: half the median (15) -> the shadow "bare"
    assert q.bare_core(de, core, cap=q.PAINT_CAP) == pytest.approx(4 / 200)  # capped: only the truly bare ones


def test_painted_counts_pixels_already_the_lipstick_colour():
    # 10 x 20 core: the lipstick turns pale pink lips (L 70) into a brown (L 40); the left quarter of the
    # lips was already brown-ish (L 45) and changed little, four pixels on the right were left untouched
    core = np.ones((10, 20), bool)
    before = np.zeros((10, 20, 3))
    before[...] = (70.0, 20.0, 8.0)
    before[:, :5] = (45.0, 22.0, 18.0)
    after = np.zeros_like(before)
    after[...] = (40.0, 20.0, 20.0)
    after[9, 16:] = before[9, 16:]
    de = q.change_map(before, after)
    need = q.made_up_distance(before, after, core)
    assert q.bare_core(de, core) == pytest.approx(54 / 200)  # median only: the already-brown quarter "bare"
    assert q.bare_core(de, core, need=need) == pytest.approx(4 / 200)  # only the untouched ones
    assert q.bare_core(de, core, cap=q.PAINT_CAP, need=need) == pytest.approx(4 / 200)


def test_halo(closed):
    lm, reg, img = closed
    b = img[reg.win.slices]
    assert q.halo(b, b.copy(), reg.ring) == (0.0, 0.0)
    a = b.copy()
    a[reg.ring] = np.clip(a[reg.ring].astype(int) + 5, 0, 255)
    levels, dL = q.halo(b, a, reg.ring)
    assert levels == pytest.approx(5.0) and dL > 1.0  # a pale rim
    a = b.copy()
    a[reg.ring] = np.clip(a[reg.ring].astype(int) - 4, 0, 255)
    levels, dL = q.halo(b, a, reg.ring)
    assert levels == pytest.approx(4.0) and dL < -1.0


def test_pale_rim(closed):
    lm, reg, img = closed
    dark = Shade("d", (60, 20, 40))
    out = img.copy()
    w = out[reg.win.slices]
    w[reg.lips] = dark.rgb[::-1]
    lb = bgr8_to_lab(img[reg.win.slices])
    assert q.pale_rim(lb, bgr8_to_lab(w), reg, dark) == 0.0
    w[reg.line] = (235, 235, 240)  # a pale blue-white rim along the lip line
    assert q.pale_rim(lb, bgr8_to_lab(w), reg, dark) == pytest.approx(1.0)
    w[reg.line] = SKIN_BGR  # the line painted the skin's own colour: lighter than the dark lips, not than the skin
    assert q.pale_rim(lb, bgr8_to_lab(w), reg, dark) == 0.0
    light = out.copy()
    light[reg.win.slices][reg.lips] = (235, 235, 240)  # light lips: an edge between them and the skin is no rim
    light[reg.win.slices][reg.line & ~reg.lips] = (200, 205, 215)
    assert q.pale_rim(lb, bgr8_to_lab(light[reg.win.slices]), reg) == 0.0
    assert not (reg.line & reg.core).any() and (reg.line & reg.ring).sum() == 0


def test_teeth_touched():
    lm = landmarks(0.2)
    reg = q.lip_regions(lm, (H, W))
    assert reg.opening > q.OPEN_MIN
    img = face_image(lm, teeth=(235, 240, 240))
    b = img[reg.win.slices]
    teeth = q.teeth_mask(bgr8_to_lab(b), reg.inner, reg.core)
    assert teeth.sum() == reg.inner.sum()
    assert q.teeth_touched(b, b.copy(), teeth) == 0.0
    a = b.copy()
    ys, xs = np.nonzero(teeth)
    top = ys < np.median(ys)
    a[ys[top], xs[top]] = (180, 170, 230)  # the upper teeth tinted
    assert q.teeth_touched(b, a, teeth) == pytest.approx(top.mean())
    a = b.copy()
    a[teeth] -= 3  # within 3 levels: not touched
    assert q.teeth_touched(b, a, teeth) == 0.0
    # a dark mouth (no teeth showing) has no teeth pixels
    dark = face_image(lm, teeth=(20, 20, 30))[reg.win.slices]
    assert q.teeth_touched(dark, dark, q.teeth_mask(bgr8_to_lab(dark), reg.inner, reg.core)) is None


def test_tilted_mouth_regions_follow_the_landmarks():
    lm = landmarks(0.0, angle_deg=20.0)
    reg = q.lip_regions(lm, (H, W))
    ys, xs = np.nonzero(reg.seam)
    slope = np.polyfit(xs.astype(float), ys.astype(float), 1)[0]
    assert slope == pytest.approx(np.tan(np.radians(20.0)), abs=0.05)


# ---------------------------------------------------------------- finishes and flicker


def test_finish_classifier_separates_separable_features():
    rng = np.random.default_rng(0)
    X, y, groups = [], [], []
    for face in range(12):
        offset = rng.normal(0, 3.0, 6)  # each face's own texture: large, shared by its four finishes
        for k in range(4):
            X.append(offset + 1.0 * k * np.eye(6)[k] + rng.normal(0, 0.1, 6))
            y.append(k)
            groups.append(f"face{face}")
    X, y = np.array(X), np.array(y)
    acc_w, conf = q.grouped_cv(q.centre_groups(X, groups), y, groups, 4)
    assert acc_w > 0.95 and conf.sum() == len(y) and np.trace(conf) == round(acc_w * len(y))
    sep = X - np.repeat(X.reshape(12, 4, 6).mean(1), 4, 0) + 5.0 * np.eye(6)[y]
    assert q.grouped_cv(sep, y, groups, 4)[0] > 0.95
    shuffled = rng.permutation(y)
    assert q.grouped_cv(rng.normal(size=X.shape), shuffled, groups, 4)[0] < 0.6  # noise: near chance


def test_finish_features_see_sparkle_and_highlights(closed):
    lm, reg, img = closed
    rng = np.random.default_rng(1)
    base = img[reg.win.slices].copy()
    base[reg.lips] = (60, 40, 150)
    flat = q.finish_features(base, reg.core, reg.mw)
    spark = base.copy()
    ys, xs = np.nonzero(reg.core)
    pick = rng.random(len(ys)) < 0.02
    spark[ys[pick], xs[pick]] = (230, 230, 255)
    sp = q.finish_features(spark, reg.core, reg.mw)
    assert flat is not None and sp is not None and len(flat) == len(sp) == 22
    assert sp[9] > flat[9] + 0.01  # speckle share
    assert sp[3] > flat[3]  # p99.5 over the median


def test_flicker_ratio():
    assert q.flicker_ratio([0.2, 0.2], [0.2, 0.2]) == pytest.approx(1.0)
    assert q.flicker_ratio([0.5, 0.1], [0.2, 0.1]) == pytest.approx(2.0)
    assert q.flicker_ratio([0.1], [0.0]) is None


# ---------------------------------------------------------------- the whole photo evaluation, a fake backend


class Paint:
    """A backend that paints the mask with the shade's flat colour (no model, no texture)."""

    name = "paint"
    provider = "test"

    def prepare(self, frame, landmarks, box, mask, light=None):
        return frame[box.slices].copy(), mask

    def generate(self, prepared, shade):
        roi, mask = prepared
        region = np.empty_like(roi)
        region[:] = shade.rgb[::-1]
        return region, mask


def test_eval_photo_quality_and_report():
    from tryon_desktop.evaluate import markdown

    lm_c, lm_o = landmarks(0.0), landmarks(0.2)
    dev = [SimpleNamespace(name="a", landmarks=lm_c, image=face_image(lm_c)),
           SimpleNamespace(name="b", landmarks=lm_o, image=face_image(lm_o, teeth=(235, 240, 240)))]
    tone = [SimpleNamespace(name="c", landmarks=lm_c, image=face_image(lm_c, skin=lab_to_bgr8([35, 14, 20])))]
    shades = [Shade("r", (194, 31, 47), family="red"), Shade("n", (196, 138, 122), family="nude"),
              Shade("b", (140, 45, 79), family="berry"), Shade("p", (217, 98, 127), family="pink")]
    rep = q.eval_photo_quality({"paint": Paint()}, dev, tone, shades, track=lambda img: landmarks(0.2, 20.0))
    b = rep["backends"]["paint"]
    assert rep["faces"]["c"]["group"] == "dark"  # atan2(35 - 50, 20) = -37 degrees
    assert b["n_cases"] == 2 * 4 + 1 * 4
    assert b["colour_all"]["n"] == 8 and b["colour_all"]["median"] < 3.0
    assert b["seam"]["n"] >= 1 and 0.0 <= b["seam"]["seam_painted_mean"] <= 1.0
    assert b["teeth"]["photos"]["n"] == 4 and b["teeth"]["rotated"]["n"] == 8  # rotated both ways
    assert b["finish"]["n"] == 3 * 4 * 4
    assert b["finish"]["matte_gloss_levels_mean"] == 0.0  # a flat paint has no finishes
    report = {"backends": ["paint"], "faces": {"paint": {}}, "n_faces": 2, "face_dirs": ["x"], "n_shades": 4,
              "quality": rep}
    report["faces"]["paint"] = dict.fromkeys(["shade_de00_median", "shade_de00_p90", "leak_share_mean",
                                              "leak_share_max", "texture_corr_median", "texture_corr_p10",
                                              "call_ms_median"])
    md = markdown(report)
    assert "What a customer sees" in md and "seam" in md and "ITA" in md
