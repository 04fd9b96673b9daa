"""How much a patterned outfit shimmers on a still body: the frame-to-frame change of the made-up frame
inside the garment (its mask eroded, sure pixels only), against the camera's own change there and against a
plain colour on the same frames.

    python tools/pattern_jitter.py ../shared/data/video/dev/liveportrait_d0.mp4 [--frames 60]

Prints, per swatch, the median and p90 over consecutive frame pairs of the mean |change| in 8-bit levels.
A pattern pinned to the body changes about as little as a plain colour; one drawn from the garment box's
corner jumps whenever the mask's edge moves.
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np


def frames_of(path: str, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(path)
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        h, w = f.shape[:2]
        s = min(1280 / w, 720 / h)
        out.append(cv2.resize(f, (int(w * s) // 2 * 2, int(h * s) // 2 * 2), interpolation=cv2.INTER_AREA))
    cap.release()
    return out


def jitter(frames: list[np.ndarray], swatch) -> tuple[np.ndarray, np.ndarray]:
    from tryon_desktop.core.looks import Look
    from tryon_desktop.engine import TryOnEngine

    engine = TryOnEngine(model=None, video=True)
    look = Look(outfit=swatch)
    d_in, d_out = [], []
    prev = None
    try:
        for i, f in enumerate(frames):
            res = engine.process(f, look, timestamp=i / 30.0, garment_mask=True)
            if res.garment_mask is None:
                prev = None
                continue
            sure = cv2.resize((res.garment_mask > 0.9).astype(np.uint8), f.shape[1::-1], interpolation=cv2.INTER_NEAREST)
            sure = cv2.erode(sure, np.ones((9, 9), np.uint8)) > 0
            cur = (f.astype(np.int16), res.frame.astype(np.int16), sure)
            if prev is not None:
                both = cur[2] & prev[2]
                if both.sum() > 1000:
                    d_in.append(float(np.abs(cur[0] - prev[0])[both].mean()))
                    d_out.append(float(np.abs(cur[1] - prev[1])[both].mean()))
            prev = cur
    finally:
        engine.close()
    return np.array(d_in), np.array(d_out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("clip")
    ap.add_argument("--frames", type=int, default=60)
    args = ap.parse_args(argv)
    from tryon_desktop.core.looks import OutfitSwatch

    frames = frames_of(args.clip, args.frames)
    if len(frames) < 2:
        print(f"{args.clip}: fewer than two frames", file=sys.stderr)
        return 2
    for sw in (OutfitSwatch(name="navy", rgb=(28, 38, 74)),
               OutfitSwatch(name="navy stripes", pattern="stripes", rgb=(28, 38, 74), scale=0.15),
               OutfitSwatch(name="red gingham", pattern="gingham", rgb=(200, 30, 40), scale=0.15)):
        d_in, d_out = jitter(frames, sw)
        if not len(d_in):
            print(f"{sw.name:14s} no garment found")
            continue
        print(f"{sw.name:14s} pairs {len(d_in):3d}  camera {np.median(d_in):.2f}  made-up median {np.median(d_out):.2f} "
              f"p90 {np.percentile(d_out, 90):.2f} levels")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
