"""The shipped outfit catalogue and how names, colours and patterns resolve."""

import json

import numpy as np
import pytest

from tryon_desktop.core.looks import (
    PATTERNS,
    default_outfit_catalogue,
    load_outfit_catalogue,
    resolve_outfit,
)
from tryon_desktop.errors import LookError
from tryon_desktop.render.patterns import PROCEDURAL, procedural


def test_catalogue_is_broad_and_every_pattern_draws():
    cat = default_outfit_catalogue()
    colours = [s for s in cat if not s.is_pattern]
    patterns = [s for s in cat if s.is_pattern]
    assert len(colours) >= 24 and len(patterns) >= 12
    assert {s.family for s in colours} >= {"neutral", "dark", "bright", "pastel", "denim"}
    kinds = {s.pattern for s in patterns}
    # stripes in two widths, Breton, gingham, tartan, houndstooth, dots, herringbone, denim, floral, knit
    assert kinds >= {"stripes", "pinstripe", "breton", "gingham", "tartan", "houndstooth", "dots", "herringbone",
                     "denim", "floral", "knit"}
    assert set(PATTERNS) == set(PROCEDURAL)
    for sw in patterns:
        tile = procedural(sw.pattern, 32, 32, 16.0, sw.rotation, sw.rgb)
        assert tile.shape == (32, 32, 3) and np.isfinite(tile).all()
        assert tile.std() > 0.01, sw.name  # a pattern, not a flat colour


def test_pinstripe_is_thinner_than_stripes():
    thin = procedural("pinstripe", 64, 64, 16.0, 0.0, (0, 0, 0)).mean()
    wide = procedural("stripes", 64, 64, 16.0, 0.0, (0, 0, 0)).mean()
    assert thin > wide  # less dark ink on the white ground


def test_resolve_names_hex_and_overrides():
    assert resolve_outfit("navy").name == "Navy"
    assert resolve_outfit("#1f3a93").rgb == (31, 58, 147)
    g = resolve_outfit("Gingham", scale=0.3, rotation=20, strength=0.5)
    assert (g.pattern, g.scale, g.rotation, g.strength) == ("gingham", 0.3, 20.0, 0.5)
    s = resolve_outfit("Navy", pattern="stripes")
    assert s.pattern == "stripes" and s.rgb == resolve_outfit("Navy").rgb
    t = resolve_outfit("", pattern="tartan")
    assert t.pattern == "tartan" and t.rgb is None


@pytest.mark.parametrize("spec, pattern, message", [
    ("nav", None, "did you mean Navy"),
    ("Navvy", None, "did you mean Navy"),
    ("gingam", None, "did you mean Gingham"),
    ("no such", None, "unknown outfit"),
    ("navy", "plaid", "unknown pattern"),
    ("navy", "missing.png", "does not exist"),
    ("", None, "give an outfit"),
])
def test_bad_outfit_specs_raise_a_clear_error(spec, pattern, message):
    with pytest.raises(LookError, match=message):
        resolve_outfit(spec, pattern=pattern)


def test_a_fabric_file_is_a_pattern(tmp_path):
    f = tmp_path / "shirt.png"
    f.write_bytes(b"x")
    assert resolve_outfit("", pattern=str(f)).name == "shirt"


@pytest.mark.parametrize("entry, message", [
    ({"hex": "#112233"}, "lacks a name"),
    ({"name": "A", "hex": "#11223"}, "bad colour"),
    ({"name": "A"}, "give a colour or a pattern"),
    ({"name": "A", "pattern": "plaid"}, "unknown pattern"),
    ({"name": "A", "pattern": "dots", "scale": 9}, "pattern scale"),
    ({"name": "A", "hex": "#112233", "strength": 2}, "strength"),
])
def test_catalogue_with_a_bad_entry_names_it(tmp_path, entry, message):
    p = tmp_path / "outfits.json"
    p.write_text(json.dumps({"swatches": [{"name": "Good", "hex": "#000000"}, entry]}))
    with pytest.raises(LookError, match=f"entry 2: .*{message}"):
        load_outfit_catalogue(p)


def test_catalogue_not_json_empty_and_duplicates(tmp_path):
    p = tmp_path / "outfits.json"
    p.write_text("{not json")
    with pytest.raises(LookError):
        load_outfit_catalogue(p)
    p.write_text(json.dumps({"swatches": []}))
    with pytest.raises(LookError, match="non-empty"):
        load_outfit_catalogue(p)
    p.write_text(json.dumps({"swatches": [{"name": "A", "hex": "#000000"}, {"name": "a", "hex": "#FFFFFF"}]}))
    with pytest.raises(LookError, match="duplicate"):
        load_outfit_catalogue(p)
