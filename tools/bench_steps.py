"""Side by side in one process: the engine with both effects, with and without each of five optional steps
(the garment mask's skin cut and body fill, the outfit's grain step, its full-resolution hair matte, the
garment's own chroma texture),
alternated frame by frame on the same frames, so a busy host slows every column alike.

Configurations (each its own engine; the module switches are set before each frame):
  all        every step on (what the app runs)
  no-grain   render.outfit.GRAIN_REMOVAL off
  no-skin    engine.GarmentPerception.skin_cut off
  no-hair    render.hair_matte.ENABLED off
  no-fill    engine.GarmentPerception.body_fill off
  no-chroma  render.outfit.CHROMA_TEXTURE off
  none       all five off

    OMP_NUM_THREADS=1 python tools/bench_steps.py --frames 150 --outfit Navy --shade "Classic Red" [--video CLIP]

--video: a clip (fitted into 1280x720 as tryon-bench fits it) instead of the moving demo photo.
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

CONFIGS = {"all": (True,) * 5, "no-grain": (False, True, True, True, True), "no-skin": (True, False, True, True, True),
           "no-hair": (True, True, False, True, True), "no-fill": (True, True, True, False, True),
           "no-chroma": (True, True, True, True, False), "none": (False,) * 5}  # grain, skin, hair, body fill, chroma


def main(argv: list[str] | None = None) -> int:
    from tryon_desktop.cli import add_step_bench_options, step_bench_inputs

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_step_bench_options(p, frames=150)
    args = p.parse_args(argv)

    import tryon_desktop.render.hair_matte as HM
    import tryon_desktop.render.outfit as RO
    from tryon_desktop.engine import GarmentPerception, TryOnEngine

    frames, look = step_bench_inputs(args)
    engines = {name: TryOnEngine(video=True) for name in CONFIGS}
    ms: dict[str, list[float]] = {name: [] for name in CONFIGS}
    stages: dict[str, dict[str, list[float]]] = {name: {} for name in CONFIGS}
    order = list(CONFIGS)
    for i in range(args.frames):
        frame = frames[i % len(frames)]
        for name in order[i % len(order):] + order[: i % len(order)]:  # who goes first rotates
            (RO.GRAIN_REMOVAL, GarmentPerception.skin_cut, HM.ENABLED, GarmentPerception.body_fill,
             RO.CHROMA_TEXTURE) = CONFIGS[name]
            t = time.perf_counter()
            res = engines[name].process(frame, look, timestamp=i / 30.0)
            ms[name].append((time.perf_counter() - t) * 1000.0)
            for k, v in res.timings_ms.items():
                stages[name].setdefault(k, []).append(v)
    (RO.GRAIN_REMOVAL, GarmentPerception.skin_cut, HM.ENABLED, GarmentPerception.body_fill,
     RO.CHROMA_TEXTURE) = CONFIGS["all"]
    skip = min(10, args.frames // 4)
    print(f"engine with both effects ({args.shade}, {args.outfit}), 1280x720, {args.frames} frames, alternated; "
          "median ms (per-frame difference to 'none', median)")
    base = np.array(ms["none"][skip:])
    for name in order:
        v = np.array(ms[name][skip:])
        g = np.median(stages[name].get("garment", [0.0])[skip:])
        og = np.median(stages[name].get("outfit.generate", [0.0])[skip:])
        print(f"  {name:9s} total {np.median(v):6.2f}  (+{np.median(v - base):5.2f})   garment {g:5.2f}   "
              f"outfit.generate {og:5.2f}")
    for e in engines.values():
        e.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
