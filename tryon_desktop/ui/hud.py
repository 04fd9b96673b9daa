"""Heads-up display figures: displayed fps, capture-to-display latency, per-stage times, the provider,
and how long the GUI thread is busy in each handler (it must stay under one 60 Hz frame, 16 ms)."""

from __future__ import annotations

import time
from collections import deque

import numpy as np

STAGES = ("track", "align", "generate", "blend")
PERCEPTION = ("track", "garment")  # what the engine perceives (the garment mask only when an effect needs it)
EFFECT_STAGES = ("align", "generate", "blend")
EFFECT_KINDS = ("outfit", "lipstick")  # the engine's order


def percentile(values, q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


class HudStats:
    """Rolling figures over the last ~120 displayed frames (about four seconds)."""

    def __init__(self, window: int = 120) -> None:
        self.shown_at: deque[float] = deque(maxlen=window)
        self.latency_ms: deque[float] = deque(maxlen=window)
        self.stage_ms: dict[str, deque[float]] = {s: deque(maxlen=30) for s in (*STAGES, "total")}
        self.last_stages: tuple[str, ...] = ()  # the stage keys of the last frame shown (what is running now)
        self.provider = ""
        self.renderer = ""
        self.notice = ""
        self.no_face = False
        self.source = ""
        self.size = (0, 0)
        self.displayed = 0
        self.history: list[float] | None = None  # every latency, when a benchmark asks for it

    def frame_shown(self, t_capture: float, timings: dict, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        self.shown_at.append(now)
        self.latency_ms.append((now - t_capture) * 1000.0)
        if self.history is not None:
            self.history.append(self.latency_ms[-1])
        for k, v in timings.items():
            q = self.stage_ms.get(k)
            if q is None:
                q = self.stage_ms[k] = deque(maxlen=30)
            q.append(float(v))
        self.last_stages = tuple(timings)
        self.displayed += 1

    def fps(self) -> float:
        if len(self.shown_at) < 2:
            return 0.0
        span = self.shown_at[-1] - self.shown_at[0]
        if time.perf_counter() - self.shown_at[-1] > 1.0:  # stalled: say so instead of a stale figure
            return 0.0
        return (len(self.shown_at) - 1) / span if span > 0 else 0.0

    def latency(self) -> tuple[float, float]:
        lat = list(self.latency_ms)
        return percentile(lat, 50), percentile(lat, 95)

    def running_effects(self) -> list[str]:
        """The effects the last frame ran, in the engine's order."""
        return [k for k in EFFECT_KINDS if f"{k}.generate" in self.last_stages]

    def stage(self, name: str) -> float:
        q = self.stage_ms.get(name, ())
        return float(np.mean(q)) if q else 0.0

    def reset(self) -> None:
        self.shown_at.clear()
        self.latency_ms.clear()
        for q in self.stage_ms.values():
            q.clear()


class BlockMeter:
    """Wall time of every GUI-thread handler we own (timer tick, paint), in milliseconds."""

    def __init__(self, maxlen: int = 20000) -> None:
        self.samples: deque[float] = deque(maxlen=maxlen)
        self.worst_name = ""
        self.worst = 0.0

    def add(self, name: str, ms: float) -> None:
        self.samples.append(ms)
        if ms > self.worst:
            self.worst, self.worst_name = ms, name

    def reset(self) -> None:
        self.samples.clear()
        self.worst, self.worst_name = 0.0, ""

    def max(self) -> float:
        return max(self.samples) if self.samples else 0.0

    def p99(self) -> float:
        return percentile(list(self.samples), 99)

    class _Timer:
        def __init__(self, meter: BlockMeter, name: str) -> None:
            self.meter, self.name = meter, name

        def __enter__(self):
            self.t = time.perf_counter()
            return self

        def __exit__(self, *exc):
            self.meter.add(self.name, (time.perf_counter() - self.t) * 1000.0)

    def measure(self, name: str) -> BlockMeter._Timer:
        return BlockMeter._Timer(self, name)
