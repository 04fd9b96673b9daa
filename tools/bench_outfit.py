"""Time the outfit effect's generate + blend per call at 1280x720, print removal off / on, GAN and reference.

A live stream is simulated from one photo: the photo fitted into the canvas, then per call shifted by up to
--shift px (sub-pixel) and its brightness scaled by up to +-`--gain`, so a cache across frames is exercised
with frames that really differ (not one frame repeated). Each call goes through the real engine
(`TryOnEngine.process`: face tracking, the garment mask, then the outfit effect); only the outfit effect's
`generate + blend` is timed (the engine's own `outfit.generate` and `outfit.blend` timings).

Print removal modes, run side by side (interleaved call by call on one engine per renderer, each mode with
its own print state):

  off       no print removal (the garment's luma as it is)
  <rev>     the print removal of git revision --baseline (default HEAD) of render/outfit.py, every frame
  search    this tree's `print_free_luma` every frame (the full search, as a photo gets)
  cached    this tree's `PrintRemover` (what the app uses): the print kept between frames

Also a still photo: one cold call (after `engine.reset()`), repeated --still times, median.

--against REV: the whole package at git revision REV (extracted with `git archive` into a temporary folder,
imported under another name) runs beside this tree's, each with its own engine, alternated frame by frame
(which goes first alternates too): only the app's own path (the print kept between frames; a pattern bent
along the folds), a column for each.

    OMP_NUM_THREADS=1 python tools/bench_outfit.py --frames 60
    OMP_NUM_THREADS=1 python tools/bench_outfit.py --image my_striped.jpg --plain my_plain.jpg --baseline none
    OMP_NUM_THREADS=1 python tools/bench_outfit.py --against main --pattern gingham --colour "#C0392B"
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
import types
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bodies" / "dev"
if str(ROOT) not in sys.path:  # this tree's package, not another checkout's that is installed (editable)
    sys.path.insert(0, str(ROOT))


def load_baseline(rev: str):
    """render/outfit.py at git revision `rev`, as a module (None if git cannot give it)."""
    try:
        src = subprocess.run(["git", "show", f"{rev}:tryon_desktop/render/outfit.py"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench_outfit: no baseline ({rev}): {exc}", file=sys.stderr)
        return None
    mod = types.ModuleType(f"outfit_{rev}")
    mod.__file__ = f"{rev}:tryon_desktop/render/outfit.py"
    sys.modules[mod.__name__] = mod  # its dataclasses look their module up there
    exec(compile(src, mod.__file__, "exec"), mod.__dict__)
    return mod


def load_tree(rev: str):
    """The package at git revision `rev` (tools/code_at.py), or None if git cannot give it."""
    from code_at import load_tree as load

    try:
        return load(rev, "bench_outfit_")
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench_outfit: no code baseline ({rev}): {exc}", file=sys.stderr)
        return None


class Stateless:
    """A print-removal function in the backend's `printer` slot (which `reset()` is called on)."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, region, alpha, y8=None):
        return self.fn(region, alpha, y8)

    def reset(self) -> None:
        pass


def printers(baseline_rev: str | None) -> dict:
    """{mode: a factory of the callable (region, alpha, y8) -> luma the backend takes the print out with}."""
    from tryon_desktop.render import outfit as ro

    def off(region, alpha, y8=None):
        return y8 if y8 is not None else ro.luma8(region)

    modes = {"off": lambda: Stateless(off)}
    if baseline_rev:
        base = load_baseline(baseline_rev)
        if base is not None:
            modes[baseline_rev] = lambda: Stateless(base.print_free_luma)
    modes["search"] = lambda: Stateless(ro.print_free_luma)
    modes["cached"] = ro.PrintRemover
    return modes


def stream(canvas: np.ndarray, n: int, shift: float, gain: float, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    h, w = canvas.shape[:2]
    out = []
    for _ in range(n):
        dx, dy = rng.uniform(-shift, shift, 2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        f = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out.append(cv2.convertScaleAbs(f, alpha=float(rng.uniform(1.0 - gain, 1.0 + gain))))
    return out


def call_ms(res) -> float | None:
    if res.status.get("outfit") or "outfit.generate" not in res.timings_ms:
        return None
    return res.timings_ms["outfit.generate"] + res.timings_ms["outfit.blend"]


def stats(v: list[float]) -> str:
    if not v:
        return "-"
    return f"{np.median(v):6.2f} / {np.percentile(v, 90):6.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=60, help="stream calls per renderer and mode (default 60)")
    p.add_argument("--image", default=str(DATA / "fitdit" / "0279.jpg"), help="a printed (striped) garment photo")
    p.add_argument("--plain", default=str(DATA / "fitdit" / "2.jpg"), help="a plain garment photo ('' to skip)")
    p.add_argument("--colour", default="#1F3A93", help="outfit colour (default #1F3A93)")
    p.add_argument("--size", default="1280x720", help="canvas WxH (default 1280x720)")
    p.add_argument("--shift", type=float, default=2.0, help="per-call shift, px (default 2)")
    p.add_argument("--gain", type=float, default=0.03, help="per-call brightness jitter (default 0.03)")
    p.add_argument("--still", type=int, default=5, help="cold single calls for the still-photo figure (default 5)")
    p.add_argument("--baseline", default="HEAD", help="git revision to compare with ('none': skip)")
    p.add_argument("--renderers", default="gan,reference", help="comma list of gan, reference")
    p.add_argument("--against", default="", help="git revision whose whole package runs beside this tree's, "
                   "alternated frame by frame (the app's path only: print cached, a pattern bent)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pattern", default="", help="a procedural pattern (e.g. gingham), tinted --colour, instead of "
                   "a plain colour; the columns are then the pattern laid flat and bent along the folds "
                   "(render.patterns.fold_offsets), print search cached in both")
    args = p.parse_args(argv)

    from dataclasses import replace

    from tryon_desktop.core.looks import Look, resolve_outfit
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.evaluate import to_canvas
    from tryon_desktop.render import patterns

    W, H = (int(x) for x in args.size.lower().split("x"))
    swatch = resolve_outfit(args.colour)
    if args.pattern:
        swatch = replace(swatch, pattern=args.pattern)
    look = Look(outfit=swatch)
    modes = printers(None if args.baseline.lower() == "none" else args.baseline)
    folds = {m: True for m in modes}
    if args.pattern:
        modes = {"flat": modes["cached"], "folds": modes["cached"]}
        folds = {"flat": False, "folds": True}
    base = load_tree(args.against) if args.against else None
    if args.against and base is None:
        return 1
    looks = {}  # a mode's own Look where it is another tree's
    if base is not None:  # the app's path only, a column for each tree
        modes = {args.against: None, "this tree": None}
        folds = dict.fromkeys(modes, True)
        lk = importlib.import_module(base.__name__ + ".core.looks")
        old_swatch = lk.resolve_outfit(args.colour)
        if args.pattern:
            old_swatch = replace(old_swatch, pattern=args.pattern)
        looks[args.against] = lk.Look(outfit=old_swatch)
    pattern_mods = [patterns] + ([importlib.import_module(base.__name__ + ".render.patterns")] if base else [])
    bends = [m.fold_offsets for m in pattern_mods]

    def set_folds(on: bool) -> None:
        for m, bend in zip(pattern_mods, bends, strict=True):
            m.fold_offsets = bend if on else (lambda *a, **k: None)
    garments = {"striped": args.image}
    if args.plain:
        garments["plain"] = args.plain
    if args.pattern:  # a pattern over both garments: named by their files
        garments = {Path(v).stem[:8]: v for v in garments.values()}
    engines = {}
    for name in args.renderers.split(","):
        eng = TryOnEngine(model=None, video=True, outfit_model=None if name == "reference" else "auto")
        got = eng.effects["outfit"].backend.name
        if got != name:
            print(f"bench_outfit: {name} not available (got {got}): skipped", file=sys.stderr)
            eng.close()
            continue
        engines[name] = eng
        if base is not None:
            engines[name] = {"this tree": eng}
            old = importlib.import_module(base.__name__ + ".engine").TryOnEngine(
                model=None, video=True, outfit_model=None if name == "reference" else "auto")
            engines[name][args.against] = old
    print(f"generate + blend per call, ms, median / p90; {W}x{H}; {args.frames} stream calls per cell "
          f"(shift +-{args.shift} px, brightness +-{100 * args.gain:.0f}%), colour {args.colour}"
          f"{' pattern ' + args.pattern if args.pattern else ''}; "
          f"OMP_NUM_THREADS={__import__('os').environ.get('OMP_NUM_THREADS', 'unset')}")
    head = f"{'garment':8s} {'renderer':9s} {'':7s}" + "".join(f" {m:>17s}" for m in modes)
    print(head)
    print("-" * len(head))
    try:
        for gname, path in garments.items():
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is None:
                print(f"bench_outfit: cannot read {path}", file=sys.stderr)
                continue
            canvas = to_canvas(img, (W, H))
            frames = stream(canvas, args.frames + 3, args.shift, args.gain, args.seed)
            for rname, eng in engines.items():
                # each mode's engine (with --against, a tree's own; else one shared) and printer (None: its own)
                engs = eng if isinstance(eng, dict) else dict.fromkeys(modes, eng)
                owns = {id(e): e.effects["outfit"].backend.printer for e in engs.values()}
                times: dict = {m: [] for m in modes}
                still: dict = {m: [] for m in modes}
                made = {m: f() if f is not None else engs[m].effects["outfit"].backend.printer
                        for m, f in modes.items()}

                def run(m, frame, t, fresh=False, engs=engs, made=made):
                    backend = engs[m].effects["outfit"].backend
                    if fresh:
                        engs[m].reset()  # a fresh stream: a photo's single cold call
                        if modes[m] is not None:
                            backend.printer = modes[m]()
                    else:
                        backend.printer = made[m]
                    set_folds(folds[m])
                    return call_ms(engs[m].process(frame, looks.get(m, look), timestamp=t))

                order = list(modes)
                try:
                    for e in {id(e): e for e in engs.values()}.values():
                        e.reset()
                    for i, frame in enumerate(frames):
                        for m in (order if i % 2 == 0 or base is None else order[::-1]):
                            ms = run(m, frame, i / 30.0)
                            if i >= 3 and ms is not None:  # the first calls warm up (and search)
                                times[m].append(ms)
                    for j in range(args.still):
                        for m in (order if j % 2 == 0 or base is None else order[::-1]):
                            ms = run(m, canvas, 0.0, fresh=True)
                            if ms is not None:
                                still[m].append(ms)
                finally:
                    for e in engs.values():
                        e.effects["outfit"].backend.printer = owns[id(e)]
                    set_folds(True)
                cached = made.get("cached")
                note = (f"  (cached: {cached.searches} searches, {cached.reuses} reuses)"
                        if hasattr(cached, "searches") else "")
                print(f"{gname:8s} {rname:9s} {'stream':7s}" + "".join(f" {stats(times[m]):>17s}" for m in modes)
                      + note)
                print(f"{'':8s} {'':9s} {'still':7s}" + "".join(f" {stats(still[m]):>17s}" for m in modes))
    finally:
        for eng in engines.values():
            for e in (eng.values() if isinstance(eng, dict) else [eng]):
                e.close()
    print(f"(still: one cold call after engine.reset(), {args.still} repeats; {time.strftime('%Y-%m-%d %H:%M')})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
