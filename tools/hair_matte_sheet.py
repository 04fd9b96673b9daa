"""Before / without / with the outfit's full-resolution hair matte (render/hair_matte.py), cropped round
where it changes the picture: the image shown in the README. The photo gets the live garment mask, as a
stream's frame does (a photo's own careful mask, the teacher's, leaves the hair out before the matte runs).

    python tools/hair_matte_sheet.py [--image ../shared/data/bodies/dev/mimicmotion/demo1.jpg]
        [--outfit "#C0392B"] [--out docs/hair_matte.jpg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", default=str(ROOT.parent / "shared" / "data" / "bodies" / "dev" / "mimicmotion" / "demo1.jpg"))
    p.add_argument("--outfit", default="#C0392B")
    p.add_argument("--out", default=str(ROOT / "docs" / "hair_matte.jpg"))
    args = p.parse_args(argv)

    import tryon_desktop.render.hair_matte as HM
    from tryon_desktop.core.looks import Look, resolve_outfit
    from tryon_desktop.core.media import read_image, write_image
    from tryon_desktop.engine import TryOnEngine

    img = read_image(args.image).bgr
    look = Look(outfit=resolve_outfit(args.outfit))
    outs = []
    for on in (False, True):
        HM.ENABLED = on
        eng = TryOnEngine(model=None, video=False)
        eng.garment.photo_teacher = False  # (the live mask, as a stream has it: a photo's teacher mask leaves
        # the hair out already, and the matte is there for the frames that do not get it)
        try:
            outs.append(eng.process(img, look).frame)
        finally:
            eng.close()
    HM.ENABLED = True
    changed = np.abs(outs[0].astype(np.int16) - outs[1].astype(np.int16)).max(axis=2) > 3
    if not changed.any():
        print("the hair matte changes nothing on this photo; no image written")
        return 1
    ys, xs = np.nonzero(changed)
    h, w = img.shape[:2]
    m = int(0.35 * max(xs.max() - xs.min(), ys.max() - ys.min()))
    x0, x1 = max(0, xs.min() - m), min(w, xs.max() + m)
    y0, y1 = max(0, ys.min() - m), min(h, ys.max() + m)
    tiles = []
    for im, text in ((img, "photo"), (outs[0], "without"), (outs[1], "with the hair matte")):
        t = np.ascontiguousarray(im[y0:y1, x0:x1])
        cv2.putText(t, text, (8, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(t, text, (8, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)
        tiles.append(t)
    write_image(args.out, np.hstack(tiles))
    print(f"wrote {args.out} ({int(changed.sum())} px changed by the matte)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
