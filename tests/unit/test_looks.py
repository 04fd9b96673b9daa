import json

import pytest

from tryon_desktop.core.looks import Finish, Shade, default_catalogue, load_catalogue, parse_hex, resolve_shade
from tryon_desktop.errors import LookError


def test_catalogue_is_valid_and_broad():
    shades = default_catalogue()
    assert len(shades) >= 24
    families = {s.family for s in shades}
    assert {"nude", "pink", "red", "berry", "coral", "brown", "plum", "fashion"} <= families
    assert {s.finish for s in shades} == set(Finish)
    names = [s.name for s in shades]
    assert any("Black" in n for n in names) and any("Blue" in n for n in names) and any("Lilac" in n for n in names)


def test_resolve_by_name_and_hex():
    assert resolve_shade("classic red").hex == "#C21F2F"
    s = resolve_shade("#b0243a", finish="gloss", opacity=0.5)
    assert s.rgb == (0xB0, 0x24, 0x3A) and s.finish is Finish.GLOSS and s.opacity == 0.5


@pytest.mark.parametrize("bad", ["#12345", "#GGGGGG", "red-ish", "", "#1234567"])
def test_bad_shade_specs_raise_a_clear_error(bad):
    with pytest.raises(LookError) as err:
        resolve_shade(bad)
    assert "\n" not in str(err.value)


def test_bad_hex_and_finish_and_opacity():
    with pytest.raises(LookError, match="bad colour"):
        parse_hex("#12G456")
    with pytest.raises(LookError, match="finish"):
        resolve_shade("Classic Red", finish="velvet")
    with pytest.raises(LookError, match="opacity"):
        Shade("x", (1, 2, 3), opacity=1.5)


@pytest.mark.parametrize("entry, message", [
    ({"name": "Bad", "hex": "#ZZZZZZ"}, "bad colour"),
    ({"name": "Bad", "hex": "#112233", "finish": "velvet"}, "finish"),
    ({"name": "Bad", "hex": "#112233", "opacity": "lots"}, "opacity"),
    ({"hex": "#112233"}, "lacks name"),
    ("just a string", "must be an object"),
])
def test_catalogue_with_a_bad_entry_names_it(tmp_path, entry, message):
    p = tmp_path / "cat.json"
    p.write_text(json.dumps({"shades": [{"name": "Good", "hex": "#112233"}, entry]}))
    with pytest.raises(LookError, match=message) as err:
        load_catalogue(p)
    assert "entry 2" in str(err.value)


def test_catalogue_not_json_and_duplicates(tmp_path):
    p = tmp_path / "cat.json"
    p.write_text("{not json")
    with pytest.raises(LookError, match="not valid JSON"):
        load_catalogue(p)
    p.write_text(json.dumps({"shades": [{"name": "A", "hex": "#112233"}, {"name": "a", "hex": "#112234"}]}))
    with pytest.raises(LookError, match="duplicate"):
        load_catalogue(p)
