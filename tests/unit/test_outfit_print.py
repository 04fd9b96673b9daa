"""A printed garment made plain is plain: render.outfit.print_free_luma takes an all-over two-tone print
(stripes, checks, dots) out of the garment's luma, and leaves plain garments, two garments worn over each
other, light from one side and a small logo alone."""

import cv2
import numpy as np

from tryon_desktop.render.outfit import luma8, print_free_luma, render_garment, rgb8_to_linear_bgr

H, W = 360, 300
YY, XX = np.mgrid[0:H, 0:W]
FOLDS = 0.8 + 0.2 * np.sin(XX / 23.0 + 0.5) * np.cos(YY / 31.0)  # broad shading: must survive


def _paint(tone: np.ndarray, dark=(60, 30, 20), light=(235, 235, 230), shading=FOLDS, seed=0) -> np.ndarray:
    """BGR garment: per pixel the light or dark colour (tone in [0, 1], 1 = light) mixed in linear light,
    times the shading, with a little sensor noise."""
    rng = np.random.default_rng(seed)
    lin = lambda c: (np.asarray(c, np.float32) / 255.0) ** 2.2  # noqa: E731
    mix = (1.0 - tone[..., None]) * lin(dark) + tone[..., None] * lin(light)
    img = mix * shading[..., None] * (1.0 + 0.02 * rng.standard_normal((H, W, 1)))
    return np.clip(255.0 * np.clip(img, 0, 1) ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)


def _stripes(period=14.0, vertical=False) -> np.ndarray:
    u = XX if vertical else YY
    return np.clip((np.sin(2 * np.pi * u / period) * 3.0) * 0.5 + 0.5, 0.0, 1.0)  # anti-aliased edges


def _contrast_at(y: np.ndarray, period: float, vertical: bool = False) -> float:
    """Amplitude of the luminance at the stripes' frequency (mean over lines)."""
    prof = y.astype(np.float64).mean(axis=0 if vertical else 1)
    u = np.arange(len(prof))
    return float(np.abs(np.sum((prof - prof.mean()) * np.exp(-2j * np.pi * u / period))) / len(prof))


ALPHA = np.ones((H, W), np.float32)


def test_stripes_are_taken_out_and_the_folds_kept():
    for vertical in (False, True):
        region = _paint(_stripes(vertical=vertical))
        y8 = luma8(region)
        out = print_free_luma(region, ALPHA, y8)
        assert out is not y8
        before, after = _contrast_at(y8, 14.0, vertical), _contrast_at(out, 14.0, vertical)
        assert after < 0.15 * before, (vertical, before, after)
        # the broad folds are still there: the flattened luma follows the shading
        smooth = cv2.GaussianBlur(out.astype(np.float32), (0, 0), 6)
        corr = np.corrcoef(smooth.ravel(), FOLDS.ravel())[0, 1]
        assert corr > 0.8, (vertical, corr)


def test_a_striped_shirt_recoloured_plain_comes_out_plain():
    region = _paint(_stripes())
    navy = render_garment(region, ALPHA, rgb8_to_linear_bgr((31, 58, 147)))
    y = luma8(navy)
    assert _contrast_at(y, 14.0) < 0.15 * _contrast_at(luma8(region), 14.0)
    # ... and navy all over: the light and the dark stripes end up within a few levels of each other
    light = _stripes() > 0.9
    dark = _stripes() < 0.1
    gap = abs(float(np.median(y[light])) - float(np.median(y[dark])))
    assert gap < 4.0, gap


def test_checks_and_dots_count_as_prints():
    checks = ((np.sin(2 * np.pi * XX / 20.0) > 0) ^ (np.sin(2 * np.pi * YY / 20.0) > 0)).astype(np.float32)
    dots = (np.hypot((XX % 18) - 9, (YY % 18) - 9) < 5).astype(np.float32)
    for tone in (checks, 1.0 - dots):
        region = _paint(cv2.GaussianBlur(tone, (0, 0), 0.7))
        y8 = luma8(region)
        out = print_free_luma(region, ALPHA, y8)
        assert float(out.std()) < 0.5 * float(y8.std())


def test_plain_garments_two_layers_side_light_and_a_logo_are_left_alone():
    plain = _paint(np.zeros((H, W), np.float32), dark=(40, 60, 150))
    # a dark jacket open over a light shirt: two garments, each its own tone
    layers = _paint(((XX > 0.35 * W) & (XX < 0.65 * W)).astype(np.float32))
    # a plain shirt lit from the left: a lit half and a shadowed half
    side = _paint(np.zeros((H, W), np.float32), dark=(150, 150, 150),
                  shading=FOLDS * np.where(XX < W // 2, 1.0, 0.35))
    # a logo on the chest: a small share of the garment
    logo_tone = ((np.abs(XX - W / 2) < 30) & (np.abs(YY - H / 3) < 20)).astype(np.float32)
    logo = _paint(1.0 - logo_tone)
    for name, region in (("plain", plain), ("layers", layers), ("side light", side), ("logo", logo)):
        y8 = luma8(region)
        out = print_free_luma(region, ALPHA, y8)
        changed = 0.0 if out is y8 else float(np.abs(out.astype(int) - y8).mean())
        assert changed < 1.0, (name, changed)


def test_little_or_no_garment_passes_through():
    region = _paint(_stripes())
    y8 = luma8(region)
    assert print_free_luma(region, np.zeros((H, W), np.float32), y8) is y8
    tiny = np.zeros((H, W), np.float32)
    tiny[:8, :8] = 1.0
    assert print_free_luma(region, tiny, y8) is y8


def test_the_outfit_generator_sees_the_print_free_shading():
    from tryon_desktop.vision.outfit_generator import prepare_inputs

    navy = rgb8_to_linear_bgr((31, 58, 147))
    striped = prepare_inputs(_paint(_stripes()), ALPHA, navy)
    plain = prepare_inputs(_paint(np.zeros((H, W), np.float32), dark=(40, 60, 150)), ALPHA, navy)
    assert striped is not None and striped.unprint is not None
    assert plain is not None and plain.unprint is None
    # the reference the network corrects is plain navy too
    y = luma8(striped.ref)
    assert _contrast_at(y, 14.0) < 0.15 * _contrast_at(luma8(_paint(_stripes())), 14.0)


def _satin(tone: np.ndarray, sheen: np.ndarray, dark=(60, 30, 20), light=(235, 235, 230)) -> np.ndarray:
    """BGR satin: the two tones times the folds, plus a sheen (the light reflected off the surface: the same
    amount on both tones, added in linear light), with a little sensor noise."""
    rng = np.random.default_rng(3)
    lin = lambda c: (np.asarray(c, np.float32) / 255.0) ** 2.2  # noqa: E731
    mix = (1.0 - tone[..., None]) * lin(dark) + tone[..., None] * lin(light)
    img = (mix * FOLDS[..., None] + sheen[..., None]) * (1.0 + 0.02 * rng.standard_normal((H, W, 1)))
    return np.clip(255.0 * np.clip(img, 0, 1) ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)


def test_a_satin_sheen_across_the_stripes_leaves_no_stripes():
    # a broad band of sheen across vertical stripes (a satin shirt's fold catching the light): one gain per
    # tone lifted the dark stripes' sheen tenfold with them, which left the stripes standing in the band
    sheen = 0.12 * np.exp(-(((YY - 0.5 * H) / 40.0) ** 2)).astype(np.float32)
    region = _satin(_stripes(vertical=True), sheen)
    y8 = luma8(region)
    out = print_free_luma(region, ALPHA, y8)
    band = slice(int(0.5 * H) - 25, int(0.5 * H) + 25)
    before, after = _contrast_at(y8[band], 14.0, True), _contrast_at(out[band], 14.0, True)
    assert after < 0.1 * before, (before, after)
    # ... and the sheen is still there: the band is lighter than the rest after the print is taken out
    assert float(out[band].mean()) > float(out[:60].mean()) + 8.0


def test_a_print_the_search_is_unsure_of_is_left_as_it_is(monkeypatch):
    # what the search finds with little evidence (a turtleneck under a coat, hair ends over a top) is not
    # taken out at all: the caller gets its own luma back, the same object
    import tryon_desktop.render.outfit as RO

    region = _paint(_stripes())
    y8 = luma8(region)
    assert print_free_luma(region, ALPHA, y8) is not y8  # sure of it: taken out
    monkeypatch.setattr(RO, "PRINT_STRENGTH", (1.5, 2.0))  # every amount (<= 1) now counts as unsure
    assert print_free_luma(region, ALPHA, y8) is y8
    remover = RO.PrintRemover()
    assert remover(region, ALPHA, y8) is y8 and remover(region.copy(), ALPHA, y8) is y8
    # ... and between the two, the stronger the evidence, the more of the print goes
    monkeypatch.setattr(RO, "PRINT_STRENGTH", (0.0, 2.0))  # a sure print (amount 1) at half strength
    half = print_free_luma(region, ALPHA, y8)
    monkeypatch.setattr(RO, "PRINT_STRENGTH", (0.3, 0.7))
    full = print_free_luma(region, ALPHA, y8)
    c0, c1, c2 = (_contrast_at(x, 14.0) for x in (y8, half, full))
    assert c2 < c1 < c0, (c0, c1, c2)
