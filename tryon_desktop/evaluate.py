"""tryon-eval lipstick: the GAN and the reference renderer side by side, on face photos and clips.

Metrics (each defined here, in code, and reported for both backends in the same run):

shade accuracy   CIEDE2000 between the requested shade and the made-up lips with lightness factored out
                 and highlights excluded: over the lip core (mask > 0.9) drop pixels above the 85th and
                 below the 10th luminance percentile (highlights, deep creases); average the rest in linear
                 RGB; scale that mean so its luminance equals the shade's own; Lab; CIEDE2000 against the
                 shade. Shades are applied at opacity 1 (opacity deliberately mixes in the bare lips).
                 Median and p90 over faces x shades. Goal: median <= 3.0.
leakage          Share of the lip box's pixels outside the hard lip mask dilated by max(2, 5% of the
                 mouth's width) px that changed by more than 2 levels in any channel. Goal < 0.5%.
texture kept     Pearson correlation of high-pass luminance (Y minus its Gaussian blur, sigma = 2% of the
                 mouth's width) inside the lip core, before vs after. Goal >= 0.8.
flicker          On clips: frame-to-frame CIEDE2000 of the made-up lips' mean colour, over "still" frame
                 pairs (lip landmarks moved < 1% of the mouth's width, opening changed < 0.01), minus the
                 same for the bare input (the camera's own flicker). Median over still pairs.
realism          Two-sample test: a logistic regression (numpy) on colour-independent lip statistics
                 (luminance spread, texture energy, chroma spread, highlight share, edge contrast, ...)
                 trained to tell made-up lips from real photos of lips wearing lipstick; accuracy by
                 repeated stratified 5-fold cross-validation. 50% = indistinguishable. Lower is better.
speed            per call (align + generate of one face) and per frame (whole engine) medians.

Needs no torch: onnxruntime, numpy, cv2, mediapipe.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.blend import composite_in_box
from tryon_desktop.core.colour import (
    LUMA,
    bgr8_to_lab,
    ciede2000,
    linear_to_xyz,
    rgb8_to_lab,
    srgb_to_linear,
    xyz_to_lab,
)
from tryon_desktop.core.looks import FINISHES, Shade, default_catalogue
from tryon_desktop.core.masks import LIPS_INNER, LIPS_OUTER, dilate, lip_box, lip_mask, mouth_opening, mouth_width
from tryon_desktop.errors import InputError, TryOnError
from tryon_desktop.train.io import atomic_image_write, atomic_write_text

log = logging.getLogger(__name__)
SHARED = Path("..") / "shared" / "data"
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm"}
_LIN = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUMA = LUMA.astype(np.float32)


# ---------------------------------------------------------------- metrics


def shade_error(out_bgr: np.ndarray, mask: np.ndarray, shade: Shade) -> float | None:
    """CIEDE2000 between the shade and the made-up lips, lightness factored out, highlights excluded."""
    core = mask > 0.9
    if core.sum() < 20:
        return None
    lin = _LIN[out_bgr[..., ::-1]][core]
    Y = lin @ _LUMA
    lo, hi = np.percentile(Y, [10, 85])
    keep = (Y >= lo) & (Y <= hi)
    if keep.sum() < 10:
        return None
    mean = lin[keep].mean(0).astype(np.float64)
    target_lin = srgb_to_linear(np.asarray(shade.rgb) / 255.0)
    y_t = float(target_lin @ LUMA)
    y_m = float(mean @ LUMA)
    if y_m <= 1e-6:
        return None
    lab = xyz_to_lab(linear_to_xyz(mean * (y_t / y_m)))
    return float(ciede2000(lab, rgb8_to_lab(shade.rgb)))


def hard_lip_mask(landmarks: np.ndarray, box) -> np.ndarray:
    off = np.array([box.x0, box.y0], np.float64)
    m = np.zeros((box.height, box.width), np.uint8)
    cv2.fillPoly(m, [np.round(landmarks[list(LIPS_OUTER)] - off).astype(np.int32)], 1)
    cv2.fillPoly(m, [np.round(landmarks[list(LIPS_INNER)] - off).astype(np.int32)], 0)
    return m > 0


def leakage(before: np.ndarray, after: np.ndarray, landmarks: np.ndarray, box) -> float:
    mw = mouth_width(landmarks)
    outer = np.zeros((box.height, box.width), np.uint8)
    cv2.fillPoly(outer, [np.round(landmarks[list(LIPS_OUTER)] - [box.x0, box.y0]).astype(np.int32)], 1)
    allowed = dilate(outer, max(2, int(round(0.05 * mw))))
    changed = np.abs(after[box.slices].astype(int) - before[box.slices].astype(int)).max(-1) > 2
    outside = ~allowed
    return float(changed[outside].mean()) if outside.any() else 0.0


def texture_kept(before: np.ndarray, after: np.ndarray, mask: np.ndarray, mw: float) -> float | None:
    core = mask > 0.5
    if core.sum() < 30:
        return None
    sigma = max(1.0, 0.02 * mw)

    def hp(img):
        Y = _LIN[img[..., ::-1]] @ _LUMA
        Y = np.sqrt(Y)  # perceptual-ish, so dark lips' texture counts too
        return (Y - cv2.GaussianBlur(Y, (0, 0), sigma))[core]

    a, b = hp(before), hp(after)
    if a.std() < 1e-6 or b.std() < 1e-6:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def lip_stats_features(bgr: np.ndarray, mask: np.ndarray, mw: float) -> np.ndarray | None:
    """Colour-independent statistics of one face's lips (for the realism classifier).

    Nothing here compares the lips with the skin around them: the real set is chosen by exactly that
    contrast (the lipstick score), so such a feature would detect the selection, not the realism."""
    core = mask > 0.7
    if core.sum() < 40:
        return None
    lin = _LIN[bgr[..., ::-1]]
    Y = lin @ _LUMA
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab).astype(np.float32)
    L, a, b = lab[..., 0] * (100 / 255.0), lab[..., 1] - 128.0, lab[..., 2] - 128.0
    C = np.hypot(a, b)
    y = Y[core]
    med = max(float(np.median(y)), 1e-4)
    q = np.log(np.percentile(y, [5, 25, 75, 95]) / med + 1e-3)
    sigma = max(1.0, 0.02 * mw)
    sq = np.sqrt(Y)
    hp = (sq - cv2.GaussianBlur(sq, (0, 0), sigma))[core]
    hpa = (a - cv2.GaussianBlur(a, (0, 0), sigma))[core]
    gx, gy = cv2.Sobel(L, cv2.CV_32F, 1, 0), cv2.Sobel(L, cv2.CV_32F, 0, 1)
    grad = np.hypot(gx, gy)
    edge = (dilate(mask > 0.5, 2) & ~(mask > 0.5)) | (dilate(mask <= 0.5, 2) & (mask > 0.5))
    c_l, l_l = C[core], L[core]
    corr = float(np.corrcoef(l_l, c_l)[0, 1]) if l_l.std() > 1e-3 and c_l.std() > 1e-3 else 0.0
    feats = [
        *q,
        float(hp.std() / (np.sqrt(med) + 1e-3)),
        float(np.abs(hpa).mean() / (np.abs(hp).mean() * 100 + 1e-3)),
        float(c_l.std() / (c_l.mean() + 1.0)),
        float(l_l.std()),
        corr,
        float((y > 1.4 * med).mean()),
        float(grad[edge].mean() / (grad[core].mean() + 1e-3)) if edge.any() else 0.0,
    ]
    return np.asarray(feats, np.float64)


def logistic_cv(X: np.ndarray, y: np.ndarray, folds: int = 5, repeats: int = 10, l2: float = 1e-2,
                seed: int = 0) -> tuple[float, float]:
    """Accuracy (mean, std over repeats) of an L2 logistic regression, stratified k-fold CV."""
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(repeats):
        fold = np.empty(len(y), int)
        for cls in (0, 1):
            idx = np.flatnonzero(y == cls)
            rng.shuffle(idx)
            fold[idx] = np.arange(len(idx)) % folds
        correct = 0
        for f in range(folds):
            tr, te = fold != f, fold == f
            mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-6
            A = np.hstack([(X[tr] - mu) / sd, np.ones((tr.sum(), 1))])
            w = np.zeros(A.shape[1])
            for _ in range(300):  # Newton-free gradient descent is plenty for ~15 features
                p = 1.0 / (1.0 + np.exp(-A @ w))
                grad = A.T @ (p - y[tr]) / len(A) + l2 * np.r_[w[:-1], 0.0]
                w -= 0.5 * grad
            B = np.hstack([(X[te] - mu) / sd, np.ones((te.sum(), 1))])
            correct += int(((B @ w > 0).astype(int) == y[te]).sum())
        accs.append(correct / len(y))
    return float(np.mean(accs)), float(np.std(accs))


# ---------------------------------------------------------------- running the backends


@dataclass
class Face:
    name: str
    image: np.ndarray
    landmarks: np.ndarray
    box: object
    mask: np.ndarray


def track_faces(paths: list[Path], root: Path | None = None) -> tuple[list[Face], int]:
    from tryon_desktop.vision.face_tracker import FaceTracker

    faces, bad = [], 0
    with FaceTracker(max_faces=1, video=False) as tracker:
        for p in paths:
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is None:
                bad += 1
                continue
            found = tracker.track(img)
            if not found:
                bad += 1
                continue
            lm = found[0].landmarks.astype(np.float64)
            box = lip_box(lm, img.shape)
            if box.empty or mouth_width(lm) < 12:
                bad += 1
                continue
            name = f"{root.name}/{p.relative_to(root)}" if root else p.name
            faces.append(Face(name, img, lm, box, lip_mask(lm, box)))
    return faces, bad


def make_up(backend, face: Face, shade: Shade) -> tuple[np.ndarray, float] | None:
    t = time.perf_counter()
    prepared = backend.prepare(face.image, face.landmarks, face.box, face.mask)
    made = backend.generate(prepared, shade)
    dt = (time.perf_counter() - t) * 1000.0
    if made is None:
        return None
    out = face.image.copy()
    composite_in_box(out, made[0], made[1], face.box)
    return out, dt


def images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def eval_faces(backends: dict, faces: list[Face], shades: list[Shade]) -> dict:
    res = {}
    for name, be in backends.items():
        errs, leaks, tex, times = [], [], [], []
        for face in faces:
            for shade in shades:
                if hasattr(be, "reset"):
                    be.reset()
                r = make_up(be, face, shade.with_(opacity=1.0))
                if r is None:
                    continue
                out, dt = r
                times.append(dt)
                crop = out[face.box.slices]
                e = shade_error(crop, face.mask, shade)
                if e is not None:
                    errs.append(e)
                leaks.append(leakage(face.image, out, face.landmarks, face.box))
                t = texture_kept(face.image[face.box.slices], crop, face.mask, mouth_width(face.landmarks))
                if t is not None:
                    tex.append(t)
        res[name] = {
            "shade_de00_median": float(np.median(errs)) if errs else None,
            "shade_de00_p90": float(np.percentile(errs, 90)) if errs else None,
            "leak_share_mean": float(np.mean(leaks)) if leaks else None,
            "leak_share_max": float(np.max(leaks)) if leaks else None,
            "texture_corr_median": float(np.median(tex)) if tex else None,
            "texture_corr_p10": float(np.percentile(tex, 10)) if tex else None,
            "call_ms_median": float(np.median(times)) if times else None,
            "n": len(errs),
        }
    return res


def to_canvas(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Fit a clip's frame into a webcam-sized canvas (e.g. 1280x720), centred, the rest mid grey."""
    W, H = size
    h, w = frame.shape[:2]
    s = min(W / w, H / h)
    nw, nh = int(round(w * s)), int(round(h * s))
    out = np.full((H, W, 3), 110, np.uint8)
    x0, y0 = (W - nw) // 2, (H - nh) // 2
    out[y0:y0 + nh, x0:x0 + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out


def eval_clips(models: dict, clips: list[Path], shades: list[Shade], max_frames: int,
               canvas: tuple[int, int] | None = (1280, 720)) -> dict:
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.vision.face_tracker import FaceTracker

    from tryon_desktop import eval_lip_quality as q

    res = {name: {"flicker": [], "flicker_source": [], "frame_ms": [], "call_ms": [], "still_pairs": 0,
                  "per_clip": {}, "teeth": [], "still_out": [], "still_in": []}
           for name in models}
    for clip in clips:
        frames = []
        cap = cv2.VideoCapture(str(clip))
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = fps if 1.0 <= fps <= 240.0 else 30.0
        while len(frames) < max_frames:
            ok, fr = cap.read()
            if not ok:
                break
            frames.append(to_canvas(fr, canvas) if canvas else fr)
        cap.release()
        if len(frames) < 3:
            continue
        for name, model in models.items():
            steps_out, steps_in, n_open, n_tracked = [], [], 0, 0
            for shade in shades:
                with TryOnEngine(model=None, max_faces=1, video=True, tracker=FaceTracker(1, True)) as eng:
                    eng.lipstick = model()  # a fresh backend per clip and shade (no state carried over)
                    prev = None
                    prev_q = None  # (made-up core mean Lab, input core mean Lab) of the previous frame
                    for i, fr in enumerate(frames):
                        # the clip's own timestamps: with wall-clock ones the landmark filter (and so the
                        # flicker measured) would depend on how fast each method runs and on the machine's load
                        r = eng.process(fr, shade, timestamp=i / fps)
                        res[name]["frame_ms"].append(r.timings_ms["total"])
                        if not r.faces:
                            prev = prev_q = None
                            continue
                        f = r.faces[0]
                        res[name]["call_ms"].append(r.timings_ms["align"] + r.timings_ms["generate"])
                        # issue 12: whole-clip flicker ratio and teeth, on the hard-polygon core
                        reg = q.lip_regions(f.landmarks, fr.shape)
                        still = False
                        m = lip_mask(f.landmarks, f.box) > 0.9
                        cur = (f.landmarks[list(LIPS_OUTER)], mouth_opening(f.landmarks), mouth_width(f.landmarks),
                               _mean_lab(r.frame[f.box.slices], m) if m.sum() >= 20 else None,
                               _mean_lab(fr[f.box.slices], m) if m.sum() >= 20 else None)
                        if prev is not None:
                            move = np.abs(cur[0] - prev[0]).mean() / max(cur[2], 1.0)
                            still = move < 0.01 and abs(cur[1] - prev[1]) < 0.01
                            if still and cur[3] is not None and prev[3] is not None:
                                res[name]["flicker"].append(float(ciede2000(cur[3], prev[3])))
                                res[name]["flicker_source"].append(float(ciede2000(cur[4], prev[4])))
                        prev = cur if cur[3] is not None else None
                        if reg is None or reg.core.sum() < 20:
                            prev_q = None
                            continue
                        n_tracked += 1
                        win = reg.win.slices
                        cq = (q.mean_lab(r.frame[win], reg.core), q.mean_lab(fr[win], reg.core))
                        if prev_q is not None:
                            so, si = float(ciede2000(cq[0], prev_q[0])), float(ciede2000(cq[1], prev_q[1]))
                            steps_out.append(so)
                            steps_in.append(si)
                            if still:
                                res[name]["still_out"].append(so)
                                res[name]["still_in"].append(si)
                        prev_q = cq
                        if reg.opening > q.OPEN_MIN:
                            n_open += 1
                            if n_open % 3 == 1:
                                b = fr[win]
                                t = q.teeth_touched(b, r.frame[win], q.teeth_mask(bgr8_to_lab(b), reg.inner, reg.core))
                                if t is not None:
                                    res[name]["teeth"].append(t)
            ratio = q.flicker_ratio(steps_out, steps_in)
            if ratio is not None and len(steps_in) >= 10:
                res[name]["per_clip"][clip.stem] = {"ratio": ratio, "pairs": len(steps_in),
                                                    "open_share": n_open / max(n_tracked, 1),
                                                    "out_de00_mean": float(np.mean(steps_out)),
                                                    "in_de00_mean": float(np.mean(steps_in))}
    out = {}
    for name, d in res.items():
        fl, fs = np.array(d["flicker"]), np.array(d["flicker_source"])
        ratios = [c["ratio"] for c in d["per_clip"].values()]
        out[name] = {
            "flicker_de00_median": float(np.median(fl)) if len(fl) else None,
            "flicker_source_de00_median": float(np.median(fs)) if len(fs) else None,
            "flicker_added_median": float(np.median(fl - fs)) if len(fl) else None,
            "still_pairs": len(fl),
            "frame_ms_median": float(np.median(d["frame_ms"])) if d["frame_ms"] else None,
            "call_ms_median": float(np.median(d["call_ms"])) if d["call_ms"] else None,
            "per_clip": d["per_clip"],
            "flicker_ratio_max": max(ratios) if ratios else None,
            "flicker_ratio_median": float(np.median(ratios)) if ratios else None,
            "flicker_ratio_still": q.flicker_ratio(d["still_out"], d["still_in"]),
            "teeth": q._teeth_summary(d["teeth"]),
        }
    return out


def _mean_lab(bgr: np.ndarray, m: np.ndarray) -> np.ndarray:
    lin = _LIN[bgr[..., ::-1]][m].mean(0)
    return xyz_to_lab(linear_to_xyz(lin.astype(np.float64)))


def eval_realism(backends: dict, real_faces: list[Face], bare_faces: list[Face], seed: int = 0) -> dict:
    cat = default_catalogue()
    rng = np.random.default_rng(seed)
    shade_for = [cat[int(rng.integers(len(cat)))] for _ in bare_faces]
    real = [lip_stats_features(f.image[f.box.slices], f.mask, mouth_width(f.landmarks)) for f in real_faces]
    real = [x for x in real if x is not None]
    out = {"n_real": len(real)}
    for name, be in backends.items():
        fake = []
        for face, shade in zip(bare_faces, shade_for, strict=True):
            if hasattr(be, "reset"):
                be.reset()
            r = make_up(be, face, shade)
            if r is None:
                continue
            x = lip_stats_features(r[0][face.box.slices], face.mask, mouth_width(face.landmarks))
            if x is not None:
                fake.append(x)
        n = min(len(real), len(fake))
        if n < 10:
            out[name] = {"accuracy": None, "note": f"too few samples ({n})"}
            continue
        X = np.vstack([np.array(real[:n]), np.array(fake[:n])])
        y = np.r_[np.ones(n), np.zeros(n)]
        acc, sd = logistic_cv(X, y, seed=seed)
        out[name] = {"accuracy": acc, "accuracy_sd": sd, "n_per_class": n}
    # The test's floor: bare (not made-up) held-out lips vs real lipstick lips.
    bare = [lip_stats_features(f.image[f.box.slices], f.mask, mouth_width(f.landmarks)) for f in bare_faces]
    bare = [x for x in bare if x is not None]
    n = min(len(real), len(bare))
    if n >= 10:
        acc, sd = logistic_cv(np.vstack([np.array(real[:n]), np.array(bare[:n])]), np.r_[np.ones(n), np.zeros(n)], seed=seed)
        out["bare_lips"] = {"accuracy": acc, "accuracy_sd": sd, "n_per_class": n}
    return out


# ---------------------------------------------------------------- grid image


def _crop(img: np.ndarray, win: tuple, size: tuple[int, int]) -> np.ndarray:
    x0, y0, x1, y1, pad = win
    im = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else img
    return cv2.resize(im[y0 + pad:y1 + pad, x0 + pad:x1 + pad], size, interpolation=cv2.INTER_AREA)


def lipstick_grid(backend, faces: list[Face], shades: list[Shade], path: Path, cell_w: int = 220,
                  reference=None) -> None:
    """Rows: faces; columns: bare, then each shade (crop around the mouth). JPEG, atomically."""
    rows = []
    for face in faces:
        mw = mouth_width(face.landmarks)
        c = face.landmarks[list(LIPS_OUTER)].mean(0)
        half_w, half_h = 1.1 * mw, 0.75 * mw
        x0, y0 = int(c[0] - half_w), int(c[1] - half_h)
        x1, y1 = int(c[0] + half_w), int(c[1] + half_h)
        h, w = face.image.shape[:2]
        win = (x0, y0, x1, y1, max(0, -x0, -y0, x1 - w, y1 - h))
        size = (cell_w, int(cell_w * half_h / half_w))
        cells = [_crop(face.image, win, size)]
        for shade in shades:
            if hasattr(backend, "reset"):
                backend.reset()
            r = make_up(backend, face, shade)
            cells.append(_crop(r[0] if r else face.image, win, size))
        rows.append(np.hstack(cells))
    grid = np.vstack(rows)
    # header: shade names and finishes
    head = np.full((28, grid.shape[1], 3), 255, np.uint8)
    cw = grid.shape[1] // (len(shades) + 1)
    cv2.putText(head, "bare", (6, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for i, s in enumerate(shades):
        cv2.putText(head, f"{s.name[:16]} ({s.finish.value})", (cw * (i + 1) + 6, 19), cv2.FONT_HERSHEY_SIMPLEX,
                    0.42, (0, 0, 0), 1, cv2.LINE_AA)

    atomic_image_write(path, np.vstack([head, grid]), [cv2.IMWRITE_JPEG_QUALITY, 88])


def grid_shades() -> list[Shade]:
    cat = default_catalogue()
    picks, seen = [], set()
    # spread over the catalogue, and make sure every finish shows up
    for f in FINISHES:
        for s in cat:
            if s.finish == f and s.name not in seen:
                picks.append(s)
                seen.add(s.name)
                break
    step = max(1, len(cat) // 6)
    for s in cat[::step]:
        if len(picks) >= 6:
            break
        if s.name not in seen:
            picks.append(s)
            seen.add(s.name)
    return picks[:6]


# ---------------------------------------------------------------- report


def fmt(v, pct=False, digits=2):
    if v is None:
        return "n/a"
    return f"{100 * v:.{digits}f}%" if pct else f"{v:.{digits}f}"


def markdown(report: dict) -> str:
    names = report["backends"]
    f, c, r = report["faces"], report.get("clips", {}), report.get("realism", {})
    rows = [
        ("shade ΔE00 median (goal ≤ 3.0)", lambda n: fmt(f[n]["shade_de00_median"])),
        ("shade ΔE00 p90", lambda n: fmt(f[n]["shade_de00_p90"])),
        ("leakage, mean share of pixels outside dilated lips changed > 2 levels (goal < 0.5%)",
         lambda n: fmt(f[n]["leak_share_mean"], pct=True, digits=3)),
        ("leakage, worst face", lambda n: fmt(f[n]["leak_share_max"], pct=True, digits=3)),
        ("texture kept: high-pass luminance correlation, median (goal ≥ 0.8)", lambda n: fmt(f[n]["texture_corr_median"])),
        ("texture kept, p10", lambda n: fmt(f[n]["texture_corr_p10"])),
        ("flicker on still clip stretches: ΔE00 frame-to-frame, median", lambda n: fmt(c.get(n, {}).get("flicker_de00_median"))),
        ("  same for the bare input (camera's own)", lambda n: fmt(c.get(n, {}).get("flicker_source_de00_median"))),
        ("  added by make-up, median of per-pair difference", lambda n: fmt(c.get(n, {}).get("flicker_added_median"))),
        ("realism: classifier accuracy made-up vs real lipstick (50% best)",
         lambda n: (fmt(r.get(n, {}).get("accuracy"), pct=True, digits=1) + " ± "
                    + fmt(r.get(n, {}).get("accuracy_sd"), pct=True, digits=1)) if r.get(n, {}).get("accuracy") is not None else "n/a"),
        ("speed: per call (align + generate, one face), photos, ms median", lambda n: fmt(f[n]["call_ms_median"])),
        ("speed: per call on clips, ms median", lambda n: fmt(c.get(n, {}).get("call_ms_median"))),
        ("speed: per frame (whole engine incl. tracking) on clips at 1280x720, ms median", lambda n: fmt(c.get(n, {}).get("frame_ms_median"))),
    ]
    out = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    out += ["| " + label + " | " + " | ".join(fn(n) for n in names) + " |" for label, fn in rows]
    notes = [f"- faces: {report['n_faces']} ({', '.join(report['face_dirs'])}), shades: {report['n_shades']} "
             f"(catalogue, at opacity 1 for shade accuracy), clips: {report.get('n_clips', 0)} "
             f"(first {report.get('max_frames')} frames, each fitted into a 1280x720 canvas; shades: "
             f"{', '.join(report.get('clip_shades', []))})"]
    if r:
        notes.append(f"- realism: real = {r.get('n_real')} held-out photos of lips wearing lipstick "
                     f"(lipstick score ≥ {report.get('real_min_score')}), made-up = held-out bare faces with one "
                     f"random catalogue shade each; bare lips vs real lipstick scores "
                     f"{fmt(r.get('bare_lips', {}).get('accuracy'), pct=True, digits=1)} with the same classifier")
    if report.get("onnx_ms"):
        notes.append(f"- ONNX generator call alone: {report['onnx_ms']['median_ms']:.2f} ms median, "
                     f"{report['onnx_ms']['p90_ms']:.2f} ms p90 ({report['onnx_ms']['provider']}, 2 threads)")
    from tryon_desktop.eval_lip_quality import quality_markdown

    return "\n".join(out + [""] + notes) + "\n" + quality_markdown(report)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tryon-eval", description="Evaluate the lipstick generator against the reference renderer, and the garment mask.")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("lipstick")
    e.add_argument("--faces", nargs="+", default=[str(SHARED / "faces" / "dev")])
    e.add_argument("--videos", default=str(SHARED / "video" / "dev"), help="folder of clips ('' to skip)")
    e.add_argument("--real", default=str(SHARED / "faces" / "train"),
                   help="face photos whose held-out split gives the realism test's real lipstick and bare faces ('' to skip)")
    e.add_argument("--model", default="auto", help="generator manifest (default: the shipped one)")
    e.add_argument("--out", default="eval_out", help="folder for eval_lipstick.json and eval_lipstick.md")
    e.add_argument("--shades", type=int, default=28, help="how many catalogue shades (>= 24 for the report)")
    e.add_argument("--max-frames", type=int, default=120)
    e.add_argument("--real-min-score", type=float, default=12.0)
    e.add_argument("--grid", help="also write a before/after grid JPEG here (GAN, 8 faces x 6 shades)")
    e.add_argument("--tone-faces", default=str(SHARED / "faces" / "train"),
                   help="face photos whose held-out split adds skin tones to the issue-12 metrics ('' to skip)")
    e.add_argument("--tone-max", type=int, default=60, help="at most this many tone faces (spread over ITA groups)")
    e.add_argument("--finish-tone-faces", type=int, default=20,
                   help="tone faces added to the dev faces for the finish test")
    e.add_argument("--quick", action="store_true",
                   help="a few minutes: 4 dev faces x 8 shades, 12 tone faces, 2 face clips x 40 frames, no realism")
    from tryon_desktop.eval_garment import add_parser
    from tryon_desktop.eval_outfit import add_parser as add_outfit_parser

    add_parser(sub)
    add_outfit_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.cmd == "garment-mask":
            from tryon_desktop.eval_garment import markdown as garment_markdown
            from tryon_desktop.eval_garment import run_garment_mask

            print(garment_markdown(run_garment_mask(args)))
            return 0
        if args.cmd == "outfit":
            from tryon_desktop.eval_outfit import markdown as outfit_markdown
            from tryon_desktop.eval_outfit import run_outfit

            print(outfit_markdown(run_outfit(args)))
            return 0
        report = run_lipstick(args)
    except TryOnError as exc:
        print(f"tryon-eval: {exc}", file=sys.stderr)
        return 1
    print(markdown(report))
    return 0


def run_quality(backends: dict, faces: list[Face], tone_faces: list[Face], shades: list[Shade], args) -> dict:
    """Issue 12's photo metrics (eval_lip_quality): colour with lightness, skin tones, seam, bare core, halo,
    finishes, teeth on open and rotated mouths."""
    from tryon_desktop import eval_lip_quality as q
    from tryon_desktop.vision.face_tracker import FaceTracker

    print(f"quality: {len(faces)} dev + {len(tone_faces)} tone faces ...", file=sys.stderr)
    with FaceTracker(max_faces=1, video=False) as tracker:
        def track(img):
            found = tracker.track(img)
            return found[0].landmarks.astype(np.float64) if found else None

        return q.eval_photo_quality(backends, faces, tone_faces, default_catalogue(), dev_shades=shades, track=track,
                                    finish_tone_faces=getattr(args, "finish_tone_faces", 20),
                                    progress=lambda m: print(m, file=sys.stderr))


def run_lipstick(args) -> dict:
    from tryon_desktop.engine import DEFAULT_LIPSTICK_MANIFEST, ReferenceLipstick

    t_run = time.perf_counter()
    backends = {"reference": ReferenceLipstick()}
    models = {"reference": ReferenceLipstick}
    manifest = DEFAULT_LIPSTICK_MANIFEST if args.model == "auto" else Path(args.model)
    onnx_ms = None
    if manifest.exists():
        from functools import partial

        from tryon_desktop.vision.lip_generator import GanLipstick

        # "gan" is what the app ships (generator + colour lock); "gan_raw" is the generator's own colour.
        backends["gan"] = GanLipstick(manifest)
        models["gan"] = partial(GanLipstick, manifest)
        backends["gan_raw"] = GanLipstick(manifest, colour_lock=0.0)
        models["gan_raw"] = partial(GanLipstick, manifest, colour_lock=0.0)
    elif args.model != "auto":
        raise InputError(f"model manifest not found: {manifest}")
    else:
        log.warning("no generator installed: evaluating the reference renderer only")
    face_paths, face_dirs = [], []
    for d in args.faces:
        root = Path(d)
        if not root.is_dir():
            raise InputError(f"faces folder not found: {root}")
        face_paths += [(root, p) for p in images_in(root)]
        face_dirs.append(str(root))
    faces = []
    for root in {r for r, _ in face_paths}:
        fs, _ = track_faces([p for r, p in face_paths if r == root], root)
        faces += fs
    if not faces:
        raise InputError(f"no usable faces in {', '.join(face_dirs)}")
    faces.sort(key=lambda f: f.name)
    quick = getattr(args, "quick", False)
    if quick:
        faces = faces[:4]
        args.shades = min(args.shades, 8)
        args.max_frames = min(args.max_frames, 40)
        args.real = ""
        args.tone_max = min(getattr(args, "tone_max", 60), 12)
        args.finish_tone_faces = min(getattr(args, "finish_tone_faces", 20), 4)
    held_out: dict[str, list[Face]] = {}

    def holdout_faces(folder: str) -> list[Face]:
        """The held-out split of a training folder, tracked once (the realism and tone tests share it)."""
        from tryon_desktop.train.data import is_holdout

        root = Path(folder)
        key = str(root.resolve())
        if key not in held_out:
            paths = [p for p in images_in(root) if is_holdout(f"{root.name}/{p.relative_to(root)}")]
            print(f"held-out photos in {root}: {len(paths)} ...", file=sys.stderr)
            held_out[key] = track_faces(paths, root)[0]
        return held_out[key]

    shades = list(default_catalogue())[: max(1, args.shades)]
    report = {"backends": list(backends), "face_dirs": face_dirs, "n_faces": len(faces), "n_shades": len(shades),
              "model": str(manifest) if "gan" in backends else None}
    print(f"faces: {len(faces)} x {len(shades)} shades ...", file=sys.stderr)
    report["faces"] = eval_faces(backends, faces, shades)
    if "gan" in backends:
        import onnxruntime  # noqa: F401

        g = backends["gan"]
        prepared = g.prepare(faces[0].image, faces[0].landmarks, faces[0].box, faces[0].mask)
        ts = []
        for i in range(200):
            t = time.perf_counter()
            g.coefficients(prepared, shades[i % len(shades)])
            ts.append((time.perf_counter() - t) * 1000.0)
        onnx_ms = {"median_ms": float(np.median(ts[20:])), "p90_ms": float(np.percentile(ts[20:], 90)),
                   "provider": g.provider}
        report["onnx_ms"] = onnx_ms
    tone_dir = getattr(args, "tone_faces", "")
    tone_faces = []
    if tone_dir and Path(tone_dir).is_dir():
        from tryon_desktop import eval_lip_quality as q

        tone_faces = q.select_tone_faces(holdout_faces(tone_dir), args.tone_max)
    elif tone_dir:
        log.warning("tone faces folder not found: %s (skin-tone rows from the dev faces only)", tone_dir)
    t_q = time.perf_counter()
    report["quality"] = run_quality(backends, faces, tone_faces, shades, args)
    report["quality"]["seconds"] = time.perf_counter() - t_q
    report["catalogue_shades"] = [s.name for s in shades]
    report["tone_dir"] = tone_dir or None
    if args.videos:
        vdir = Path(args.videos)
        clips = sorted(p for p in vdir.glob("*") if p.suffix.lower() in VIDEO_EXTS) if vdir.is_dir() else []
        if quick:
            clips = [c for c in clips if c.stem in ("liveportrait_d0", "animateanyone_talkinghead1")] or clips[:2]
        clip_shades = [s for s in grid_shades() if s.finish.value in ("satin", "gloss")][:2] or shades[:1]
        print(f"clips: {len(clips)} ...", file=sys.stderr)
        report["clips"] = eval_clips(models, clips, clip_shades, args.max_frames)
        report["n_clips"] = len(clips)
        report["max_frames"] = args.max_frames
        report["clip_shades"] = [f"{s.name} ({s.finish.value})" for s in clip_shades]
    if args.real:
        from tryon_desktop.train.data import lipstick_score

        root = Path(args.real)
        if root.is_dir():
            hf = holdout_faces(args.real)
            print(f"realism: {len(hf)} held-out faces ...", file=sys.stderr)
            from tryon_desktop.train.data import big_patch_alignment  # noqa: F401

            scores = []
            for f in hf:
                # the lipstick score is defined on the canonical context patch, as in training
                from tryon_desktop.core.geometry import apply_affine

                M = big_patch_alignment(f.landmarks)
                from tryon_desktop.train.data import BIG_H, BIG_W

                patch = cv2.warpAffine(f.image, M, (BIG_W, BIG_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
                scores.append(lipstick_score(patch, apply_affine(M, f.landmarks).astype(np.float32)))
            real = [f for f, s in zip(hf, scores, strict=True) if s >= args.real_min_score]
            bare = [f for f, s in zip(hf, scores, strict=True) if s < args.real_min_score * 0.5]
            rng = np.random.default_rng(1)
            if len(bare) > 2 * len(real):
                bare = [bare[i] for i in sorted(rng.choice(len(bare), 2 * len(real), replace=False))]
            report["realism"] = eval_realism(backends, real, bare)
            report["real_min_score"] = args.real_min_score
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report["command"] = "tryon-eval " + " ".join(sys.argv[1:]) if sys.argv and "tryon" in sys.argv[0] else None
    report["seconds"] = time.perf_counter() - t_run
    atomic_write_text(out / "eval_lipstick.json", json.dumps(report, indent=2))
    atomic_write_text(out / "eval_lipstick.md", markdown(report))
    if args.grid:
        gb = backends.get("gan", backends["reference"])
        lipstick_grid(gb, faces[:8], grid_shades(), Path(args.grid))
    return report


if __name__ == "__main__":
    raise SystemExit(main())
