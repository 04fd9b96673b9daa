"""Temporal smoothing of landmarks: the One-Euro filter (Casiez, Roussel and Vogel, CHI 2012).

Slow motion is smoothed hard (no jitter when still), fast motion lightly (little lag when moving).
Coordinates are normalised by the face's size so one tuning fits near and far faces.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One-Euro filter over an array of any shape; `min_cutoff` in Hz, `beta` per unit/s of speed."""

    def __init__(self, min_cutoff: float = 1.2, beta: float = 8.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t or self._x.shape != x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1.0 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        self._x = a * x + (1.0 - a) * self._x
        self._t = t
        return self._x.copy()


class LandmarkSmoother:
    """Smooths several faces' landmarks over time, following each face by its centre.

    `scale` normalises coordinates (pixels / face size) so the filter's speed term is size-free.
    """

    def __init__(self, min_cutoff: float = 1.2, beta: float = 8.0, max_jump: float = 0.5) -> None:
        self.min_cutoff, self.beta, self.max_jump = min_cutoff, beta, max_jump
        # (last centre, filter, scale fixed when the track began: a jittering scale would add jitter)
        self._tracks: list[tuple[np.ndarray, OneEuroFilter, float]] = []

    def reset(self) -> None:
        self._tracks = []

    def __call__(self, faces: list[np.ndarray], t: float) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        free = list(range(len(self._tracks)))
        new_tracks: list[tuple[np.ndarray, OneEuroFilter, float]] = []
        for lm in faces:
            centre = lm[:, :2].mean(0)
            size = float(np.ptp(lm[:, 0])) + 1e-6
            best, best_d = None, self.max_jump
            for i in free:
                d = float(np.hypot(*(self._tracks[i][0] - centre))) / size
                if d < best_d:
                    best, best_d = i, d
            if best is None:
                filt, scale = OneEuroFilter(self.min_cutoff, self.beta), size
            else:
                free.remove(best)
                _, filt, scale = self._tracks[best]
            smoothed = filt(lm / scale, t) * scale
            new_tracks.append((centre, filt, scale))
            out.append(smoothed.astype(lm.dtype))
        self._tracks = new_tracks
        return out
