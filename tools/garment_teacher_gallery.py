"""Contact sheets of the garment teacher's masks, for looking at them.

    python tools/garment_teacher_gallery.py ../shared/data/bodies/dev ../shared/data/video/dev/vivid_upper1.mp4 \
        --out runs/garment_gallery [--frames 6] [--per-sheet 12] [--tile 300]

Each tile is the photo with the mask tinted green and outlined, the confidence and the teacher's reason.
Folders are walked recursively (label files `*_parse*.png` and `*_personmask.png` are skipped); videos give
`--frames` evenly spaced frames.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tryon_desktop.vision.garment_teacher import GarmentTeacher  # noqa: E402

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv"}


def is_label_file(p: Path) -> bool:
    return "_parse" in p.stem or p.stem.endswith("_personmask")


def collect(inputs: list[str], n_frames: int):
    """Yields (name, frame_bgr)."""
    for inp in inputs:
        p = Path(inp)
        if p.is_dir():
            files = sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS)
        else:
            files = [p]
        for f in files:
            if f.suffix.lower() in IMAGE_EXTS:
                if is_label_file(f):
                    continue
                img = cv2.imread(str(f), cv2.IMREAD_COLOR)
                if img is not None:
                    yield f"{f.parent.name}/{f.name}", img
            elif f.suffix.lower() in VIDEO_EXTS:
                cap = cv2.VideoCapture(str(f))
                total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
                want = set(np.linspace(0, max(total - 1, 0), n_frames).round().astype(int).tolist())
                i = 0
                while True:
                    ok, img = cap.read()
                    if not ok:
                        break
                    if i in want:
                        yield f"{f.stem}#{i}", img
                    i += 1
                cap.release()


def overlay(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = img.astype(np.float32)
    tint = np.zeros_like(out)
    tint[..., 1] = 255
    a = (mask * 0.5)[..., None]
    out = out * (1 - a) + tint * a
    out = out.astype(np.uint8)
    hard = (mask > 0.5).astype(np.uint8)
    cnts, _ = cv2.findContours(hard, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(out, cnts, -1, (0, 0, 255), max(1, img.shape[0] // 300))
    return out


def tile(img, res, name, size, t):
    ov = overlay(img, res.mask)
    h, w = ov.shape[:2]
    s = size / max(h, w)
    ov = cv2.resize(ov, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
    canvas = np.full((size + 34, size, 3), 40, np.uint8)
    y0, x0 = (size - ov.shape[0]) // 2, (size - ov.shape[1]) // 2
    canvas[y0:y0 + ov.shape[0], x0:x0 + ov.shape[1]] = ov
    col = (120, 255, 120) if res.confident else (80, 160, 255)
    cv2.putText(canvas, name[:42], (3, size + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(canvas, f"{res.reason[:40]} {t:.2f}s", (3, size + 28), cv2.FONT_HERSHEY_SIMPLEX, 0.38, col, 1,
                cv2.LINE_AA)
    return canvas


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=6, help="frames per video")
    ap.add_argument("--per-sheet", type=int, default=12)
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--tile", type=int, default=300)
    ap.add_argument("--prefix", default="sheet")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tiles, sheet_i, times = [], 0, []

    def flush():
        nonlocal tiles, sheet_i
        if not tiles:
            return
        rows = []
        for r in range(0, len(tiles), args.cols):
            row = tiles[r:r + args.cols]
            row += [np.full_like(tiles[0], 20)] * (args.cols - len(row))
            rows.append(np.hstack(row))
        path = out / f"{args.prefix}_{sheet_i:02d}.png"
        cv2.imwrite(str(path), np.vstack(rows), [cv2.IMWRITE_PNG_COMPRESSION, 3])
        print("wrote", path, flush=True)
        sheet_i += 1
        tiles = []

    with GarmentTeacher() as teacher:
        for name, img in collect(args.inputs, args.frames):
            t0 = time.perf_counter()
            res = teacher(img)
            dt = time.perf_counter() - t0
            times.append(dt)
            print(f"{name}: {res.reason} confident={res.confident} area={float((res.mask > 0.5).mean()):.3f} "
                  f"{dt:.2f}s", flush=True)
            tiles.append(tile(img, res, name, args.tile, dt))
            if len(tiles) >= args.per_sheet:
                flush()
        flush()
    if times:
        print(f"{len(times)} frames, mean {np.mean(times):.2f}s, max {np.max(times):.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
