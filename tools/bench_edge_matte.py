"""What the outfit's edge matte (render/edge_matte.py) costs: the outfit effect's stages per frame at 1280x720,
two engines (the matte off and on) alternated frame by frame on the same stream of a dev photo (+-2 px of
shift a frame), which goes first alternating too. The matte runs in the effect's `align` stage (the mask
upsampled to the garment's box and turned into the blend's alpha); `generate + blend` is the figure the
outfit's 8 ms budget is about.

    OMP_NUM_THREADS=1 python tools/bench_edge_matte.py --frames 100

--against REV puts the matte as it was at git revision REV (tools/code_at.py) in place of "off": both columns
run the matte, REV's and this tree's, on the same frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # this tree's package, not another checkout's that is installed (editable)
    sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "bodies" / "dev"
CASES = (("fitdit/0279", None), ("fitdit/0279", "gingham"), ("fitdit/2", None), ("mimicmotion/demo1", "gingham"))


def main(argv: list[str] | None = None) -> int:
    from tryon_desktop.core.looks import Look, OutfitSwatch
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.evaluate import to_canvas

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--model", default="auto", help="outfit generator manifest (auto: the shipped one; none: the reference renderer)")
    p.add_argument("--against", metavar="REV", help="compare with the matte at this git revision instead of none")
    args = p.parse_args(argv)
    model = None if args.model == "none" else args.model
    import tryon_desktop.render.edge_matte as EM

    mattes = {True: EM.edge_matte}
    if args.against:
        from code_at import load_tree

        import importlib

        old = importlib.import_module(load_tree(args.against).__name__ + ".render.edge_matte").edge_matte
        mattes[False] = lambda region, prob, alpha, cell=0.0: old(region, prob, alpha)
    first = f"the matte at {args.against}" if args.against else "edge matte off"
    print(f"outfit stages per frame, ms, median (p90), {first} / this tree's, alternated; 1280x720, {args.frames} "
          f"frames each; {Path(__import__('tryon_desktop').__file__).parent}")
    for name, pattern in CASES:
        path = DATA / f"{name}.jpg"
        img = cv2.imread(str(path))
        if img is None:
            print(f"{name}: not found in {DATA}; skipped")
            continue
        img = to_canvas(img, (1280, 720))
        swatch = (OutfitSwatch(name="red", rgb=(192, 57, 43), pattern=pattern) if pattern
                  else OutfitSwatch(name="navy", rgb=(28, 38, 74)))
        look = Look(outfit=swatch)
        engines = {}
        for on in (False, True):
            eng = TryOnEngine(model=None, video=True, outfit_model=model)
            eng.effects["outfit"].edge_matte = on or bool(args.against)
            engines[on] = eng
        rng = np.random.default_rng(0)
        times = {on: {"align": [], "generate + blend": [], "all three": []} for on in engines}
        try:
            for i in range(args.frames + 3):
                dx, dy = (int(v) for v in rng.integers(-2, 3, 2))
                frame = np.roll(np.roll(img, dx, 1), dy, 0)
                for on in ((False, True) if i % 2 == 0 else (True, False)):
                    EM.edge_matte = mattes.get(on, mattes[True])
                    t = engines[on].process(frame, look, timestamp=i / 30.0, garment_mask=True).timings_ms
                    if i < 3 or "outfit.generate" not in t:
                        continue  # warm-up, or no garment found
                    a, gb = t["outfit.align"], t["outfit.generate"] + t["outfit.blend"]
                    for k, v in (("align", a), ("generate + blend", gb), ("all three", a + gb)):
                        times[on][k].append(v)
        finally:
            EM.edge_matte = mattes[True]
            for eng in engines.values():
                eng.close()
        cells = []
        for k in times[False]:
            off, on = times[False][k], times[True][k]
            if not off or not on:
                continue
            cells.append(f"{k} {np.median(off):.2f} ({np.percentile(off, 90):.2f}) / "
                         f"{np.median(on):.2f} ({np.percentile(on, 90):.2f})")
        print(f"{name:18s} {pattern or 'plain':8s} " + ";  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
