"""Effects as peers: the look's data, the engine's order, per-effect timings, reset, the outfit renderer,
snapshot metadata, and the rule that the engine side imports neither Qt nor torch."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tryon_desktop.core.colour import bgr8_to_lab, ciede2000, rgb8_to_lab
from tryon_desktop.core.looks import Look, OutfitSwatch, resolve_outfit, resolve_shade
from tryon_desktop.errors import LookError

PKG = Path(__file__).resolve().parents[2] / "tryon_desktop"
HEADLESS = ("core", "effects", "pipeline", "render", "vision")


def test_look_round_trips_and_reads_old_settings():
    look = Look(lipstick=resolve_shade("Plum", finish="gloss"),
                outfit=OutfitSwatch("Navy stripes", rgb=(28, 38, 74), pattern="stripes", scale=0.3, rotation=90,
                                    strength=0.8))
    assert Look.from_dict(look.to_dict()) == look
    assert Look.from_dict({"lipstick": None, "outfit": None}).is_bare
    old = resolve_shade("Mocha").to_dict()  # what settings held before outfits existed
    assert Look.from_dict(old) == Look(lipstick=resolve_shade("Mocha"))
    assert not hasattr(Look(), "extras")


@pytest.mark.parametrize("bad", [dict(name="x"), dict(name="x", rgb=(1, 2, 3), strength=2),
                                 dict(name="x", pattern="stripes", scale=100.0), dict(name="", rgb=(1, 2, 3)),
                                 dict(name="x", rgb=(300, 0, 0))])
def test_bad_outfit_swatches_are_refused_with_a_message(bad):
    with pytest.raises(LookError):
        OutfitSwatch(**bad)


def test_resolve_outfit_takes_a_hex_colour():
    assert resolve_outfit("#1f3a93").rgb == (0x1F, 0x3A, 0x93)
    with pytest.raises(LookError, match="#RRGGBB"):
        resolve_outfit("navy-ish")


def test_engine_side_imports_neither_qt_nor_torch():
    """The import contract: core, effects, engine, pipeline (and render, vision) stay free of PySide6 and
    torch, at import time (checked in a fresh interpreter) and anywhere in their source (lazy imports too)."""
    mods = ["tryon_desktop.engine", "tryon_desktop.cli", "tryon_desktop.selftest"]
    for sub in HEADLESS:
        mods += [f"tryon_desktop.{sub}.{p.stem}" for p in sorted((PKG / sub).glob("*.py")) if p.stem != "__init__"]
    code = (f"import importlib, sys\nfor m in {mods!r}: importlib.import_module(m)\n"
            "print([m for m in ('PySide6', 'torch', 'tryon_desktop.ui', 'tryon_desktop.train') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
    offenders = []
    for path in [PKG / "engine.py", *[p for sub in HEADLESS for p in (PKG / sub).glob("*.py")]]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = line.strip().split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1 and (
                    words[1].split(".")[0] in ("PySide6", "torch") or words[1].startswith("tryon_desktop.ui")):
                offenders.append(f"{path.relative_to(PKG)}:{n}: {line.strip()}")
    assert offenders == []


# ---- the outfit renderer ------------------------------------------------------------------------------

def _garment(h=120, w=160, colour=(40, 60, 150)):
    """A shaded 'garment' (BGR): a colour times folds, with fine weave noise."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:h, 0:w]
    folds = 0.75 + 0.25 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    weave = 1.0 + 0.04 * rng.standard_normal((h, w))
    img = np.clip(np.array(colour, np.float32)[None, None] * (folds * weave)[..., None], 0, 255).astype(np.uint8)
    return img


def _highpass(y):
    import cv2

    return y - cv2.GaussianBlur(y, (0, 0), 3)



def test_a_black_garment_made_white_keeps_its_folds_and_loses_its_grain(monkeypatch):
    """A dark garment's fine detail is mostly sensor noise (2.5 levels of 30 here): carried into white by the
    shading ratio it was a speckled grey grain. render_garment shrinks detail under the noise it measures on
    the garment (render/outfit.py: quiet_luma): the folds stay, the grain goes."""
    import cv2

    import tryon_desktop.render.outfit as RO

    rng = np.random.default_rng(3)
    h, w = 160, 200
    yy, xx = np.mgrid[0:h, 0:w]
    folds = 30.0 * (0.75 + 0.25 * np.sin(xx / 7.0) * np.cos(yy / 11.0))
    grey = np.clip(folds + rng.normal(0.0, 2.5, (h, w)), 0, 255).astype(np.uint8)
    region = cv2.merge([grey, grey, grey])
    alpha = np.ones((h, w), np.float32)
    white = RO.rgb8_to_linear_bgr((235, 235, 230))

    def luma_out():
        return cv2.cvtColor(RO.render_garment(region, alpha, white), cv2.COLOR_BGR2GRAY).astype(np.float32)[8:-8, 8:-8]

    def grain(y):
        return float((y - cv2.GaussianBlur(y, (0, 0), 1.5)).std() / y.mean())

    quiet = luma_out()
    monkeypatch.setattr(RO, "quiet_luma", lambda y8, alpha, gain: y8)
    loud = luma_out()
    clean = folds[8:-8, 8:-8]
    for y in (quiet, loud):  # the folds, at the scale they have, in both
        assert np.corrcoef(cv2.GaussianBlur(y, (0, 0), 2.0).ravel(), clean.ravel())[0, 1] > 0.9
    assert grain(quiet) < 0.4 * grain(loud), (grain(quiet), grain(loud))
    assert np.corrcoef(quiet.ravel(), clean.ravel())[0, 1] > np.corrcoef(loud.ravel(), clean.ravel())[0, 1]

def test_reference_outfit_keeps_shading_and_takes_the_colour():
    import cv2

    from tryon_desktop.render.outfit import render_garment, rgb8_to_linear_bgr

    # (black to white: its own test below, where a dark garment's fine detail is mostly the camera's noise)
    for src_colour, target in (((40, 60, 150), (31, 58, 147)), ((220, 220, 220), (20, 30, 70))):
        region = _garment(colour=src_colour)
        alpha = np.ones(region.shape[:2], np.float32)
        out = render_garment(region, alpha, rgb8_to_linear_bgr(target))
        y0 = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY).astype(np.float32)
        y1 = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY).astype(np.float32)
        corr = np.corrcoef(_highpass(y0).ravel(), _highpass(y1).ravel())[0, 1]
        assert corr > 0.85, (src_colour, target, corr)
        med = np.median(out.reshape(-1, 3), axis=0)
        assert float(ciede2000(bgr8_to_lab(med), rgb8_to_lab(target))) < 8.0, (src_colour, target, med)


def test_strength_zero_leaves_the_garment_and_patterns_tile():
    from tryon_desktop.render.outfit import render_garment, rgb8_to_linear_bgr
    from tryon_desktop.render.patterns import PROCEDURAL, albedo_map

    region = _garment()
    alpha = np.ones(region.shape[:2], np.float32)
    same = render_garment(region, alpha, rgb8_to_linear_bgr((200, 10, 10)), strength=0.0)
    assert np.abs(same.astype(int) - region.astype(int)).max() <= 1
    for name in PROCEDURAL:
        a = albedo_map(name, 64, 96, 16.0, 0.0, (200, 20, 20))
        assert a.shape == (64, 96, 3) and a.dtype == np.float32 and 0.0 <= a.min() and a.max() <= 1.0
        assert a.std() > 0.05, name  # a pattern, not a flat colour
    with pytest.raises(LookError):
        albedo_map("/no/such/fabric.jpg", 8, 8, 4.0, 0.0, None)


def test_patterns_repeat_at_their_period():
    """A pattern keeps its physical scale: shifted by whole repeats (four, for the floral's turned
    flowers) it lands on itself, and at another period it does not."""
    from tryon_desktop.render.patterns import PROCEDURAL, albedo_map

    def matches(a):
        across = np.abs(a[:, :-64] - a[:, 64:]).max(axis=2) < 1e-3
        down = np.abs(a[:-64] - a[64:]).max(axis=2) < 1e-3
        return min(across.mean(), down.mean())

    for name in PROCEDURAL:
        assert matches(albedo_map(name, 160, 160, 16.0, 0.0, None)) > 0.97, name
        assert matches(albedo_map(name, 160, 160, 23.0, 0.0, None)) < 0.9, name


# ---- the engine with both effects ------------------------------------------------------------------

class FixedGarment:
    """Stands in for the garment segmenter: the lower 40% of the frame, at a low resolution."""

    notice = None

    def __init__(self, empty=False):
        self.empty, self.resets = empty, 0

    def load(self):
        pass

    def __call__(self, frame, timestamp, faces):
        m = np.zeros((36, 64), np.float32)
        if not self.empty:
            m[22:, 8:56] = 1.0
        return m

    def describe(self):
        return {"renderer": "fixed", "version": "test", "sha256": "", "provider": "CPU"}

    def reset(self):
        self.resets += 1


@pytest.fixture()
def engine(grace):
    from tryon_desktop.engine import TryOnEngine

    eng = TryOnEngine(model=None, video=True)
    eng.garment = FixedGarment()
    yield eng
    eng.close()


def test_both_effects_run_in_order_with_timings_per_effect(engine, grace):
    look = Look(lipstick=resolve_shade("Classic Red"), outfit=resolve_outfit("#1F3A93"))
    res = engine.process(grace, look, timestamp=0.0)
    for key in ("track", "garment", "outfit.align", "outfit.generate", "outfit.blend", "lipstick.align",
                "lipstick.generate", "lipstick.blend", "align", "generate", "blend", "total"):
        assert key in res.timings_ms, key
    assert res.timings_ms["generate"] == pytest.approx(res.timings_ms["outfit.generate"]
                                                       + res.timings_ms["lipstick.generate"])
    h = grace.shape[0]
    lower = res.frame[int(h * 0.7):].astype(int) - grace[int(h * 0.7):].astype(int)
    assert np.abs(lower).max() > 30  # the outfit changed the garment area
    face = res.faces[0]
    assert np.abs(res.frame[face.box.slices].astype(int) - grace[face.box.slices].astype(int)).max() > 30
    assert res.status == {}


def test_the_garment_mask_is_computed_only_when_needed(engine, grace):
    res = engine.process(grace, resolve_shade("Plum"), timestamp=0.0)
    assert "garment" not in res.timings_ms and "outfit.generate" not in res.timings_ms
    assert res.garment_mask is None
    res = engine.process(grace, resolve_shade("Plum"), timestamp=0.1, garment_mask=True)
    assert res.garment_mask is not None and "outfit.generate" not in res.timings_ms


def test_no_garment_passes_the_frame_through_and_says_so(engine, grace):
    engine.garment = FixedGarment(empty=True)
    res = engine.process(grace, resolve_outfit("#1F3A93"), timestamp=0.0)
    assert res.status == {"outfit": "no garment found"}
    assert np.array_equal(res.frame, grace)


def test_show_mask_draws_the_mask(engine, grace):
    res = engine.process(grace, None, timestamp=0.0, show_mask=True)
    h = grace.shape[0]
    diff = res.frame[int(h * 0.7):].astype(int) - grace[int(h * 0.7):].astype(int)
    assert diff[..., 1].mean() > 10  # tinted green


def test_reset_clears_every_effects_memory(grace):
    from tryon_desktop.effects.lipstick import DEFAULT_LIPSTICK_MANIFEST
    from tryon_desktop.engine import TryOnEngine

    if not DEFAULT_LIPSTICK_MANIFEST.exists():
        pytest.skip("no shipped lipstick generator")
    with TryOnEngine(video=True, providers=["CPUExecutionProvider"]) as eng:
        eng.garment = FixedGarment()
        for i in range(3):
            eng.process(grace, resolve_shade("Plum"), timestamp=i / 30)
        assert eng.lipstick.name == "gan" and eng.lipstick._memory, "the generator keeps a temporal memory"
        assert eng.smoother is not None and eng.smoother._tracks
        eng.reset()
        assert eng.lipstick._memory == []
        assert not eng.smoother._tracks
        assert eng.garment.resets == 1


def test_snapshot_metadata_describes_the_whole_look(engine):
    from tryon_desktop.pipeline.recorder import snapshot_meta
    from tryon_desktop.pipeline.worker import model_info

    look = Look(lipstick=resolve_shade("Plum"), outfit=resolve_outfit("#1F3A93"))
    meta = snapshot_meta(look, model_info(engine), False, (640, 480))
    assert meta["look"] == look.to_dict()
    assert set(meta["models"]) == {"lipstick", "outfit", "garment_mask"}
    from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST

    outfit = meta["models"]["outfit"]
    assert outfit["renderer"] == ("gan" if DEFAULT_OUTFIT_MANIFEST.exists() else "reference")
    assert len(outfit["sha256"]) == 64
    assert meta["shade"] == "Plum" and meta["outfit"] == "#1F3A93"
    only_lips = snapshot_meta(Look(lipstick=resolve_shade("Plum")), model_info(engine), False, (640, 480))
    assert set(only_lips["models"]) == {"lipstick"}


def test_pattern_origin_pins_it_in_frame_coordinates(tmp_path):
    """A box that grows or moves by a few pixels draws the same pattern where the boxes overlap, when its
    origin says where it sits (procedural patterns and fabric photos alike)."""
    import cv2

    from tryon_desktop.render.patterns import albedo_map

    fabric = tmp_path / "fabric.png"
    rng = np.random.default_rng(1)
    cv2.imwrite(str(fabric), cv2.GaussianBlur(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8), (0, 0), 1.5))
    for name in ("stripes", "gingham", "floral", str(fabric)):
        for rot in (0.0, 17.0):
            a = albedo_map(name, 80, 90, 13.0, rot, (200, 20, 20), origin=(-40.0, -30.0))
            b = albedo_map(name, 70, 80, 13.0, rot, (200, 20, 20), origin=(-33.0, -25.0))  # 7 right, 5 down
            assert np.abs(a[5:75, 7:87] - b).max() < 5e-3, (name, rot)  # (OpenCV warps at 1/32 px steps)
            c = albedo_map(name, 80, 90, 13.0, rot, (200, 20, 20))  # the box corner as origin: not the same
            assert np.abs(a - c).max() > 0.05, (name, rot)


def test_pattern_anchor_averages_the_mask_wobble_and_follows_a_move():
    from tryon_desktop.effects.outfit import PatternAnchor

    rng = np.random.default_rng(2)
    anchor = PatternAnchor()
    centres, widths = [], []
    for k in range(60):  # a still body: the mask's centre and width wobble by a pixel or so
        c, w = anchor((400.0 + rng.normal(0, 0.7), 300.0 + rng.normal(0, 0.7)), 300.0 + rng.normal(0, 2.0), k / 30)
        centres.append(c)
        widths.append(w)
    steps = np.hypot(*np.diff(np.array(centres[10:]), axis=0).T)
    assert steps.mean() < 0.35  # the raw centre moves ~0.9 px a frame; pinned, a fraction of that
    assert np.std(widths[10:]) < 1.0
    # the person moves 30 px: followed at once, not eased in
    c, _ = anchor((430.0, 300.0), 300.0, 60 / 30)
    assert abs(c[0] - 430.0) < 1.0
    # a gap in time starts afresh
    c, w = anchor((100.0, 100.0), 200.0, 60 / 30 + 2.0)
    assert c == (100.0, 100.0) and w == 200.0
    anchor.reset()
    assert anchor.centre is None
