"""The whole engine, this tree's against a git revision's, alternated frame by frame in one process.

Both engines get the same frames (tryon-bench's moving demo photo, or --video) and the same look, one after
the other on each frame (which goes first alternates), so a busy host slows both alike; the revision's
package comes from `git archive` (tools/code_at.py). Prints the median total and per stage for each, and the
median of the per-frame difference (this tree minus the revision), with its spread over quarters of the run.

    OMP_NUM_THREADS=1 python tools/bench_engine.py --against HEAD --frames 200 --outfit Navy --shade "Classic Red"
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

STAGES = ("track", "garment", "outfit.align", "outfit.generate", "outfit.blend", "lipstick.align",
          "lipstick.generate", "lipstick.blend", "total")


def main(argv: list[str] | None = None) -> int:
    from code_at import load_tree

    from tryon_desktop.cli import add_step_bench_options, step_bench_inputs
    from tryon_desktop.engine import TryOnEngine

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_step_bench_options(p, frames=200)
    p.add_argument("--against", default="HEAD", help="git revision to compare with (default HEAD)")
    args = p.parse_args(argv)

    old = load_tree(args.against, "bench_engine_")
    old_cli = importlib.import_module(old.__name__ + ".cli")
    frames, look = step_bench_inputs(args)
    _, old_look = old_cli.step_bench_inputs(args)
    engines = {args.against: (importlib.import_module(old.__name__ + ".engine").TryOnEngine(video=True), old_look),
               "this tree": (TryOnEngine(video=True), look)}
    ms: dict[str, list[float]] = {k: [] for k in engines}
    stages: dict[str, dict[str, list[float]]] = {k: {} for k in engines}
    names = list(engines)
    for i in range(args.frames):
        frame = frames[i % len(frames)]
        for name in (names if i % 2 == 0 else names[::-1]):
            eng, lk = engines[name]
            t = time.perf_counter()
            res = eng.process(frame, lk, timestamp=i / 30.0)
            ms[name].append((time.perf_counter() - t) * 1000.0)
            for k, v in res.timings_ms.items():
                stages[name].setdefault(k, []).append(v)
    skip = min(10, args.frames // 4)
    print(f"engine, both effects ({args.shade}, {args.outfit}), 1280x720, {args.frames} frames alternated; median ms")
    print(f"  {'stage':18s}" + "".join(f"{n:>14s}" for n in names))
    for s in STAGES:
        print(f"  {s:18s}" + "".join(f"{np.median(stages[n].get(s, [0.0])[skip:]):14.2f}" for n in names))
    d = np.array(ms["this tree"][skip:]) - np.array(ms[args.against][skip:])
    quarters = [float(np.median(q)) for q in np.array_split(d, 4)]
    print(f"  per-frame difference, this tree - {args.against}: median {np.median(d):+.2f} ms "
          f"(quarters {', '.join(f'{q:+.2f}' for q in quarters)})")
    for eng, _ in engines.values():
        eng.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
