"""The tryon_desktop package as it was at a git revision, importable beside this tree's (for benchmarks that
alternate old and new code frame by frame in one process: the same frames, the same noise)."""

from __future__ import annotations

import atexit
import importlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_tree(rev: str, prefix: str = "bench_"):
    """The package at git revision `rev`, imported as `tryon_desktop_at_<rev>` from a temporary folder (its
    own imports renamed to match; the shipped assets are this tree's). Raises OSError or
    subprocess.CalledProcessError when git cannot give it."""
    data = subprocess.run(["git", "archive", rev, "tryon_desktop"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    name = "tryon_desktop_at_" + re.sub(r"\W", "_", rev)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, tmp, True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp, filter="data")
    (tmp / "tryon_desktop").rename(tmp / name)
    word = re.compile(r"\btryon_desktop\b")
    for f in (tmp / name).rglob("*.py"):
        f.write_text(word.sub(name, f.read_text()))
    (tmp / "assets").symlink_to(ROOT / "assets")
    sys.path.insert(0, str(tmp))
    return importlib.import_module(name)
