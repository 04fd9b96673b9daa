"""Looks: what the user chose to wear. A `Shade` is one lipstick, an `OutfitSwatch` what the worn top
becomes; `Look` bundles what is worn at once.

Colours are sRGB 8-bit triples in (R, G, B) order, as a user would type them (#RRGGBB).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from pathlib import Path

from tryon_desktop.errors import LookError, read_json
from tryon_desktop.paths import SWATCHES_DIR

CATALOGUE_PATH = SWATCHES_DIR / "lipsticks.json"
OUTFIT_CATALOGUE_PATH = SWATCHES_DIR / "outfits.json"

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


class Finish(str, Enum):
    MATTE = "matte"
    SATIN = "satin"
    GLOSS = "gloss"
    SHIMMER = "shimmer"

    @classmethod
    def parse(cls, value: str | Finish) -> Finish:
        if isinstance(value, Finish):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            names = ", ".join(f.value for f in cls)
            raise LookError(f"unknown finish {value!r}: choose one of {names}") from None


FINISHES: tuple[Finish, ...] = tuple(Finish)


def parse_hex(text: str) -> tuple[int, int, int]:
    """'#RRGGBB' or 'RRGGBB' -> (r, g, b); anything else raises LookError."""
    m = _HEX.match(str(text).strip())
    if not m:
        raise LookError(f"bad colour {text!r}: expected #RRGGBB, for example #B0243A")
    h = m.group(1)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@dataclass(frozen=True)
class Shade:
    """One lipstick: a name, an sRGB colour, a finish and an opacity in [0, 1]."""

    name: str
    rgb: tuple[int, int, int]
    finish: Finish = Finish.SATIN
    opacity: float = 0.85
    family: str = "custom"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise LookError("a shade needs a non-empty name")
        rgb = tuple(self.rgb)
        if len(rgb) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in rgb):
            raise LookError(f"shade {self.name!r}: colour must be three integers 0-255, got {self.rgb!r}")
        object.__setattr__(self, "rgb", rgb)
        object.__setattr__(self, "finish", Finish.parse(self.finish))
        try:
            opacity = float(self.opacity)
        except (TypeError, ValueError):
            raise LookError(f"shade {self.name!r}: opacity must be a number, got {self.opacity!r}") from None
        if not 0.0 <= opacity <= 1.0:
            raise LookError(f"shade {self.name!r}: opacity must be between 0 and 1, got {opacity}")
        object.__setattr__(self, "opacity", opacity)

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)

    def with_(self, **changes) -> Shade:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {"name": self.name, "hex": self.hex, "finish": self.finish.value,
                "opacity": round(self.opacity, 3), "family": self.family}

    @classmethod
    def from_dict(cls, d: dict) -> Shade:
        if not isinstance(d, dict):
            raise LookError(f"a shade entry must be an object, got {type(d).__name__}")
        missing = [k for k in ("name", "hex") if k not in d]
        if missing:
            raise LookError(f"shade entry {d.get('name', '?')!r} lacks {', '.join(missing)}")
        return cls(name=d["name"], rgb=parse_hex(d["hex"]), finish=d.get("finish", "satin"),
                   opacity=d.get("opacity", 0.85), family=d.get("family", "custom"))


PATTERNS: tuple[str, ...] = ("stripes", "breton", "gingham", "tartan", "houndstooth", "dots", "herringbone",
                              "denim", "floral", "knit", "pinstripe")
SCALE_RANGE = (0.05, 4.0)  # pattern repeat, in shoulder widths
OUTFIT_DEFAULT_STRENGTH = 1.0


def _unit_float(value, what: str, name: str) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise LookError(f"outfit {name!r}: {what} must be a number, got {value!r}") from None
    if not 0.0 <= f <= 1.0:
        raise LookError(f"outfit {name!r}: {what} must be between 0 and 1, got {f}")
    return f


@dataclass(frozen=True)
class OutfitSwatch:
    """What the worn top becomes: a colour, or a fabric pattern (a procedural one by name, or a fabric
    image file) with its repeat `scale` in shoulder widths and `rotation` in degrees; `strength` in [0, 1]
    blends between the real garment (0) and the full change (1). A pattern may carry a colour (its tint)."""

    name: str
    rgb: tuple[int, int, int] | None = None
    pattern: str | None = None
    scale: float = 0.25
    rotation: float = 0.0
    strength: float = OUTFIT_DEFAULT_STRENGTH
    family: str = "custom"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise LookError("an outfit swatch needs a non-empty name")
        if self.rgb is None and not self.pattern:
            raise LookError(f"outfit {self.name!r}: give a colour or a pattern")
        if self.rgb is not None:
            rgb = tuple(self.rgb)
            if len(rgb) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in rgb):
                raise LookError(f"outfit {self.name!r}: colour must be three integers 0-255, got {self.rgb!r}")
            object.__setattr__(self, "rgb", rgb)
        if self.pattern is not None and (not isinstance(self.pattern, str) or not self.pattern.strip()):
            raise LookError(f"outfit {self.name!r}: pattern must be a name or a file path, got {self.pattern!r}")
        try:
            scale, rotation = float(self.scale), float(self.rotation)
        except (TypeError, ValueError):
            raise LookError(f"outfit {self.name!r}: scale and rotation must be numbers") from None
        if not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
            raise LookError(f"outfit {self.name!r}: pattern scale must be between {SCALE_RANGE[0]} and "
                            f"{SCALE_RANGE[1]} shoulder widths, got {scale}")
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "rotation", rotation % 360.0)
        object.__setattr__(self, "strength", _unit_float(self.strength, "strength", self.name))

    @property
    def hex(self) -> str | None:
        return None if self.rgb is None else "#{:02X}{:02X}{:02X}".format(*self.rgb)

    @property
    def is_pattern(self) -> bool:
        return bool(self.pattern)

    def with_(self, **changes) -> OutfitSwatch:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d = {"name": self.name, "hex": self.hex, "strength": round(self.strength, 3), "family": self.family}
        if self.pattern:
            d.update(pattern=self.pattern, scale=round(self.scale, 4), rotation=round(self.rotation, 2))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> OutfitSwatch:
        if not isinstance(d, dict):
            raise LookError(f"an outfit entry must be an object, got {type(d).__name__}")
        if "name" not in d:
            raise LookError("outfit entry lacks a name")
        hx = d.get("hex")
        return cls(name=d["name"], rgb=parse_hex(hx) if hx else None, pattern=d.get("pattern") or None,
                   scale=d.get("scale", 0.25), rotation=d.get("rotation", 0.0),
                   strength=d.get("strength", OUTFIT_DEFAULT_STRENGTH), family=d.get("family", "custom"))


def resolve_outfit(spec: str, strength: float | None = None, pattern: str | None = None,
                   scale: float | None = None, rotation: float | None = None,
                   catalogue: list[OutfitSwatch] | tuple[OutfitSwatch, ...] | None = None) -> OutfitSwatch:
    """A catalogue name (case-insensitive) or #RRGGBB -> OutfitSwatch, with optional overrides: `pattern`
    (a procedural pattern's name or a fabric image file; the colour becomes its ink), `scale` (one repeat in
    shoulder widths), `rotation` (degrees) and `strength`. `spec` may be empty when a pattern is given (the
    pattern in its own colours)."""
    spec = str(spec or "").strip()
    swatches = catalogue if catalogue is not None else default_outfit_catalogue()
    if not spec:
        if not pattern:
            raise LookError("give an outfit: a catalogue name, #RRGGBB or a pattern")
        sw = OutfitSwatch(name=_pattern_label(pattern), pattern=pattern)
    elif _HEX.match(spec) and (spec.startswith("#") or not _by_name(swatches, spec)):
        sw = OutfitSwatch(name="#" + spec.lstrip("#").upper(), rgb=parse_hex(spec))
    else:
        sw = _by_name(swatches, spec)
        if sw is None:
            close = _close_names(spec, [s.name for s in swatches])
            hint = f" (did you mean {', '.join(close)}?)" if close else " (or give a colour as #RRGGBB)"
            raise LookError(f"unknown outfit {spec!r}{hint}; tryon-render --list-outfits lists them")
    changes: dict = {}
    if pattern:
        check_pattern(pattern)
        changes["pattern"] = pattern
        if spec:
            changes["name"] = f"{sw.name} {_pattern_label(pattern)}"
    for key, value in (("scale", scale), ("rotation", rotation), ("strength", strength)):
        if value is not None:
            changes[key] = value
    return sw.with_(**changes) if changes else sw


def _close_names(spec: str, names: list[str]) -> list[str]:
    """Up to three names a mistyped `spec` may have meant: those containing it, then those spelt alike."""
    folded = {n.casefold(): n for n in names}
    close = [n for n in names if spec.casefold() in n.casefold()]
    close += [folded[m] for m in difflib.get_close_matches(spec.casefold(), list(folded), n=3, cutoff=0.75)
              if folded[m] not in close]
    return close[:3]


def _by_name(swatches, name: str) -> OutfitSwatch | None:
    return next((s for s in swatches if s.name.casefold() == name.casefold()), None)


def _pattern_label(pattern: str) -> str:
    return pattern.title() if pattern in PATTERNS else Path(pattern).stem


def check_pattern(pattern: str) -> None:
    """A procedural pattern's name or a readable fabric image file, else LookError saying which exist."""
    if pattern in PATTERNS:
        return
    p = Path(pattern)
    if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".webp") or p.exists():
        if not p.is_file():
            raise LookError(f"fabric image {pattern!r} does not exist")
        return
    raise LookError(f"unknown pattern {pattern!r}: choose one of {', '.join(PATTERNS)} or a fabric image file")


@dataclass(frozen=True)
class Look:
    """Everything worn at once: a lipstick and an outfit, each `None` when not worn. Plain data: the one
    thing a snapshot, a setting, a recording and the command line describe."""

    lipstick: Shade | None = None
    outfit: OutfitSwatch | None = None

    @property
    def is_bare(self) -> bool:
        return self.lipstick is None and self.outfit is None

    def with_(self, **changes) -> Look:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {"lipstick": self.lipstick.to_dict() if self.lipstick else None,
                "outfit": self.outfit.to_dict() if self.outfit else None}

    @classmethod
    def from_dict(cls, d: dict) -> Look:
        """Reads what to_dict wrote, and the settings of earlier versions (a bare shade dict)."""
        if not isinstance(d, dict):
            raise LookError(f"a look must be an object, got {type(d).__name__}")
        if "lipstick" not in d and "outfit" not in d:
            return cls(lipstick=Shade.from_dict(d) if d else None)
        lip, outfit = d.get("lipstick"), d.get("outfit")
        return cls(lipstick=Shade.from_dict(lip) if lip else None,
                   outfit=OutfitSwatch.from_dict(outfit) if outfit else None)


def _load_entries(path: Path, key: str, parse, what: str, skipped: list[str] | None = None) -> list:
    """Read and validate a catalogue: a non-empty list under `key`, each entry read by `parse`, names unique
    (case-insensitive); a bad entry raises LookError naming the file and the entry, or, given a `skipped`
    list, is left out and its message appended there."""
    data = read_json(path, LookError, what)
    entries = data.get(key) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise LookError(f"{what} {path} must hold a non-empty list under '{key}'")
    items: list = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        try:
            item = parse(entry)
            if item.name.casefold() in seen:
                raise LookError(f"duplicate name {item.name!r}")
        except LookError as exc:
            message = f"{what} {path.name}, entry {i + 1}: {exc}"
            if skipped is None:
                raise LookError(message) from None
            skipped.append(message)
            continue
        name = item.name.casefold()
        seen.add(name)
        items.append(item)
    return items


def load_catalogue(path: str | Path | None = None) -> list[Shade]:
    """Read and validate a shade catalogue; a bad entry raises LookError naming it."""
    return _load_entries(Path(path) if path is not None else CATALOGUE_PATH, "shades", Shade.from_dict,
                         "shade catalogue")


def _catalogue_swatch(entry) -> OutfitSwatch:
    sw = OutfitSwatch.from_dict(entry)
    if sw.pattern and sw.pattern not in PATTERNS:  # a shipped catalogue names procedural patterns only
        raise LookError(f"outfit {sw.name!r}: unknown pattern {sw.pattern!r} (choose one of {', '.join(PATTERNS)})")
    return sw


def load_outfit_catalogue(path: str | Path | None = None, skipped: list[str] | None = None) -> list[OutfitSwatch]:
    """Read and validate an outfit catalogue (colours, and procedural patterns with their scale); a bad
    entry raises LookError naming it, or, given a `skipped` list, is left out and named there (the app
    keeps the good swatches and says which were not)."""
    return _load_entries(Path(path) if path is not None else OUTFIT_CATALOGUE_PATH, "swatches",
                         _catalogue_swatch, "outfit catalogue", skipped)


@lru_cache(maxsize=1)
def default_outfit_catalogue() -> tuple[OutfitSwatch, ...]:
    return tuple(load_outfit_catalogue())


@lru_cache(maxsize=1)
def default_catalogue() -> tuple[Shade, ...]:
    return tuple(load_catalogue())


def resolve_shade(spec: str, finish: str | None = None, opacity: float | None = None,
                  catalogue: list[Shade] | tuple[Shade, ...] | None = None) -> Shade:
    """A catalogue name (case-insensitive) or #RRGGBB -> Shade, with optional finish/opacity overrides."""
    spec = str(spec).strip()
    shades = catalogue if catalogue is not None else default_catalogue()
    if _HEX.match(spec) and spec.startswith("#"):
        shade = Shade(name=spec.upper(), rgb=parse_hex(spec))
    else:
        by_name = {s.name.casefold(): s for s in shades}
        shade = by_name.get(spec.casefold())
        if shade is None:
            if _HEX.match(spec):
                shade = Shade(name="#" + spec.upper(), rgb=parse_hex(spec))
            else:
                close = _close_names(spec, [s.name for s in shades])
                hint = f" (did you mean {', '.join(close)}?)" if close else " (or give a colour as #RRGGBB)"
                raise LookError(f"unknown shade {spec!r}{hint}")
    changes = {}
    if finish is not None:
        changes["finish"] = Finish.parse(finish)
    if opacity is not None:
        changes["opacity"] = opacity
    return shade.with_(**changes) if changes else shade
