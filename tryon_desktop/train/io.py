"""Atomic file writes and safe checkpoints (tensors + plain data only, loaded with weights_only=True)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _tmp_beside(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = _tmp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; shipped models and docs must be readable by all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_torch_save(obj, path: str | Path) -> None:
    import torch

    path = Path(path)
    fd, tmp = _tmp_beside(path)
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_image_write(path: str | Path, img, params=None) -> None:
    import cv2

    path = Path(path)
    ok, buf = cv2.imencode(path.suffix or ".png", img, params or [])
    if not ok:
        raise OSError(f"could not encode {path.name}")
    atomic_write_bytes(path, buf.tobytes())


def load_checkpoint(path: str | Path) -> dict:
    """torch.load with weights_only=True: tensors and plain Python data, never arbitrary pickles."""
    import pickle

    import torch

    from tryon_desktop.errors import InputError

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"checkpoint not found: {path}") from None
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as exc:
        raise InputError(f"checkpoint {path} is not a safe tryon checkpoint: {str(exc).splitlines()[0]}") from None


def run_command(prog: str, work, indent: int | None = None) -> int:
    """A training or export command's ending: run `work()` (which returns its summary dict, printed as JSON),
    a TryOnError as one line and exit 1, Ctrl+C as one line and exit 130."""
    import json
    import sys

    from tryon_desktop.errors import TryOnError

    try:
        print(json.dumps(work(), indent=indent))
    except TryOnError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted (a training run keeps its last checkpoint; run again to resume)", file=sys.stderr)
        return 130
    return 0
