"""The outfit realism test of `tryon-eval outfit` over several colourings of the same patches.

`tryon-eval outfit` recolours each dev photo (and each clip) with one other real garment's colour and asks a
classifier to tell those made-up patches from real ones; which colour each garment gets moves the test by
several points (stop 34: 57.8% on one colouring, 65.9% on the next, the same code), far more than the spread
it reports over its own folds. Here the same real patches (dev photos and clips, the same sites) are made up
again with K colourings (colouring k moves every photo and clip k places further along the list of the
photos' own garment colours; colouring 0 is the evaluation's own), and each colouring is scored as the
evaluation scores it (10 repeats of 5-fold CV grouped by source), the two renderers on the same folds. It
prints each colouring's accuracies and their paired difference, and the difference pooled over all the
colourings' repeats with its standard error over colourings.

    OMP_NUM_THREADS=1 python tools/realism_colourings.py --colourings 4 [--data ../shared/data] [--max-frames 60]
                                                         [--out runs/realism_colourings.json]

A benchmark of the measurement, not a test: about 3 minutes per colouring on this 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tryon_desktop import eval_outfit as E  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--colourings", type=int, default=4)
    p.add_argument("--data", default=str(E.SHARED))
    p.add_argument("--max-frames", type=int, default=60)
    p.add_argument("--model", default="auto")
    p.add_argument("--out", default="")
    p.add_argument("--only", type=int, default=-1, help="score only this colouring")
    p.add_argument("--dump", default="", help="an .npz of each colouring's patch features and sources")
    args = p.parse_args(argv)
    data = Path(args.data)
    if not data.is_dir():
        print(f"realism_colourings: data folder not found: {data}", file=sys.stderr)
        return 2
    names, info = E.renderers(args.model)
    if len(names) < 2:
        print(f"realism_colourings: needs both renderers ({info['gan_note']})", file=sys.stderr)
        return 2
    bodies = E.load_bodies(data, None)
    E.first_pass(bodies, np.random.default_rng(0))  # (the evaluation's own seed: the same patch sites)
    with_garment = [b for b in bodies if b.alpha is not None]
    colours = [b.colour for b in with_garment if b.colour is not None]
    clips = E.dev_clips(data)
    real_photos = [(f"photo:{b.name}", E.patch_features(E.cut(b.image, s, b.side))) for b in bodies for s in b.sites]
    results = []
    dump: dict = {}
    for k in (range(args.colourings) if args.only < 0 else [args.only]):
        made: dict = {}
        for rname, model in names.items():
            eng = E.make_engine(model, video=False)
            try:
                for bi, b in enumerate(with_garment):
                    E.photo_realism(eng, rname, b, bi, colours, made, shift=k)
            finally:
                eng.close()
        real = list(real_photos)
        E.eval_clips(names, clips, args.max_frames, colours, real, made, shift=k)
        res = E.eval_realism(list(names), real, made)
        if args.dump:
            for tag, items in (("real", real), *((n, made.get(n, [])) for n in names)):
                dump[f"{k}_{tag}_x"] = np.array([f for _, f in items])
                dump[f"{k}_{tag}_g"] = np.array([g for g, _ in items])
        row = {"colouring": k, "n_real": res["n_real"],
               **{n: {"accuracy": res[n]["accuracy"], "sd": res[n]["sd"], "repeats": res[n]["repeats"]}
                  for n in names if res.get(n)}, "paired": res.get("paired")}
        results.append(row)
        pr = row["paired"] or {}
        print(f"colouring {k}: " + ", ".join(f"{n} {row[n]['accuracy'] * 100:.1f}% ± {row[n]['sd'] * 100:.1f}"
                                             for n in names if n in row)
              + (f"; {pr['first']} - {pr['second']} {pr['mean'] * 100:+.1f} ± {pr['sd'] * 100:.1f} points,"
                 f" lower in {pr['below']} of {pr['n']}" if pr else ""), flush=True)
    first, second = list(names)[:2]
    diffs = [np.asarray(r[first]["repeats"]) - np.asarray(r[second]["repeats"]) for r in results
             if first in r and second in r]
    summary = None
    if diffs:
        per = np.array([d.mean() for d in diffs])
        pooled = np.concatenate(diffs)
        se = float(per.std(ddof=1) / np.sqrt(len(per))) if len(per) > 1 else float("nan")
        summary = {"first": first, "second": second, "colourings": len(per), "mean": float(pooled.mean()),
                   "se_over_colourings": se, "below": int((pooled < 0).sum()), "n": int(pooled.size),
                   "colourings_below": int((per < 0).sum()),
                   "accuracy": {n: float(np.mean([r[n]["accuracy"] for r in results if n in r])) for n in names}}
        print(f"pooled over {len(per)} colourings: {first} - {second} {summary['mean'] * 100:+.2f} points "
              f"(standard error over colourings {se * 100:.2f}); lower in {summary['below']} of {summary['n']} "
              f"repeats, in {summary['colourings_below']} of {len(per)} colourings; mean accuracy "
              + ", ".join(f"{n} {v * 100:.1f}%" for n, v in summary["accuracy"].items()))
    if args.dump:
        np.savez(args.dump, **dump)
    if args.out:
        from tryon_desktop.train.io import atomic_write_text

        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(args.out), json.dumps({"colourings": results, "summary": summary,
                                                      "command": " ".join(sys.argv)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
