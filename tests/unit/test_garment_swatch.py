"""Swatch from a garment photo: finding the garment, its colour and fabric crop, and the custom swatch store."""

import errno
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from tryon_desktop.core.colour import ciede2000, rgb8_to_lab
from tryon_desktop.core.looks import OutfitSwatch, check_pattern
from tryon_desktop.errors import InputError, LookError, OutputError
from tryon_desktop.vision import garment_swatch as gs

SHIRT_RGB = (38, 92, 164)


def shirt_photo(rgb=SHIRT_RGB, w=600, h=720, bg=(255, 255, 255), seed=0):
    """A T-shirt shape in `rgb` on a plain background, lit from the top-left with a few darker folds and a
    highlight, plus sensor noise: (BGR image, true bool mask)."""
    poly = np.array([[200, 110], [260, 90], [300, 120], [340, 90], [400, 110], [520, 200], [470, 290],
                     [430, 250], [440, 640], [160, 640], [170, 250], [130, 290], [80, 200]], np.float32)
    poly *= np.float32([w / 600, h / 720])
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 + 0.08 * (0.5 - xx / w) + 0.06 * (0.5 - yy / h)  # a gentle light gradient
    for x0 in (0.38, 0.55, 0.66):  # folds: narrow shadows
        light -= 0.35 * np.exp(-(((xx / w - x0) * 60) ** 2))
    light += 0.5 * np.exp(-(((xx / w - 0.3) * 40) ** 2 + ((yy / h - 0.3) * 40) ** 2))  # a specular highlight
    lin = (np.asarray(rgb[::-1], np.float32) / 255.0) ** 2.2
    garment = np.clip((lin * light[..., None]) ** (1 / 2.2) * 255.0, 0, 255)
    img = np.where(mask[..., None] > 0, garment, np.float32(bg[::-1]))
    img += np.random.default_rng(seed).normal(0, 1.5, img.shape)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), mask.astype(bool)


def iou(a, b):
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.fixture(scope="module")
def finder():
    with gs.GarmentFinder() as f:
        yield f


@pytest.fixture
def store(tmp_path, monkeypatch):
    d = tmp_path / "data"
    monkeypatch.setenv(gs.DATA_ENV, str(d))
    return d


# ---- finding the garment ------------------------------------------------------------------------------

def test_product_photo_found(finder):
    img, truth = shirt_photo()
    found = finder.find(img)
    assert found.how == gs.PRODUCT
    assert found.mask.shape == truth.shape and found.mask.dtype == bool
    assert iou(found.mask, truth) > 0.95
    x, y, w, h = found.box
    assert abs(w - 440) < 12 and abs(h - 550) < 12
    assert found.background == pytest.approx((255, 255, 255), abs=2)


def test_product_photo_on_light_grey_with_a_white_shirt(finder):
    img, truth = shirt_photo(rgb=(246, 246, 244), bg=(232, 232, 232), seed=1)
    found = finder.find(img, gs.PRODUCT)
    assert iou(found.mask, truth) > 0.9


def test_colour_close_to_the_drawn_one():
    img, truth = shirt_photo()
    rgb = gs.garment_colour(img, truth)
    de = float(ciede2000(rgb8_to_lab(rgb), rgb8_to_lab(SHIRT_RGB)))
    assert de < 3.0, (rgb, de)


def test_colour_of_a_colour_blocked_top_is_its_main_colour():
    img, truth = shirt_photo(rgb=(200, 30, 50))
    ys, xs = np.nonzero(truth)
    band = truth & (np.arange(truth.shape[0])[:, None] > np.percentile(ys, 70))  # a navy hem band (~30%)
    img[band] = (80, 30, 20)
    rgb = gs.garment_colour(img, truth)
    assert float(ciede2000(rgb8_to_lab(rgb), rgb8_to_lab((200, 30, 50)))) < 6.0, rgb


def test_default_crop_inside_the_garment():
    img, truth = shirt_photo()
    x, y, s, s2 = gs.default_crop(truth)
    assert s == s2 and s >= 80
    assert truth[y:y + s, x:x + s].all()
    # off its edges: the square grown by 2% of the shoulder width is still inside
    m = round(0.02 * gs.shoulder_width(truth))
    assert truth[y - m:y + s + m, x - m:x + s + m].all()
    crop = gs.fabric_crop(img, (x, y, s, s))
    assert crop.shape == (s, s, 3)


def test_fabric_crop_moved_inside_the_image():
    img = np.zeros((100, 120, 3), np.uint8)
    assert gs.fabric_crop(img, (110, -20, 50, 50)).shape == (50, 50, 3)
    with pytest.raises(LookError):
        gs.fabric_crop(img, (10, 10, 2, 2))


def test_fabric_tile_repeats_stripes_without_a_seam():
    rows = (np.arange(200) // 9) % 2  # stripes 18 px a period
    crop = np.where(rows[:, None, None] > 0, 240, 30).astype(np.uint8) * np.ones((200, 200, 3), np.uint8)
    tile, repeat = gs.fabric_tile(crop)
    assert tile.shape[0] % 18 == 0  # cut to whole stripe periods down the tile
    wrapped = np.vstack([tile, tile]).astype(int)
    step = np.abs(np.diff(wrapped[:, 50, 0]))
    # every stripe edge sharp, none extra or half-blended where the tile wraps round
    assert (step > 100).sum() == 2 * tile.shape[0] // 9 - 1 and not ((step > 15) & (step <= 100)).any()
    assert repeat == tile.shape[1]


def test_fabric_scale_is_the_tile_over_the_shoulders():
    _, truth = shirt_photo()
    sw = gs.shoulder_width(truth)
    assert gs.fabric_scale(truth, 0.2 * sw) == pytest.approx(0.2, rel=1e-6)
    assert gs.fabric_scale(truth, 100 * sw) == 4.0  # clipped to the swatch's range


def test_worn_garment_on_the_demo_photo(finder, grace):
    found = finder.find(grace)
    assert found.how == gs.WORN
    assert 0.05 < found.area < 0.8
    # the uniform, not the face: the garment lies in the photo's lower part
    ys, _ = np.nonzero(found.mask)
    assert np.median(ys) > 0.6 * grace.shape[0]


@pytest.mark.parametrize("make", [
    lambda: np.full((480, 640, 3), 255, np.uint8),
    lambda: np.random.default_rng(3).integers(0, 256, (480, 640, 3), dtype=np.uint8),
    lambda: np.zeros((16, 16, 3), np.uint8),
], ids=["blank", "noise", "tiny"])
def test_no_garment_is_a_clear_error(finder, make):
    with pytest.raises(gs.GarmentNotFoundError, match="no garment found|too small"):
        finder.find(make())


def test_no_garment_saves_nothing(finder, store, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 300, 3), 255, np.uint8))
    with pytest.raises(gs.GarmentNotFoundError):
        gs.swatch_from_photo(blank, "Blank", finder=finder)
    assert not store.exists() or not any(store.rglob("*"))


def test_corrupt_file_is_a_clear_error_and_saves_nothing(store, tmp_path):
    bad = tmp_path / "shirt.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(300))
    with pytest.raises(InputError):
        gs.swatch_from_photo(bad, "Shirt")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(InputError, match="not an image"):
        gs.swatch_from_photo(text, "Shirt")
    assert not store.exists()


# ---- the store ----------------------------------------------------------------------------------------------

def test_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(gs.DATA_ENV, str(tmp_path / "x"))
    assert gs.user_data_dir() == tmp_path / "x"
    monkeypatch.delenv(gs.DATA_ENV)
    monkeypatch.setattr(gs.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert gs.user_data_dir() == tmp_path / "xdg" / "tryon-desktop" / "tryon-desktop"
    monkeypatch.setattr(gs.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert gs.user_data_dir() == tmp_path / "roaming" / "tryon-desktop" / "tryon-desktop"
    monkeypatch.setattr(gs.sys, "platform", "darwin")
    assert gs.user_data_dir().parts[-4:] == ("Library", "Application Support", "tryon-desktop", "tryon-desktop")


def test_save_and_load_colour_and_fabric(store):
    img, truth = shirt_photo()
    box = gs.default_crop(truth)
    colour = gs.save_custom_swatch("Blue tee", img, truth, box, use="colour", source="/x/blue tee.jpg")
    fabric = gs.save_custom_swatch("Blue tee", img, truth, box, use="fabric")
    assert colour.rgb is not None and colour.pattern is None
    assert fabric.name == "Blue tee (2)"  # the name was taken
    assert Path(fabric.pattern).is_file() and Path(fabric.pattern).parent == store / gs.FABRIC_DIR
    check_pattern(fabric.pattern)  # the outfit effect accepts it
    assert fabric.scale == pytest.approx(gs.fabric_scale(truth, gs.fabric_tile(gs.fabric_crop(img, box))[1]), abs=1e-4)
    data = json.loads((store / gs.CUSTOM_FILE).read_text(encoding="utf-8"))
    assert [e["name"] for e in data["swatches"]] == ["Blue tee", "Blue tee (2)"]
    assert data["swatches"][1]["pattern"].startswith("fabrics/")  # kept relative to the store
    assert data["swatches"][0]["source"] == "blue tee.jpg"
    loaded, problems = gs.load_custom_swatches()
    assert problems == []
    assert loaded == [colour, fabric]
    assert [p.name for p in store.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_failed_write_keeps_earlier_swatches(store, monkeypatch):
    img, truth = shirt_photo()
    box = gs.default_crop(truth)
    gs.save_custom_swatch("First", img, truth, box, use="fabric")
    before = (store / gs.CUSTOM_FILE).read_bytes()
    files_before = sorted(p.name for p in store.rglob("*"))

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    for use in ("fabric", "colour"):
        with pytest.raises(OutputError, match="disk full"):
            gs.save_custom_swatch("Second", img, truth, box, use=use)
    monkeypatch.undo()
    monkeypatch.setenv(gs.DATA_ENV, str(store))
    assert (store / gs.CUSTOM_FILE).read_bytes() == before
    assert sorted(p.name for p in store.rglob("*")) == files_before  # no partial or temporary file

    # the fabric image written, then the list fails: the image is taken back
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith(gs.CUSTOM_FILE):
            raise OSError(errno.EIO, "I/O error")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError):
        gs.save_custom_swatch("Third", img, truth, box, use="fabric")
    monkeypatch.undo()
    assert (store / gs.CUSTOM_FILE).read_bytes() == before
    assert sorted(p.name for p in store.rglob("*")) == files_before
    assert [s.name for s in gs.load_custom_swatches(store)[0]] == ["First"]


def test_load_skips_and_reports_bad_entries(store):
    store.mkdir(parents=True)
    (store / gs.FABRIC_DIR).mkdir()
    cv2.imwrite(str(store / "fabrics" / "ok.png"), np.full((32, 32, 3), 128, np.uint8))
    entries = [
        {"name": "Good colour", "hex": "#112233"},
        {"name": "Good fabric", "hex": None, "pattern": "fabrics/ok.png", "scale": 0.2},
        {"hex": "#112233"},
        {"name": "Bad hex", "hex": "blue"},
        {"name": "Gone", "hex": None, "pattern": "fabrics/gone.png"},
        {"name": "good colour", "hex": "#445566"},
        "not an entry",
        {"name": "Bad scale", "hex": "#112233", "pattern": "stripes", "scale": 99},
    ]
    (store / gs.CUSTOM_FILE).write_text(json.dumps({"version": 1, "swatches": entries}), encoding="utf-8")
    loaded, problems = gs.load_custom_swatches(store)
    assert [s.name for s in loaded] == ["Good colour", "Good fabric"]
    assert loaded[1].pattern == str(store / "fabrics" / "ok.png")
    assert len(problems) == 6
    assert any("gone.png is missing" in p for p in problems)
    assert any("used twice" in p for p in problems)
    # saving keeps every entry, even those this version cannot read
    img, truth = shirt_photo()
    gs.save_custom_swatch("New", img, truth, gs.default_crop(truth), use="colour")
    data = json.loads((store / gs.CUSTOM_FILE).read_text(encoding="utf-8"))
    assert data["swatches"][:-1] == entries and data["swatches"][-1]["name"] == "New"


def test_unreadable_store_is_reported_then_set_aside(store):
    store.mkdir(parents=True)
    (store / gs.CUSTOM_FILE).write_text("{ not json", encoding="utf-8")
    loaded, problems = gs.load_custom_swatches(store)
    assert loaded == [] and len(problems) == 1 and "unreadable" in problems[0]
    img, truth = shirt_photo()
    gs.save_custom_swatch("After", img, truth, gs.default_crop(truth), use="colour")
    aside = list(store.glob("custom_outfits.unreadable-*.json"))
    assert len(aside) == 1 and aside[0].read_text(encoding="utf-8") == "{ not json"
    assert [s.name for s in gs.load_custom_swatches(store)[0]] == ["After"]


def test_bad_name_and_use(store):
    img, truth = shirt_photo()
    with pytest.raises(LookError, match="name"):
        gs.save_custom_swatch("   ", img, truth, gs.default_crop(truth))
    with pytest.raises(LookError):
        gs.save_custom_swatch("X", img, truth, gs.default_crop(truth), use="both")
    assert not store.exists()


def test_swatch_from_photo(store, tmp_path, finder):
    img, _ = shirt_photo()
    path = tmp_path / "navy shirt.png"
    cv2.imwrite(str(path), img)
    sw = gs.swatch_from_photo(path, finder=finder, use="colour")
    assert isinstance(sw, OutfitSwatch) and sw.name == "navy shirt"
    assert float(ciede2000(rgb8_to_lab(sw.rgb), rgb8_to_lab(SHIRT_RGB))) < 3.0


# ---- real product photos (skipped without the shared data) --------------------------------------------------

@pytest.mark.shared_data
def test_vivid_product_photos_match_their_true_masks(finder, shared_data):
    garments = shared_data / "garments"
    paths = sorted((garments / "vivid").glob("*.jpg"))
    if not paths or not (garments / "vivid_mask").is_dir():
        pytest.skip("../shared/data/garments/vivid and vivid_mask are absent")
    for path in paths:
        img = cv2.imread(str(path))
        truth = cv2.imread(str(garments / "vivid_mask" / path.name), cv2.IMREAD_GRAYSCALE) > 127
        found = finder.find(img)
        assert found.how == gs.PRODUCT, path.name
        assert iou(found.mask, truth) > 0.93, path.name
        x, y, s, _ = gs.default_crop(found.mask)
        assert truth[y:y + s, x:x + s].mean() > 0.98, path.name
