"""Training configuration: one dataclass, saved as JSON in the run folder and inside every checkpoint."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


class RunConfig:
    """What every training config (a dataclass deriving from this) shares: JSON round trip that ignores
    unknown keys (configs of older runs), atomic save, and the keys that fix the networks' shapes."""

    ARCH_KEYS: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def save(self, path: Path) -> None:
        from tryon_desktop.train.io import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2))

    def arch(self) -> dict:
        return {k: getattr(self, k) for k in self.ARCH_KEYS}


@dataclass
class TrainConfig(RunConfig):
    data: list[str] = field(default_factory=lambda: ["../shared/data/faces/train"])
    seed: int = 1234
    steps: int = 4000
    batch: int = 16
    reverse_fraction: float = 0.375  # share of each batch that is a "give back the real lips" pair
    lr_g: float = 2e-3
    lr_d: float = 4e-4
    betas: tuple[float, float] = (0.5, 0.99)
    g_width: int = 32
    d_width: int = 32
    w_rec: float = 1.0
    w_colour: float = 1.0
    w_shading: float = 0.5
    w_highlight: float = 1.0  # the finish's highlights (matte flat, gloss wet) as the renderer draws them
    w_adv: float = 0.02  # small: D refines texture; it must not override the requested colour
    adv_start: int = 300  # steps of pure reconstruction before the discriminator joins
    real_min_score: float = 20.0  # lipstick score above which a photo counts as "wearing lipstick"
    aug: float = 1.0
    sample_every: int = 250
    checkpoint_every_s: float = 180.0
    workers: int = 1
    threads: int = 2
    max_minutes: float = 58.0

    # Changing these makes a checkpoint incompatible (the networks or the task differ).
    ARCH_KEYS = ("g_width", "d_width")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        cfg = super().from_dict(d)
        cfg.betas = tuple(cfg.betas)
        return cfg
