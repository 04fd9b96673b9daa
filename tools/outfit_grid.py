"""Before/after grid of the outfit effect: dev bodies (rows) x swatches (columns), the original first.

    .venv/bin/python tools/outfit_grid.py [--data ../shared/data] [--out docs/outfit_grid.jpg]
                                          [--renderer gan|reference|both] [--model auto|PATH] [--rows N]
                                          [--catalogue patterns|colours]

Each cell is cropped to the person's upper body (the painted garment's box joined with the face, plus a
margin) so the garment is big enough to judge. With --renderer both each body gets two rows, the GAN's
above the reference's (only the reference when no outfit GAN is installed). The JPEG is kept under
--max-mb by lowering its quality. The photos come from the shared data folder and are never committed;
the grid itself is a derived thumbnail sheet for the README/docs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tryon_desktop.core.looks import Look, OutfitSwatch  # noqa: E402
from tryon_desktop.errors import TryOnError  # noqa: E402

PRINT = "fabrics/garment_crops/crop_00470_00.jpg"  # black ground, red/white flowers


def swatches(data: Path) -> list[tuple[str, OutfitSwatch]]:
    out = [
        ("light: baby blue", OutfitSwatch(name="baby blue", rgb=(170, 205, 235))),
        ("dark: burgundy", OutfitSwatch(name="burgundy", rgb=(110, 20, 40))),
        ("saturated: red", OutfitSwatch(name="red", rgb=(200, 24, 40))),
        ("stripes navy", OutfitSwatch(name="stripes", pattern="stripes", scale=0.2)),
        ("gingham red 0.15", OutfitSwatch(name="gingham", pattern="gingham", rgb=(180, 30, 40), scale=0.15)),
    ]
    p = data / PRINT
    if p.is_file():
        out.append(("print (fabric)", OutfitSwatch(name="print", pattern=str(p.resolve()), scale=0.5)))
    else:
        print(f"outfit_grid: {PRINT} not found: no printed-fabric column", file=sys.stderr)
    # denim as a colour: the denim crops in fabrics/garment_crops hold seams, pockets or background, which
    # tile into bars
    out.append(("denim blue", OutfitSwatch(name="denim", rgb=(72, 102, 145))))
    out += [("white", OutfitSwatch(name="white", rgb=(247, 247, 245))),
            ("black", OutfitSwatch(name="black", rgb=(20, 20, 22)))]
    return out


def catalogue_columns(which: str) -> list[tuple[str, OutfitSwatch]]:
    """The shipped catalogue's patterns or colours, as they are (names, tints and scales from outfits.json)."""
    from tryon_desktop.core.looks import default_outfit_catalogue

    want_pattern = which == "patterns"
    return [(sw.name, sw) for sw in default_outfit_catalogue() if sw.is_pattern == want_pattern]


def crop_window(alpha: np.ndarray, faces, shape, aspect: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), possibly beyond the frame: the garment box (alpha > 0.5) joined with the faces' boxes,
    grown by 6%, widened or heightened to `aspect` (w / h)."""
    ys, xs = np.nonzero(alpha > 0.5)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    for f in faces:
        lm = f.landmarks
        x0, y0 = min(x0, lm[:, 0].min()), min(y0, lm[:, 1].min())
        x1, y1 = max(x1, lm[:, 0].max()), max(y1, lm[:, 1].max())
    w, h = x1 - x0, y1 - y0
    x0, x1, y0, y1 = x0 - 0.06 * w, x1 + 0.06 * w, y0 - 0.06 * h, y1 + 0.04 * h
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        cx = (x0 + x1) / 2
        x0, x1 = cx - aspect * h / 2, cx + aspect * h / 2
    else:
        cy = (y0 + y1) / 2
        y0, y1 = cy - w / aspect / 2, cy + w / aspect / 2
    return int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1))


def cut(img: np.ndarray, win, size) -> np.ndarray:
    x0, y0, x1, y1 = win
    h, w = img.shape[:2]
    pad = max(0, -x0, -y0, x1 - w, y1 - h)
    im = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(60, 60, 60)) if pad else img
    return cv2.resize(im[y0 + pad:y1 + pad, x0 + pad:x1 + pad], size, interpolation=cv2.INTER_AREA)


def label(cell: np.ndarray, text: str, scale: float = 0.36) -> None:
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(cell, (0, 0), (tw + 4, th + 6), (0, 0, 0), -1)
    cv2.putText(cell, text, (2, th + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)


def build(args) -> Path:
    from tryon_desktop.eval_outfit import backend_name, first_pass, load_bodies, make_engine
    from tryon_desktop.train.io import atomic_write_bytes

    data = Path(args.data)
    if not data.is_dir():
        raise TryOnError(f"data folder not found: {data}")
    bodies = [b for b in load_bodies(data, None)]
    first_pass(bodies, np.random.default_rng(0))
    bodies = [b for b in bodies if b.alpha is not None]
    if args.rows:
        bodies = bodies[: args.rows]
    cols = swatches(data) if not args.catalogue else catalogue_columns(args.catalogue)
    engines = {}
    if args.renderer in ("gan", "both"):
        eng = make_engine(args.model, video=False)
        if backend_name(eng) == "gan":
            engines["GAN"] = eng
        else:
            eng.close()
            msg = "no outfit GAN installed"
            if args.renderer == "gan":
                raise TryOnError(msg)
            print(f"outfit_grid: {msg}: reference rows only", file=sys.stderr)
    if args.renderer in ("reference", "both"):
        engines["ref"] = make_engine(None, video=False)
    cw, ch = args.cell, int(round(args.cell * 1.2))
    rows = []
    try:
        for b in bodies:
            engines_list = list(engines.items())
            first = next(iter(engines.values()))
            first.reset()
            faces = first.process(b.image, None, timestamp=0.0).faces
            win = crop_window(b.alpha, faces, b.image.shape, cw / ch)
            for tag, eng in engines_list:
                orig = cut(b.image, win, (cw, ch))
                label(orig, f"{b.name[:20]} {tag}")
                cells = [orig]
                for _name, sw in cols:
                    eng.reset()
                    r = eng.process(b.image, Look(outfit=sw), timestamp=0.0)
                    cells.append(cut(r.frame, win, (cw, ch)))
                rows.append(np.hstack(cells))
            print(f"  {b.name}", file=sys.stderr)
    finally:
        for eng in engines.values():
            eng.close()
    grid = np.vstack(rows)
    head = np.full((18, grid.shape[1], 3), 255, np.uint8)
    for i, name in enumerate(["original"] + [n for n, _ in cols]):
        cv2.putText(head, name, (i * cw + 3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (0, 0, 0), 1, cv2.LINE_AA)
    sheet = np.vstack([head, grid])
    out = Path(args.out)
    for q in (88, 84, 80, 75, 70, 65, 60):
        ok, buf = cv2.imencode(".jpg", sheet, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok and len(buf) <= args.max_mb * 1e6:
            break
    atomic_write_bytes(out, buf.tobytes())
    print(f"{out}: {sheet.shape[1]}x{sheet.shape[0]}, {len(bodies)} bodies x {len(cols)} swatches, "
          f"{'/'.join(engines)}, JPEG q{q}, {len(buf) / 1e6:.2f} MB")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--out", default=str(ROOT / "docs" / "outfit_grid.jpg"))
    p.add_argument("--renderer", choices=("gan", "reference", "both"), default="both")
    p.add_argument("--model", default="auto", help="outfit generator manifest (default: the shipped one)")
    p.add_argument("--rows", type=int, default=0, help="bodies (default: every dev photo with a garment found)")
    p.add_argument("--cell", type=int, default=150, help="cell width in px (height = 1.2 x width)")
    p.add_argument("--max-mb", type=float, default=1.5)
    p.add_argument("--catalogue", choices=("patterns", "colours"),
                   help="columns: the shipped catalogue's patterns or colours instead of the issue's 8 swatches")
    args = p.parse_args(argv)
    try:
        build(args)
    except TryOnError as exc:
        print(f"outfit_grid: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
