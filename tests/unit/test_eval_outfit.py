"""tryon-eval outfit: its metric functions on synthetic images whose answer is known, and a --quick run."""

import json

import cv2
import numpy as np
import pytest

from tryon_desktop import eval_outfit as E
from tryon_desktop.core.colour import linear_to_srgb, rgb8_to_lab, srgb_to_linear
from tryon_desktop.render.outfit import render_garment, rgb8_to_linear_bgr
from tryon_desktop.render.patterns import procedural

H, W = 240, 200


def ellipse_mask(h=H, w=W) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (w // 2, h // 2), (int(0.42 * w), int(0.44 * h)), 0, 0, 360, 1, -1)
    return m.astype(np.float32)


def shaded(rgb, amp=0.25, seed=0, highlights=0.0) -> np.ndarray:
    """A garment of colour rgb (sRGB) under fold-like shading whose median over the ellipse is 1, uint8 BGR."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    rng = np.random.default_rng(seed)
    s = np.exp(amp * np.sin(xx / 9.0 + 0.5 * np.sin(yy / 17.0)) + 0.03 * rng.standard_normal((H, W)))
    if highlights:
        s[rng.random((H, W)) < highlights] *= 3.0
    s /= np.median(s[ellipse_mask() > 0.5])  # the garment's median lightness is the swatch's (highlights included)
    lin = srgb_to_linear(np.asarray(rgb[::-1], np.float64) / 255.0)
    img = linear_to_srgb(np.clip(lin[None, None, :] * s[..., None], 0, 1)) * 255.0
    return np.round(img).astype(np.uint8)


# ---------------------------------------------------------------- colour


def test_colour_error_is_zero_for_the_garments_own_colour_and_ignores_highlights():
    rgb = (72, 102, 145)
    img = shaded(rgb, highlights=0.05)
    core = E.garment_core(ellipse_mask(), 3)
    err = E.colour_error(img, core, rgb)
    assert err["de00"] < 0.6 and err["de00_noL"] < 0.6 and abs(err["dL"]) < 0.6


def test_colour_error_sees_a_wrong_colour_and_separates_lightness():
    core = E.garment_core(ellipse_mask(), 3)
    assert E.colour_error(shaded((200, 24, 40)), core, (35, 75, 200))["de00"] > 20
    # the same grey, 30% darker in linear light: a lightness error only
    err = E.colour_error(shaded((128, 128, 128)), core, (150, 150, 150))
    assert err["de00"] > 4 and err["de00_noL"] < 0.5 and err["de_ab"] < 0.5 and err["dL"] < -4


def test_pick_colours_spread():
    assert len(E.pick_colours(99)) == len(E.COLOURS) >= 24
    six = E.pick_colours(6)
    names = [c[0] for c in six]
    assert len(six) == 6 and "white" in names and "black" in names
    assert len({c[2] for c in six}) >= 4  # several families, not six neutrals
    assert {"white", "black"} <= {c[0] for c in E.pick_colours(2)}


# ---------------------------------------------------------------- shading


def test_reference_recolour_keeps_shading_and_a_flat_fill_does_not():
    before = shaded((150, 150, 150), amp=0.3)
    alpha = ellipse_mask()
    core = E.garment_core(alpha, 3)
    after = render_garment(before, alpha, rgb8_to_linear_bgr((200, 24, 40)))
    assert E.shading_kept(before, after, core, sigma=3.0) > 0.9
    flat_noise = np.clip(np.full_like(before, 120) + np.random.default_rng(1).integers(-3, 4, before.shape), 0, 255)
    assert E.shading_kept(before, flat_noise.astype(np.uint8), core, sigma=3.0) < 0.3


def test_pattern_shading_against_the_tile_times_the_shading():
    before = shaded((180, 180, 180), amp=0.3)
    alpha = ellipse_mask()
    core = E.garment_core(alpha, 3)
    albedo = procedural("stripes", H, W, 24.0, 0.0, (28, 38, 74))
    after = render_garment(before, alpha, albedo)
    assert E.pattern_shading_kept(before, after, core, 3.0, albedo) > 0.9
    shifted = procedural("stripes", H, W, 24.0, 0.0, (28, 38, 74))[::-1]  # the tile flipped: out of phase
    assert E.pattern_shading_kept(before, after, core, 3.0, np.ascontiguousarray(shifted)) < 0.9


# ---------------------------------------------------------------- pattern fidelity


@pytest.mark.parametrize("kind,period,rotation", [("stripes", 24.0, 0.0), ("stripes", 18.0, 30.0),
                                                  ("gingham", 22.0, 20.0), ("stripes", 30.0, 135.0)])
def test_pattern_period_and_angle_are_measured(kind, period, rotation):
    before = shaded((200, 200, 200), amp=0.2)
    alpha = ellipse_mask()
    core = E.garment_core(alpha, 3)
    after = render_garment(before, alpha, procedural(kind, H, W, period, rotation, (28, 38, 74)))
    got = E.pattern_fidelity(before, after, core, kind, period, rotation, shoulder_px=0.84 * W)
    assert got["period_err"] < 0.04, got
    assert got["angle_err"] < 2.0, got


def test_pattern_fidelity_sees_a_wrong_period_and_angle():
    before = shaded((200, 200, 200), amp=0.2)
    alpha = ellipse_mask()
    core = E.garment_core(alpha, 3)
    after = render_garment(before, alpha, procedural("stripes", H, W, 16.0, 45.0, (28, 38, 74)))
    got = E.pattern_fidelity(before, after, core, "stripes", 24.0, 0.0, shoulder_px=0.84 * W)
    assert got["period_err"] > 0.25 and got["angle_err"] > 40


# ---------------------------------------------------------------- leakage


def test_leakage_counts_known_changes():
    rng = np.random.default_rng(0)
    before = rng.integers(0, 256, (100, 120, 3)).astype(np.uint8)
    alpha = np.zeros((100, 120), np.float32)
    alpha[40:60, 50:70] = 1.0
    after = before.copy()
    ys, xs = np.nonzero(np.ones((5, 10)))
    after[ys, xs, 1] = before[ys, xs, 1] ^ 0x80  # 50 pixels far outside, changed by 128 levels
    after[90, 0:30, 0] = np.where(before[90, 0:30, 0] < 255, before[90, 0:30, 0] + 1, 254)  # 30 px by 1 level
    after[45:55, 55:65] = 0  # inside the garment: allowed
    labels = np.zeros((100, 120), np.uint8)
    labels[90, 0:7] = 2  # 7 face pixels, all changed by one level
    labels[0:5, 0:10] = 5  # arm: the 50 pixels changed a lot
    got = E.leakage(before, after, alpha, labels, dilate_px=2)
    outside = 100 * 120 - (24 * 24 - 4 * 1)  # the dilated square (an ellipse kernel of radius 2 rounds the corners)
    assert got["outside_px"] == 50
    assert abs(got["outside_share"] - 50 / outside) < 1e-4
    assert got["face_px"] == 7 and got["face_px_gt2"] == 0
    assert got["arm_px"] == 50 and got["arm_share"] == 1.0 and got["hair_px"] == 0


# ---------------------------------------------------------------- flicker


def test_still_flicker_compares_output_with_the_inputs_own():
    base = rgb8_to_lab((120, 60, 60))
    ins = [base + [0.0, 0.3 * (i % 2), 0.0] for i in range(10)]
    outs = [base + [0.0, 0.6 * (i % 2), 0.0] for i in range(10)]
    motion = [0.0] * 10
    motion[5] = 9.0  # one moving pair, skipped
    got = E.still_flicker(ins, outs, motion)
    assert got["pairs"] == 8
    assert 1.8 < got["ratio"] < 2.2


# ---------------------------------------------------------------- realism classifier


def _patches(rng, n, noise, smooth):
    out = []
    for _ in range(n):
        base = rng.uniform(60, 200, 3)
        folds = cv2.GaussianBlur(rng.standard_normal((48, 48)).astype(np.float32), (0, 0), 6) * 40
        img = base[None, None, :] * (1 + 0.02 * folds[..., None] / 4) + noise * rng.standard_normal((48, 48, 3))
        if smooth:
            img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.5)
        out.append(E.patch_features(np.clip(img, 0, 255).astype(np.uint8)))
    return np.array(out)


def test_classifier_is_at_chance_on_one_distribution_and_perfect_on_two():
    rng = np.random.default_rng(3)
    a, b = _patches(rng, 60, 6.0, False), _patches(rng, 60, 6.0, False)
    y = np.r_[np.ones(60), np.zeros(60)]
    groups = np.r_[np.arange(60) // 4, np.arange(60) // 4]  # a source contributes to both classes
    same, _ = E.logistic_cv(np.vstack([a, b]), y, groups=groups, repeats=4)
    assert 0.3 < same < 0.7
    c = _patches(rng, 60, 0.5, True)
    diff, _ = E.logistic_cv(np.vstack([a, c]), y, groups=groups, repeats=4)
    assert diff > 0.95


def test_realism_pairs_the_renderers_repeat_by_repeat():
    """Two renderers' patches from the same sources: each repeat splits both into the same folds, and the
    difference repeat by repeat says which one is harder to tell from real."""
    rng = np.random.default_rng(5)
    n = 60
    groups = [f"photo:{i // 4}" for i in range(n)]
    real = list(zip(groups, _patches(rng, n, 6.0, False), strict=True))
    close = list(zip(groups, _patches(rng, n, 5.0, False), strict=True))  # nearly the real texture
    far = list(zip(groups, _patches(rng, n, 0.5, True), strict=True))  # smooth: easy to tell
    res = E.eval_realism(["gan", "reference"], real, {"gan": close, "reference": far})
    pr = res["paired"]
    assert pr["first"] == "gan" and pr["n"] == 10
    assert pr["mean"] < 0 and pr["below"] == 10
    assert abs(pr["mean"] - (res["gan"]["accuracy"] - res["reference"]["accuracy"])) < 1e-9
    # not the same sources: no pairing
    res = E.eval_realism(["gan", "reference"], real, {"gan": close, "reference": far[:40]})
    assert res["paired"] is None


def test_patch_features_ignore_the_mean_colour():
    img = shaded((200, 24, 40), amp=0.3)[50:98, 50:98]
    lin = srgb_to_linear(img[..., ::-1] / 255.0)
    other = (linear_to_srgb(lin / lin.reshape(-1, 3).mean(0) * srgb_to_linear(np.array([40, 160, 200]) / 255.0))
             * 255).round().clip(0, 255).astype(np.uint8)[..., ::-1]
    fa, fb = E.patch_features(img), E.patch_features(np.ascontiguousarray(other))
    lum = slice(0, 8)  # log-luminance statistics: a change of hue leaves them where they were
    assert np.allclose(fa[lum], fb[lum], atol=0.03)


# ---------------------------------------------------------------- the command


def test_missing_data_folder_is_one_line_and_exit_1(tmp_path, capsys):
    from tryon_desktop.evaluate import main

    assert main(["outfit", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "data folder not found" in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1


def test_quick_run_writes_json_and_markdown(shared_data, tmp_path, capsys):
    from tryon_desktop.evaluate import main

    if not (shared_data / "bodies" / "dev").is_dir():
        pytest.skip(f"no bodies/dev in {shared_data}")
    out = tmp_path / "eval"
    assert main(["outfit", "--data", str(shared_data), "--out", str(out), "--quick"]) == 0
    report = json.loads((out / "eval_outfit.json").read_text())
    md = (out / "eval_outfit.md").read_text()
    assert "reference" in report["renderers"] and "| colour ΔE00" in md
    ref = report["summary"]["reference"]
    # the reference renderer puts the swatch at the garment's median lightness: its colour error is small
    assert ref["colour"]["de00"]["median"] < 3.0
    assert ref["shading_colour"]["median"] > 0.7
    assert ref["pattern"]["stripes"]["period_err"]["median"] < 0.1
    assert ref["leak_outside_share"]["median"] < 0.005
    assert report["speed"]["reference"]["call_ms"]["median"] > 0
    assert md in capsys.readouterr().out
    if not report["gan_installed"]:
        assert "not installed" in md or "not loaded" in md
