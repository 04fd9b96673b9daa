"""Where the shipped assets (models, swatch catalogues, icons) are, in every way the app is run.

The repository keeps them in a top-level `assets/` folder. A wheel and the frozen build put that folder
inside the package as `tryon_desktop/assets` (pyproject's package-dir mapping, the PyInstaller spec), and
a source checkout or editable install reads the top-level folder itself.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _assets_dir() -> Path:
    for candidate in (PACKAGE_DIR / "assets", PACKAGE_DIR.parent / "assets"):
        if (candidate / "swatches").is_dir():
            return candidate
    return PACKAGE_DIR.parent / "assets"


ASSETS_DIR = _assets_dir()
MODELS_DIR = ASSETS_DIR / "models"
SWATCHES_DIR = ASSETS_DIR / "swatches"
ICONS_DIR = ASSETS_DIR / "icons"
