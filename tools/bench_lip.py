"""Time the lipstick effect's lip stage (`lipstick.align + generate + blend`) at 1280x720 on tryon-bench's clip.

The face tracker runs once per clip frame up front; every engine then replays those landmarks (a stand-in
tracker), so only the lip stage differs between the engines compared. `--against REV` runs the whole package
at git revision REV (`git archive` into a temporary folder, imported under another name) beside this tree's,
each with its own engine, alternated frame by frame (which goes first alternates too): one process, the same
frames, the same noise.

    OMP_NUM_THREADS=1 python tools/bench_lip.py --frames 300 --against HEAD
    OMP_NUM_THREADS=1 python tools/bench_lip.py --frames 150 --shade "Plum Shimmer" --profile
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # this tree's package, not another checkout's that is installed (editable)
    sys.path.insert(0, str(ROOT))

STAGES = ("lipstick.align", "lipstick.generate", "lipstick.blend")


def load_tree(rev: str):
    """The package at git revision `rev` (tools/code_at.py)."""
    from code_at import load_tree as load

    return load(rev, "bench_lip_")


class Replay:
    """A face tracker that gives back the landmarks tracked beforehand for each frame (by identity)."""

    def __init__(self, faces: dict[int, list]) -> None:
        self.faces = faces

    def track(self, frame):
        return self.faces[id(frame)]

    def close(self) -> None:
        pass


def engine_of(pkg, faces, model: str):
    eng = importlib.import_module(pkg.__name__ + ".engine")
    return eng.TryOnEngine(model=model, video=True, tracker=Replay(faces), garment_model=None, outfit_model=None)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=300, help="timed frames per engine")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--size", default="1280x720")
    p.add_argument("--shade", default="Classic Red")
    p.add_argument("--model", default="auto")
    p.add_argument("--against", help="git revision whose package runs beside this tree's, alternated")
    p.add_argument("--profile", action="store_true", help="cProfile this tree's lip stage (no --against)")
    args = p.parse_args(argv)

    import tryon_desktop
    from tryon_desktop.cli import clip_frame, synthetic_clip
    from tryon_desktop.core.looks import resolve_shade
    from tryon_desktop.vision.face_tracker import FaceTracker

    print(f"this tree: {tryon_desktop.__file__}")
    w, h = (int(v) for v in args.size.split("x"))
    clip = synthetic_clip(w, h, 60)
    tracker = FaceTracker(max_faces=2, video=True)
    tracked = {id(f): tracker.track(f) for f in (clip_frame(clip, i) for i in range(2 * len(clip)))}
    tracker.close()
    pkgs = {"new": tryon_desktop}
    if args.against:
        pkgs = {"old": load_tree(args.against), "new": tryon_desktop}
        for k, v in pkgs.items():
            print(f"{k}: {v.__file__}")
    engines = {k: engine_of(v, tracked, args.model) for k, v in pkgs.items()}
    shades = {k: importlib.import_module(v.__name__ + ".core.looks").resolve_shade(args.shade) for k, v in pkgs.items()}
    print(f"shade: {resolve_shade(args.shade)}")
    times = {k: {s: [] for s in STAGES} for k in engines}
    prof = cProfile.Profile() if args.profile else None
    order = list(engines)
    for i in range(args.frames + args.warmup):
        f = clip_frame(clip, i)
        for k in (order if i % 2 else order[::-1]):
            if prof is not None and i >= args.warmup:
                prof.enable()
            r = engines[k].process(f, shades[k], timestamp=i / 30.0)
            if prof is not None:
                prof.disable()
            if i >= args.warmup:
                for s in STAGES:
                    times[k][s].append(r.timings_ms.get(s, 0.0))
    print(f"{args.size}, {args.frames} frames per engine, medians (ms):")
    print(f"  {'':<5} {'align':>8} {'generate':>9} {'blend':>7} {'stage':>7} {'stage p95':>9}")
    for k, t in times.items():
        tot = np.sum([t[s] for s in STAGES], axis=0)
        print(f"  {k:<5} {np.median(t[STAGES[0]]):>8.3f} {np.median(t[STAGES[1]]):>9.3f} "
              f"{np.median(t[STAGES[2]]):>7.3f} {np.median(tot):>7.3f} {np.percentile(tot, 95):>9.3f}")
    if len(times) == 2:
        a, b = (np.sum([times[k][s] for s in STAGES], axis=0) for k in ("old", "new"))
        d = b - a
        print(f"  new - old per frame: median {np.median(d):+.3f} ms, mean {np.mean(d):+.3f} ms")
    if prof is not None:
        st = pstats.Stats(prof)
        st.sort_stats("tottime").print_stats(40)
    for e in engines.values():
        e.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
