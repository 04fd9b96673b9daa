"""How far this tree's lipstick output is from git revision REV's: both whole packages in one process (REV's
extracted with `git archive` and imported under another name), the same frames, the same landmarks.

Cases: the dev faces (photos, one call each on a fresh engine) and tryon-bench's moving clip at 1280x720 (a
video engine per package, the frames in order: the temporal smoothing runs too), for every shade asked for.
Per case: the largest difference (levels, any channel) inside the lips' box, and the share of the pixels
under the lip mask (alpha > 0) that differ by more than one level. With --crops DIR, 3x close-ups of the
lips (before | REV | this tree | difference x20) for the first face, at its own size and at a webcam's.

    OMP_NUM_THREADS=1 python tools/lip_parity.py --against HEAD --shades "Cherry Gloss,Orchid Shimmer"
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from bench_lip import Replay, load_tree  # noqa: E402

FACES = ROOT.parent / "shared" / "data" / "faces" / "dev"


def compare(a: np.ndarray, b: np.ndarray, box, alpha_px: np.ndarray) -> tuple[int, int, int]:
    """(max difference in the box, pixels under the mask differing by > 1 level, pixels under the mask)."""
    d = np.abs(a[box.slices].astype(np.int16) - b[box.slices].astype(np.int16)).max(-1)
    return int(d.max()), int((d[alpha_px] > 1).sum()), int(alpha_px.sum())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--against", default="HEAD")
    p.add_argument("--shades", default="Cherry Gloss,Orchid Shimmer,Classic Red,Ruby Velvet,Ballet Pink,Onyx Black")
    p.add_argument("--faces", default=str(FACES))
    p.add_argument("--clip-frames", type=int, default=40)
    p.add_argument("--mouth", type=float, default=80.0, help="mouth width (px) of the faces' smaller copies")
    p.add_argument("--crops", help="folder for before/old/new close-ups (PNG)")
    args = p.parse_args(argv)

    import tryon_desktop
    from tryon_desktop.cli import clip_frame, synthetic_clip
    from tryon_desktop.core.masks import lip_box, lip_mask, mouth_width
    from tryon_desktop.core.media import read_image
    from tryon_desktop.vision.face_tracker import FaceTracker

    old = load_tree(args.against)
    print(f"new: {tryon_desktop.__file__}\nold: {old.__file__}")
    pkgs = {"old": old, "new": tryon_desktop}
    looks = {k: importlib.import_module(v.__name__ + ".core.looks") for k, v in pkgs.items()}
    engines = {k: importlib.import_module(v.__name__ + ".engine") for k, v in pkgs.items()}

    images = [(f.name, read_image(f).bgr) for f in sorted(Path(args.faces).rglob("*.jpg"))]
    with FaceTracker(max_faces=1, video=False) as tr:
        tracked = [(name, img, tr.track(img)) for name, img in images]
        tracked = [t for t in tracked if t[2]]
        # each face again at a webcam's size: its mouth about --mouth px wide
        for name, img, faces in list(tracked):
            k = args.mouth / mouth_width(faces[0].landmarks)
            small = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
            found = tr.track(small)
            if found:
                tracked.append((f"{name[:-4]}@{args.mouth:.0f}px.jpg", small, found))
    clip = synthetic_clip(1280, 720, 60)
    with FaceTracker(max_faces=2, video=True) as tr:
        clip_faces = [tr.track(clip_frame(clip, i)) for i in range(args.clip_frames)]

    # close-ups of the first face at its own size and at a webcam's
    crop_faces = {tracked[0][0]} | {next((n for n, _, _ in tracked if "@" in n), "")}
    worst = (0, 0.0)
    tot_bad = tot_px = 0
    for spec in args.shades.split(","):
        shades = {k: m.resolve_shade(spec.strip()) for k, m in looks.items()}
        rows = []
        for name, img, faces in tracked:
            out = {}
            for k in pkgs:
                eng = engines[k].TryOnEngine(video=False, tracker=Replay({id(img): faces}), garment_model=None,
                                             outfit_model=None)
                out[k] = eng.process(img, shades[k]).frame
                eng.close()
            lm = faces[0].landmarks
            box = lip_box(lm, img.shape)
            m, bad, n = compare(out["old"], out["new"], box, lip_mask(lm, box) > 0)
            rows.append((name, m, bad, n))
            if args.crops and name in crop_faces:
                save_crops(Path(args.crops), f"{spec.strip().replace(' ', '_')}_{name[:-4]}", img, out, box)
        vids = {k: engines[k].TryOnEngine(video=True, tracker=Replay({id(clip_frame(clip, i)): clip_faces[i]
                                                                       for i in range(args.clip_frames)}),
                                          garment_model=None, outfit_model=None) for k in pkgs}
        vm, vbad, vn = 0, 0, 0
        for i in range(args.clip_frames):
            f = clip_frame(clip, i)
            res = {k: e.process(f, shades[k], timestamp=i / 30.0).frame for k, e in vids.items()}
            for face in clip_faces[i]:
                box = lip_box(face.landmarks, f.shape)
                m, bad, n = compare(res["old"], res["new"], box, lip_mask(face.landmarks, box) > 0)
                vm, vbad, vn = max(vm, m), vbad + bad, vn + n
        for e in vids.values():
            e.close()
        rows.append((f"clip x{args.clip_frames}", vm, vbad, vn))
        print(f"{spec.strip()}:")
        for name, m, bad, n in rows:
            print(f"  {name:<30} max {m:>2} levels, > 1 level: {bad:>5} of {n:>6} lip px ({100.0 * bad / max(n, 1):.3f}%)")
            worst = max(worst, (m, 100.0 * bad / max(n, 1)))
            tot_bad, tot_px = tot_bad + bad, tot_px + n
    print(f"all: max {worst[0]} levels; > 1 level on {tot_bad} of {tot_px} lip px ({100.0 * tot_bad / max(tot_px, 1):.4f}%)")
    return 0


def save_crops(folder: Path, stem: str, img: np.ndarray, out: dict, box, scale: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pad = 6
    y0, y1 = max(0, box.y0 - pad), min(img.shape[0], box.y1 + pad)
    x0, x1 = max(0, box.x0 - pad), min(img.shape[1], box.x1 + pad)
    tiles = [img[y0:y1, x0:x1], out["old"][y0:y1, x0:x1], out["new"][y0:y1, x0:x1]]
    diff = np.abs(tiles[1].astype(np.int16) - tiles[2].astype(np.int16)) * 20
    tiles.append(np.clip(diff, 0, 255).astype(np.uint8))
    big = [cv2.resize(t, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) for t in tiles]
    cv2.imwrite(str(folder / f"{stem}.png"), np.concatenate(big, axis=0))


if __name__ == "__main__":
    sys.exit(main())
