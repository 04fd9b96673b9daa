"""Draw the hand-made reference garment masks over their frames, to look at them while drawing.

    python tools/garment_refs_view.py --out /tmp/refs [--data ../shared/data] [--id ID] [--grid 50]
"""

import argparse
from pathlib import Path

import cv2

from tryon_desktop.garment_refs import load_refs, overlay, read_frame


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--out", required=True)
    p.add_argument("--id", action="append")
    p.add_argument("--grid", type=int, default=0)
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for ref in load_refs():
        if a.id and ref.id not in a.id:
            continue
        img = read_frame(a.data, ref.source, ref.frame)
        if img is None:
            print(f"{ref.id}: missing {ref.source}")
            continue
        if (img.shape[1], img.shape[0]) != ref.size:
            print(f"{ref.id}: size {img.shape[1]}x{img.shape[0]} differs from {ref.size}")
        cv2.imwrite(str(out / f"{ref.id}.png"), overlay(img, ref.labels(), grid=a.grid))
        print(out / f"{ref.id}.png")


if __name__ == "__main__":
    main()
