"""Make the before/after images shown in the README (docs/*.jpg).

    python tools/make_readme_images.py [--shared ../shared/data] [--model auto|none]

1. docs/before_after_grace.jpg: the demo photo, Classic Red, before | after (same as
   `tryon-render -o docs/before_after_grace.jpg --compare`).
2. docs/before_after_clip.jpg: the frame of ../shared/data/video/dev/liveportrait_d0.mp4 where the mouth is
   open widest, before | after, with a 3x close-up of the mouth below (teeth must stay white).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.cli import _side_by_side
from tryon_desktop.core.looks import resolve_shade
from tryon_desktop.core.media import demo_photo_path, open_video, read_image, write_image
from tryon_desktop.engine import TryOnEngine

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _mouth_zoom(before, after, box, zoom=3):
    pad_x, pad_y = box.width // 2, box.height // 2
    y0, y1 = max(0, box.y0 - pad_y), min(before.shape[0], box.y1 + pad_y)
    x0, x1 = max(0, box.x0 - pad_x), min(before.shape[1], box.x1 + pad_x)
    crops = [cv2.resize(im[y0:y1, x0:x1], None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
             for im in (before, after)]
    return _side_by_side(*crops)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--model", default="auto")
    ap.add_argument("--shade", default="Classic Red")
    args = ap.parse_args()
    model = None if args.model == "none" else args.model
    shade = resolve_shade(args.shade)
    DOCS.mkdir(exist_ok=True)

    img = read_image(demo_photo_path()).bgr
    with TryOnEngine(model=model, video=False) as engine:
        res = engine.process(img, shade)
    write_image(DOCS / "before_after_grace.jpg", _side_by_side(img, res.frame))
    print("wrote", DOCS / "before_after_grace.jpg", "renderer:", res.renderer)

    clip = Path(args.shared) / "video" / "dev" / "liveportrait_d0.mp4"
    if not clip.exists():
        print(f"skipped the clip image: {clip} is absent", file=sys.stderr)
        return 0
    cap, info = open_video(clip)
    best = None
    with TryOnEngine(model=model, video=True) as engine:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            res = engine.process(frame, shade, timestamp=i / info.fps)
            i += 1
            if res.faces and (best is None or res.faces[0].mouth_open > best[2].faces[0].mouth_open):
                best = (i, frame, res)
    cap.release()
    if best is None:
        print("no face found in the clip", file=sys.stderr)
        return 1
    idx, frame, res = best
    top = _side_by_side(frame, res.frame)
    zoom = _mouth_zoom(frame, res.frame, res.faces[0].box)
    zoom = cv2.resize(zoom, (top.shape[1], int(zoom.shape[0] * top.shape[1] / zoom.shape[1])))
    write_image(DOCS / "before_after_clip.jpg", np.vstack([top, zoom]))
    print(f"wrote {DOCS / 'before_after_clip.jpg'} (frame {idx}, mouth opening {res.faces[0].mouth_open:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
