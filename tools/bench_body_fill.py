"""What the live garment mask's body fill costs the engine: one engine with both effects at a time (the fill
makes its person mask one frame ahead on a thread of its own, so engines alternated frame by frame, as in
tools/bench_steps.py, would hide that work in each other's frames), with the fill on and off in turn,
`--rounds` times, each round a fresh engine over the same frames. Prints the median ms of each run, of its
garment stage and of the outfit's stages (align + generate + blend: a larger garment costs more to paint),
the body fill's own call (mean a frame, every frame counted), and the medians over rounds.

    OMP_NUM_THREADS=1 python tools/bench_body_fill.py --frames 200 --rounds 2 [--video CLIP]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=2)
    from tryon_desktop.cli import add_step_bench_options, step_bench_inputs

    add_step_bench_options(p, frames=200)
    args = p.parse_args(argv)

    import tryon_desktop.vision.body_fill as BF
    from tryon_desktop.engine import GarmentPerception, TryOnEngine

    frames, look = step_bench_inputs(args)
    fill_ms: list[float] = []
    real_call = BF.BodyFill.__call__

    def timed_call(self, *a, **k):
        t = time.perf_counter()
        try:
            return real_call(self, *a, **k)
        finally:
            fill_ms.append((time.perf_counter() - t) * 1000.0)

    BF.BodyFill.__call__ = timed_call
    rows: dict[str, list[tuple[float, float, float, float]]] = {"on": [], "off": []}
    skip = min(20, args.frames // 4)
    for r in range(args.rounds):
        for mode in ("on", "off"):
            GarmentPerception.body_fill = mode == "on"
            fill_ms.clear()
            total, garment, paint = [], [], []
            with TryOnEngine(video=True) as eng:
                for i in range(args.frames):
                    res = eng.process(frames[i % len(frames)], look, timestamp=i / 30.0)
                    total.append(res.timings_ms["total"])
                    garment.append(res.timings_ms.get("garment", 0.0))
                    paint.append(sum(res.timings_ms.get(f"outfit.{k}", 0.0) for k in ("align", "generate", "blend")))
            f = float(np.mean(fill_ms[skip:])) if len(fill_ms) > skip else 0.0
            rows[mode].append((float(np.median(total[skip:])), float(np.median(garment[skip:])), f,
                               float(np.median(paint[skip:]))))
            print(f"round {r + 1} fill {mode:3s}: total {rows[mode][-1][0]:6.2f} ms  garment {rows[mode][-1][1]:5.2f}"
                  f"  outfit {rows[mode][-1][3]:5.2f}  body fill call {f:5.2f} (mean a frame)", flush=True)
    GarmentPerception.body_fill = True
    BF.BodyFill.__call__ = real_call
    on, off = np.median(rows["on"], 0), np.median(rows["off"], 0)
    print(f"median over {args.rounds} rounds, 1280x720, both effects ({args.shade}, {args.outfit}): "
          f"total {on[0]:.2f} with the fill, {off[0]:.2f} without ({on[0] - off[0]:+.2f} ms); "
          f"the outfit's stages {on[3]:.2f} against {off[3]:.2f}; the fill's own call {on[2]:.2f} ms a frame (mean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
