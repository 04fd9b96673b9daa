"""User-facing errors: each carries a one-line message that names the problem."""

from __future__ import annotations

import json
from pathlib import Path


class TryOnError(Exception):
    """An error the user caused or can fix; front ends print `str(err)` and exit non-zero."""


class InputError(TryOnError):
    """An input file is missing, unreadable, corrupt or in a format we do not handle."""


class LookError(TryOnError):
    """A shade name, colour, finish, opacity or catalogue entry is invalid."""


class ModelError(TryOnError):
    """A model file or its manifest is missing, corrupt or does not match."""


class OutputError(TryOnError):
    """An output cannot be written (permissions, full disk, would overwrite the input)."""


def read_json(path: str | Path, error: type[TryOnError], what: str):
    """Parse a JSON file, turning every way it can fail into `error` with a one-line message."""
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} not found: {p}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{what} {p} is not valid JSON: {exc}") from None
