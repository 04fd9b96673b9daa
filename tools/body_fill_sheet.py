"""Before/after sheet of the live garment mask's body fill: webcam-like clips and photos streamed through the
app's engine (video mode, as the live view gets them) with an outfit colour, the fill off and on, side by
side; one row per source, at the given frame of a clip (a photo is streamed as a still for a few frames).

    python tools/body_fill_sheet.py --out docs/body_fill.jpg [--outfit "#C0392B"] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (source under the data folder, frame of a clip or None for a photo)
SOURCES = [
    ("video/dev/animateanyone_talkinghead2.mp4", 256),
    ("video/dev/animateanyone_talkinghead4.mp4", 148),
    ("faces/dev/celebahq/src_male_196930.jpg", None),
    ("bodies/dev/catvton/mothr22044226e8_1718142523286_2-0._QL90_UX564_V12524t6_.jpg", None),
    ("bodies/dev/fitdit/2.jpg", None),
]


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    for colour, width in (((0, 0, 0), 4), ((255, 255, 255), 2)):
        cv2.putText(out, text, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.65, colour, width, cv2.LINE_AA)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--out", required=True)
    p.add_argument("--outfit", default="#C0392B")
    p.add_argument("--height", type=int, default=300)
    args = p.parse_args(argv)

    from tryon_desktop.core.looks import Look, resolve_outfit
    from tryon_desktop.engine import GarmentPerception, TryOnEngine
    from tryon_desktop.eval_garment import read_clip

    look = Look(outfit=resolve_outfit(args.outfit))
    rows = []
    for rel, frame_no in SOURCES:
        path = Path(args.data) / rel
        if not path.is_file():
            print(f"skipped (missing): {path}")
            continue
        if frame_no is None:
            img = cv2.imread(str(path))
            frames = [img] * 8
        else:
            clip, _ = read_clip(path, frame_no + 1)
            frames = clip[max(0, frame_no - 9):frame_no + 1]
        cells = [frames[-1]]
        for on in (False, True):
            GarmentPerception.body_fill = on
            GarmentPerception.photo_teacher = False  # the live view's mask (a still would get the teacher's later)
            with TryOnEngine(model=None, video=True) as eng:
                for i, f in enumerate(frames):
                    res = eng.process(f, look, timestamp=i / 30.0)
                    time.sleep(1 / 30)  # at a camera's pace: the fill's person mask is made beside the frames
            cells.append(res.frame)
        GarmentPerception.body_fill, GarmentPerception.photo_teacher = True, True
        h = args.height
        fit = [cv2.resize(c, (max(1, round(c.shape[1] * h / c.shape[0])), h), interpolation=cv2.INTER_AREA)
               for c in cells]
        names = [Path(rel).stem[:28], "live mask, no body fill", "with the body fill"]
        rows.append(np.hstack([label(c, n) for c, n in zip(fit, names, strict=True)]))
    if not rows:
        print("no sources found")
        return 1
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0))) for r in rows]
    sheet = np.vstack(rows)
    out = Path(args.out)
    tmp = out.with_name(out.stem + ".tmp" + out.suffix)
    cv2.imwrite(str(tmp), sheet, [cv2.IMWRITE_JPEG_QUALITY, 88])
    tmp.replace(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
