"""What the outfit's rim fill (render/rim_fill.py) does on streams: the clip frames with hand-made reference
outlines (tryon_desktop/eval_refs/garment/refs_clips.json), each clip played through a video engine from its
first frame (the live garment mask, as the app has it), with the rim fill on and off side by side.

Per clip frame and colour: the garment-edge bands of `tryon-eval outfit` (the band just inside the outline
left bare, the band just outside painted) and the face, hair, neck and arm pixels changed. `tryon-eval
outfit`'s own edge row is measured on photos, whose masks come from the careful teacher; this is the live
mask's.

    OMP_NUM_THREADS=1 python tools/rim_fill_clips.py [--data ../shared/data] [--colours Sunflower,White,Navy]

--sheet OUT.jpg: instead, the README's before/after close-ups: `video/train/latentsync_demo2.mp4` (a black
sweater against a light wall) made Sunflower, frame 40, three places at 3x: the frame, rim fill off, on.
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


def both_ways(clip: Path, look, last: int):
    """(i, frame, {False: made without the rim fill, True: with it}) for the clip's frames 0..last, each
    way played through a video engine of its own."""
    import tryon_desktop.render.rim_fill as RF
    from tryon_desktop.engine import TryOnEngine

    engines = {on: TryOnEngine(model=None, video=True) for on in (False, True)}
    cap = cv2.VideoCapture(str(clip))
    try:
        for i in range(last + 1):
            ok, frame = cap.read()
            if not ok:
                return
            made = {}
            for on, eng in engines.items():
                RF.ENABLED = on
                made[on] = eng.process(frame, look, timestamp=i / 30.0).frame
            RF.ENABLED = True
            yield i, frame, made
    finally:
        RF.ENABLED = True
        cap.release()
        for eng in engines.values():
            eng.close()


def main(argv: list[str] | None = None) -> int:
    from tryon_desktop.core.looks import Look, resolve_outfit
    from tryon_desktop.eval_outfit import change_levels, edge_fit, leakage
    from tryon_desktop.garment_refs import load_refs

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    p.add_argument("--colours", default="Sunflower,White,Navy", help="outfit catalogue names, comma-separated")
    p.add_argument("--sheet", help="write the before/after close-ups here instead (see above)")
    args = p.parse_args(argv)
    if args.sheet:
        return sheet(Path(args.data) / "video" / "train" / "latentsync_demo2.mp4", Path(args.sheet))
    refs = [r for r in load_refs() if r.frame is not None and (Path(args.data) / r.source).exists()]
    if not refs:
        print(f"no reference clips under {args.data}")
        return 1
    by_clip: dict[str, list] = {}
    for r in refs:
        by_clip.setdefault(r.source, []).append(r)
    looks = [(name, Look(outfit=resolve_outfit(name))) for name in args.colours.split(",")]
    rows = []
    for source, clip_refs in by_clip.items():
        want = {r.frame: r for r in clip_refs}
        for name, look in looks:
            for i, frame, out in both_ways(Path(args.data) / source, look, max(want)):
                if i in want:
                    labels = want[i].labels()
                    if labels.shape != frame.shape[:2]:
                        labels = cv2.resize(labels, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_NEAREST)
                    row = {"id": want[i].id, "colour": name}
                    for on in (False, True):
                        diff = change_levels(frame, out[on])
                        e = edge_fit(diff, labels)
                        leak = leakage(frame, out[on], np.ones(labels.shape, np.float32), labels, diff=diff)
                        row[on] = (e, {k: leak.get(f"{k}_px", 0) for k in ("face", "hair", "neck", "arm")})
                    rows.append(row)
    print("clip frame, colour: inside band left bare / outside band painted (rim fill off -> on); face, hair, neck, "
          "arm pixels changed (off -> on)")
    bare = {False: [], True: []}
    spill = {False: [], True: []}
    for row in rows:
        cells = []
        for on in (False, True):
            e = row[on][0]
            cells.append("-" if e is None else f"{100 * e['bare']:.1f}% / {100 * e['spill']:.1f}%")
            if e is not None:
                bare[on].append(e["bare"])
                spill[on].append(e["spill"])
        px = " ".join(f"{k} {row[False][1][k]}->{row[True][1][k]}" for k in ("face", "hair", "neck", "arm"))
        print(f"  {row['id']:28s} {row['colour']:10s} {cells[0]:>16s} -> {cells[1]:<16s} {px}")
    for on in (False, True):
        if bare[on]:
            print(f"median over clip frames x colours, rim fill {'on ' if on else 'off'}: inside left bare "
                  f"{100 * np.median(bare[on]):.1f}%, outside painted {100 * np.median(spill[on]):.1f}% ({len(bare[on])})")
    return 0


SHEET_FRAME = 40
SHEET_CROPS = ((560, 470, 150, 190), (10, 470, 150, 190), (250, 1000, 220, 150))  # x, y, w, h: both shoulders, the hands


def sheet(clip: Path, out: Path) -> int:
    from tryon_desktop.core.looks import Look, resolve_outfit

    if not clip.exists():
        print(f"not found: {clip}")
        return 1
    from collections import deque

    last = deque(both_ways(clip, Look(outfit=resolve_outfit("Sunflower")), SHEET_FRAME), maxlen=1)  # (the last frame only)
    got = last[0] if last else None
    if got is None or got[0] != SHEET_FRAME:
        print(f"{clip} has fewer than {SHEET_FRAME + 1} frames")
        return 1
    _, frame, made = got
    rows = []
    for x, y, w, h in SHEET_CROPS:
        tiles = [cv2.resize(img[y:y + h, x:x + w], (3 * w, 3 * h), interpolation=cv2.INTER_NEAREST)
                 for img in (frame, made[False], made[True])]
        rows.append(np.hstack([np.pad(t, ((0, 6), (0, 6), (0, 0)), constant_values=255) for t in tiles]))
    width = max(r.shape[1] for r in rows)
    img = np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp.jpg")
    cv2.imwrite(str(tmp), img, [cv2.IMWRITE_JPEG_QUALITY, 88])
    tmp.replace(out)
    print(f"wrote {out} ({img.shape[1]}x{img.shape[0]}): the frame | rim fill off | rim fill on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
