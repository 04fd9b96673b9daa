"""The package list in pyproject.toml is written by hand (the top-level assets/ folder is mapped into the
wheel as tryon_desktop/assets): a package folder missing from it would be left out of the wheel."""

import re
from pathlib import Path

from tryon_desktop.paths import ASSETS_DIR, MODELS_DIR, SWATCHES_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(re.findall(r'"(tryon_desktop(?:\.\w+)*)"', re.search(r"(?s)packages = \[(.*?)\]", text).group(1)))
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "tryon_desktop").rglob("__init__.py")}
    assert found - listed == set(), f"add these to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "tryon_desktop.assets" in listed


def test_assets_are_found_in_a_source_checkout():
    assert ASSETS_DIR == ROOT / "assets"
    assert (SWATCHES_DIR / "lipsticks.json").is_file()
    assert (SWATCHES_DIR / "outfits.json").is_file()
    assert (MODELS_DIR / "lipstick_generator.json").is_file()
