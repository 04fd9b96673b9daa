"""Contact sheets of the live garment mask (the app's own path: TryOnEngine with the overlay) on clips and
photos, with the teacher's mask beside it when asked, to look at every dev clip.

    python tools/garment_mask_sheet.py --out /tmp/sheets [--data ../shared/data] [--frames 6] [--teacher]
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.engine import TryOnEngine, draw_mask_overlay
from tryon_desktop.eval_garment import VIDEO_EXTS, read_clip


def label(img: np.ndarray, text: str) -> np.ndarray:
    out = img.copy()
    cv2.putText(out, text, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(out, text, (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)
    return out


def fit(img: np.ndarray, h: int = 300) -> np.ndarray:
    return cv2.resize(img, (max(1, int(img.shape[1] * h / img.shape[0])), h), interpolation=cv2.INTER_AREA)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    p.add_argument("--out", required=True)
    p.add_argument("--frames", type=int, default=6)
    p.add_argument("--max-frames", type=int, default=300)
    p.add_argument("--model", default="auto")
    p.add_argument("--teacher", action="store_true")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    teacher = None
    if a.teacher:
        from tryon_desktop.vision.garment_teacher import GarmentTeacher

        teacher = GarmentTeacher()
    clips = sorted(q for q in (Path(a.data) / "video" / "dev").glob("*") if q.suffix.lower() in VIDEO_EXTS
                   and "mask" not in q.stem and "densepose" not in q.stem)
    for clip in clips:
        frames, fps = read_clip(clip, a.max_frames)
        if not frames:
            continue
        pick = set(np.linspace(0, len(frames) - 1, a.frames).astype(int).tolist())
        cells = []
        with TryOnEngine(model=None, video=True, garment_model=a.model) as eng:
            for i, fr in enumerate(frames):
                res = eng.process(fr, None, timestamp=i / fps, show_mask=i in pick, garment_mask=True)
                if i not in pick:
                    continue
                cell = [label(fit(res.frame), f"{clip.stem} #{i} student")]
                if teacher is not None:
                    t = fr.copy()
                    draw_mask_overlay(t, teacher(fr).mask)
                    cell.append(label(fit(t), "teacher"))
                cells.append(np.hstack(cell))
        w = max(c.shape[1] for c in cells)
        cells = [np.pad(c, ((0, 0), (0, w - c.shape[1]), (0, 0))) for c in cells]
        rows = [np.hstack(cells[i:i + 2]) if i + 1 < len(cells) else np.hstack([cells[i], np.zeros_like(cells[i])])
                for i in range(0, len(cells), 2)]
        cv2.imwrite(str(out / f"{clip.stem}.png"), np.vstack(rows))
        print(out / f"{clip.stem}.png")


if __name__ == "__main__":
    main()
