"""Face photos that ship inside packages this project already depends on, for smoke runs and parity
checks on any machine (no ../shared needed): matplotlib's grace_hopper.jpg, scikit-image's astronaut.png."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from tryon_desktop.errors import InputError


def package_faces() -> list[Path]:
    found: list[Path] = []
    try:
        import matplotlib

        p = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
        if p.is_file():
            found.append(p)
    except ImportError:
        pass
    try:
        import skimage

        p = Path(skimage.__file__).parent / "data" / "astronaut.png"
        if p.is_file():
            found.append(p)
    except ImportError:
        pass
    if not found:
        raise InputError("no package-shipped face photo found (matplotlib's grace_hopper.jpg or skimage's astronaut.png)")
    return found


def smoke_folder(dest: str | Path) -> Path:
    """Copy the package faces into `dest` (a folder of photos, as tryon-train expects)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for p in package_faces():
        shutil.copy(p, dest / p.name)
    return dest


@functools.lru_cache(maxsize=1)
def smoke_cache():
    from tryon_desktop.train.data import build_cache

    with tempfile.TemporaryDirectory() as tmp:
        folder = smoke_folder(Path(tmp) / "faces")
        return build_cache([folder], Path(tmp) / "faces.npz", progress=False)
