"""A sheet of lip close-ups (before | reference | gan, crops upscaled x3 nearest-neighbour) for the cases a
customer looks at closest: a closed mouth's seam, a lower-lip highlight, a dark shade, the four finishes,
the deepest skin tone in the data, a small mouth's satin sheen (also with the sheen's edge left unsoftened,
as it was before stop 37), a tilted open mouth. Renders go through the app's own lipstick path
(LipstickEffect: its mask, teeth guard, blend), shades at catalogue opacity.

    .venv/bin/python tools/lip_closeups.py --out docs/lip_closeups.jpg [--faces ../shared/data/faces/dev]
        [--tone-faces ../shared/data/faces/train] [--scale 3] [--deep-face NAME]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop import eval_lip_quality as q
from tryon_desktop.core.colour import bgr8_to_lab
from tryon_desktop.core.looks import Finish, default_catalogue
from tryon_desktop.core.masks import LIPS_OUTER, mouth_width
from tryon_desktop.evaluate import SHARED, images_in, track_faces
from tryon_desktop.train.io import atomic_image_write

MAX_CROP_W = 200  # native pixels; wider lips are cropped to their centre
FONT = cv2.FONT_HERSHEY_SIMPLEX


def crop_window(lm: np.ndarray, shape, margin: float = 0.2) -> tuple[int, int, int, int]:
    pts = np.asarray(lm)[list(LIPS_OUTER), :2]
    mw = mouth_width(lm)
    x0, y0 = pts.min(0) - margin * mw
    x1, y1 = pts.max(0) + margin * mw
    cx = 0.5 * (x0 + x1)
    if x1 - x0 > MAX_CROP_W:
        x0, x1 = cx - MAX_CROP_W / 2, cx + MAX_CROP_W / 2
    h, w = shape[:2]
    return max(0, int(x0)), max(0, int(y0)), min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))


def tile(img: np.ndarray, win, scale: int, text: str) -> np.ndarray:
    x0, y0, x1, y1 = win
    c = img[y0:y1, x0:x1]
    scale = max(scale, int(np.ceil(360 / max(c.shape[1], 1))))  # small (web) faces: at least 360 px wide
    if text == "before":
        text = f"before (x{scale})"
    out = cv2.resize(c, (c.shape[1] * scale, c.shape[0] * scale), interpolation=cv2.INTER_NEAREST)
    cv2.putText(out, text, (6, 20), FONT, 0.55, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(out, text, (6, 20), FONT, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def panel(title: str, rows: list[list[np.ndarray]], width: int) -> np.ndarray:
    head = np.full((30, width, 3), 255, np.uint8)
    cv2.putText(head, title, (8, 21), FONT, 0.62, (0, 0, 0), 1, cv2.LINE_AA)
    out = [head]
    for r in rows:
        line = np.hstack([np.pad(t, ((0, 0), (0, 4), (0, 0)), constant_values=255) for t in r])
        out.append(np.pad(line, ((0, 4), (0, max(0, width - line.shape[1])), (0, 0)), constant_values=255)[:, :width])
    return np.vstack(out)


def render(backend, img, lm, shade):
    out = q.customer_make_up(backend, img, lm, shade)
    return out if out is not None else img


def lower_lip_highlight(face) -> float:
    reg = q.lip_regions(face.landmarks, face.image.shape)
    if reg is None or reg.core.sum() < 50:
        return -1.0
    ys, xs = np.nonzero(reg.core)
    mid_y = np.interp(xs, reg.midline[:, 0], reg.midline[:, 1])
    low = ys > mid_y + 2
    if low.sum() < 30:
        return -1.0
    L = bgr8_to_lab(face.image[reg.win.slices])[..., 0][ys[low], xs[low]]
    return float(np.percentile(L, 99.5) - np.percentile(L, 50))


def lips_visible(face) -> bool:
    """Lips redder than the cheeks (a* at least 2 higher): not a hand or a mask over the mouth."""
    reg = q.lip_regions(face.landmarks, face.image.shape)
    ck = q.cheek_lab(face.image, face.landmarks)
    if reg is None or ck is None or reg.core.sum() < 20:
        return False
    return float(np.median(bgr8_to_lab(face.image[reg.win.slices])[reg.core][:, 1])) >= ck[1] + 2.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/lip_closeups.jpg")
    p.add_argument("--faces", default=str(SHARED / "faces" / "dev"))
    p.add_argument("--tone-faces", default=str(SHARED / "faces" / "train"),
                   help="folder whose held-out split is searched for the deepest skin tone ('' to skip)")
    p.add_argument("--model", default="auto")
    p.add_argument("--scale", type=int, default=3)
    p.add_argument("--deep-face", default="", help="name (part) of the face for the deep skin tone panel "
                   "(default: the lowest cheek ITA among faces with a 40 px mouth and visible lips)")
    a = p.parse_args(argv)
    from tryon_desktop.engine import DEFAULT_LIPSTICK_MANIFEST, ReferenceLipstick
    from tryon_desktop.vision.face_tracker import FaceTracker

    backends = {"reference": ReferenceLipstick()}
    manifest = DEFAULT_LIPSTICK_MANIFEST if a.model == "auto" else Path(a.model)
    if manifest.exists():
        from tryon_desktop.vision.lip_generator import GanLipstick

        backends["gan"] = GanLipstick(manifest)
    else:
        print("no generator installed: reference only", file=sys.stderr)
    root = Path(a.faces)
    faces, _ = track_faces(images_in(root), root)
    if not faces:
        print(f"no faces in {root}", file=sys.stderr)
        return 1
    faces.sort(key=lambda f: f.name)
    for f in faces:
        f.reg = q.lip_regions(f.landmarks, f.image.shape)
    faces = [f for f in faces if f.reg is not None]
    cat = default_catalogue()
    by = {s.name: s for s in cat}

    def pick(names, family):
        for n in names:
            if n in by:
                return by[n]
        return next((s for s in cat if s.family == family), cat[0])

    red = pick(["Classic Red"], "red")
    gloss = pick(["Cherry Gloss"], "red")
    dark = pick(["Deep Aubergine", "Black Cherry"], "plum")
    pink = pick(["Hot Pink"], "pink")  # contrasts with both red and bare lips: a bare seam shows
    s = a.scale
    sections = []

    def compare(title, img, lm, shade, note=""):
        win = crop_window(lm, img.shape)
        row = [tile(img, win, s, "before")]
        row += [tile(render(be, img, lm, shade), win, s, n) for n, be in backends.items()]
        sections.append((f"{title}: {shade.name} ({shade.finish.value}) {note}".strip(), [row]))

    closed = [f for f in faces if f.reg.opening < q.CLOSED_MAX]
    if closed:
        f = max(closed, key=lambda f: f.reg.mw)
        compare("closed mouth seam", f.image, f.landmarks, pink, f"- {f.name}")
    f = max(faces, key=lower_lip_highlight)
    compare("lower-lip highlight", f.image, f.landmarks, gloss, f"- {f.name}")
    tones = [(q.face_tone(f), f) for f in faces]
    light = max((t for t in tones if t[0] is not None), key=lambda t: t[0], default=(None, faces[0]))[1]
    compare("dark shade", light.image, light.landmarks, dark, f"- {light.name}")
    f = max(closed or faces, key=lambda f: f.reg.mw)
    win = crop_window(f.landmarks, f.image.shape)
    rows = []
    for n, be in backends.items():
        row = [tile(f.image, win, s, "before")]
        row += [tile(render(be, f.image, f.landmarks, replace(red, finish=Finish(fin))), win, s, f"{n} {fin}")
                for fin in q.FINISH_ORDER]
        rows.append(row)
    sections.append((f"four finishes: {red.name} - {f.name}", rows))
    cands = list(faces)
    if a.tone_faces and Path(a.tone_faces).is_dir():
        from tryon_desktop.train.data import is_holdout

        troot = Path(a.tone_faces)
        paths = [p for p in images_in(troot) if is_holdout(f"{troot.name}/{p.relative_to(troot)}")]
        tf, _ = track_faces(paths, troot)
        cands += [t for t in tf if mouth_width(t.landmarks) >= 40]
    if a.deep_face:
        cands = [f for f in cands if a.deep_face in f.name] or cands
    else:
        cands = [f for f in cands if lips_visible(f)]
    tones = [(q.face_tone(f), f) for f in cands]
    tones = [t for t in tones if t[0] is not None]
    if tones:
        ita, f = min(tones, key=lambda t: t[0])
        compare("deepest skin tone", f.image, f.landmarks, red, f"- {f.name}, ITA {ita:.0f}")
    if tones:
        # the satin sheen's edge on a small mouth (render.lipstick.SHEEN_SOFTEN): the face with a mouth at most
        # 80 px wide whose lips change most (mean over the crop) when the edge is left as it was before stop 37
        from contextlib import contextmanager

        from tryon_desktop.render import lipstick as rl

        @contextmanager
        def unsoftened():
            saved = rl.SHEEN_SOFTEN
            rl.SHEEN_SOFTEN = 0.0
            try:
                yield
            finally:
                rl.SHEEN_SOFTEN = saved

        coral = pick(["Coral Reef"], "coral")
        be = backends.get("gan", backends["reference"])

        def edge_change(f):
            x0, y0, x1, y1 = crop_window(f.landmarks, f.image.shape)
            with unsoftened():
                old = render(be, f.image, f.landmarks, coral)
            d = np.abs(render(be, f.image, f.landmarks, coral).astype(np.int16) - old)[y0:y1, x0:x1]
            return float(d.max(-1).mean())

        small = [t[1] for t in tones if mouth_width(t[1].landmarks) <= 80] or [t[1] for t in tones]
        f = max(small, key=edge_change)
        win = crop_window(f.landmarks, f.image.shape)
        row = [tile(f.image, win, s, "before")]
        row += [tile(render(b, f.image, f.landmarks, coral), win, s, n) for n, b in backends.items()]
        with unsoftened():
            row += [tile(render(b, f.image, f.landmarks, coral), win, s, f"{n}, sheen edge unsoftened")
                    for n, b in backends.items()]
        sections.append((f"small mouth, satin sheen: {coral.name} ({coral.finish.value}) - {f.name}, "
                         f"{mouth_width(f.landmarks):.0f} px mouth", [row]))
    opened = [f for f in faces if f.reg.opening > q.OPEN_MIN]
    if opened:
        f = max(opened, key=lambda f: f.reg.opening)
        c = np.asarray(f.landmarks)[list(LIPS_OUTER), :2].mean(0)
        img = q.rotate_about(f.image, c, 20.0)
        with FaceTracker(max_faces=1, video=False) as tr:
            found = tr.track(img)
        if found:
            compare("tilted open mouth (+20 deg, re-tracked)", img, found[0].landmarks.astype(np.float64), pink,
                    f"- {f.name}")
    width = max(sum(t.shape[1] + 4 for t in r) for _, rows in sections for r in rows)
    sheet = np.vstack([panel(t, rows, width) for t, rows in sections])
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, 90] if out.suffix.lower() in (".jpg", ".jpeg") else []
    atomic_image_write(out, sheet, params)
    print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
