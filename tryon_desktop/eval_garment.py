"""tryon-eval garment-mask: the live garment mask (student), the photo path (the student with the teacher's mask
where they agree) and the offline teacher, side by side in one run.

Scored against the hand-made reference masks in eval_refs/garment (see its README), on the frames they were
drawn on, read from the data folder (../shared/data by default):
  - IoU and boundary F-score of the garment (prediction > 0.5 against label `garment`), real photos and
    synthetic ones reported apart;
  - what is marked that must not be: face pixels marked (a count: the goal is 0), and the share of the
    predicted mask that lies on skin (neck, arms, hands) or hair (goal < 2%), and on background;
  - flicker on the dev clips: mean IoU between consecutive masks on still stretches (goal >= 0.97);
  - speed: the student's ms per 1280x720 frame (resize, network, smoothing, face cut-out, upsample to the
    frame), and the whole engine with lipstick only against lipstick + garment mask, alternated in one run.

The student is run exactly as the app runs it: through TryOnEngine (face mesh ovals cut out, the same
segmenter and smoothing), on photos with a fresh engine each (no smoothing carried over).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.errors import InputError

log = logging.getLogger(__name__)

SHARED = Path("..") / "shared" / "data"
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm"}
STILL_MOTION = 1.2  # mean absolute grey-level change between consecutive frames (at 64x36) below which it is still
STILL_RUN = 6  # frames in a row that make a still stretch


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def _boundary(m: np.ndarray) -> np.ndarray:
    m8 = m.astype(np.uint8)
    return (m8 - cv2.erode(m8, np.ones((3, 3), np.uint8))).astype(bool)


def boundary_f(pred: np.ndarray, ref: np.ndarray, tol_frac: float = 0.008) -> float:
    """F-score of the mask outlines, a boundary pixel counting as matched within tol_frac of the diagonal
    (the DAVIS convention)."""
    tol = max(1, int(round(tol_frac * float(np.hypot(*pred.shape)))))
    bp, br = _boundary(pred), _boundary(ref)
    if not bp.any() and not br.any():
        return 1.0
    if not bp.any() or not br.any():
        return 0.0
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    near_r = cv2.dilate(br.astype(np.uint8), disk).astype(bool)
    near_p = cv2.dilate(bp.astype(np.uint8), disk).astype(bool)
    precision = float((bp & near_r).sum() / bp.sum())
    recall = float((br & near_p).sum() / br.sum())
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(pred: np.ndarray, labels: np.ndarray) -> dict:
    """pred: bool (H, W); labels: the reference label map (garment_refs.LABELS)."""
    garment = labels == 1
    n_pred = max(int(pred.sum()), 1)
    skin_hair = np.isin(labels, (3, 4, 5))
    return {
        "iou": iou(pred, garment),
        "boundary_f": boundary_f(pred, garment),
        "face_px": int((pred & (labels == 2)).sum()),
        "skin_hair_share": float((pred & skin_hair).sum() / n_pred),
        "hair_share": float((pred & (labels == 3)).sum() / n_pred),
        "neck_share": float((pred & (labels == 4)).sum() / n_pred),
        "arm_share": float((pred & (labels == 5)).sum() / n_pred),
        "background_share": float((pred & (labels == 0)).sum() / n_pred),
        "other_share": float((pred & (labels == 6)).sum() / n_pred),
    }


def summarise(rows: list[dict]) -> dict:
    if not rows:
        return {"n": 0}
    out = {"n": len(rows)}
    for k in ("iou", "boundary_f", "skin_hair_share", "background_share"):
        v = np.array([r[k] for r in rows], np.float64)
        out[k] = {"median": float(np.median(v)), "mean": float(v.mean()), "min": float(v.min())}
    out["face_px_total"] = int(sum(r["face_px"] for r in rows))
    out["frames_marking_face"] = int(sum(1 for r in rows if r["face_px"] > 0))
    return out


class Student:
    """The app's path: a TryOnEngine asked for its garment mask, upsampled to the frame. photo_teacher: a
    photo's mask as tryon-render makes it (the teacher where it agrees, GarmentPerception._photo_mask); off,
    the live network's path alone (what a stream gets)."""

    def __init__(self, model: str | Path = "auto", video: bool = False, photo_teacher: bool = False) -> None:
        from tryon_desktop.engine import TryOnEngine

        self.engine = TryOnEngine(model=None, video=video, max_faces=2, garment_model=model)
        self.engine.garment.photo_teacher = photo_teacher
        self.engine.garment.load()
        if self.engine.garment.segmenter is None:
            raise InputError(self.engine.garment.notice or "no garment mask model")

    def __call__(self, frame: np.ndarray, timestamp: float = 0.0) -> np.ndarray:
        from tryon_desktop.vision.garment_mask import upsample

        res = self.engine.process(frame, None, timestamp=timestamp, garment_mask=True)
        return upsample(res.garment_mask, frame.shape[1::-1])

    def reset(self) -> None:
        self.engine.reset()

    def close(self) -> None:
        self.engine.close()


def eval_refs(refs, data: Path, methods: dict) -> tuple[dict, list[dict]]:
    from tryon_desktop.garment_refs import read_frame

    per_ref = []
    for ref in refs:
        frame = read_frame(data, ref.source, ref.frame)
        if frame is None:
            log.warning("%s: %s is missing; skipped", ref.id, ref.source)
            continue
        labels = ref.labels()
        if labels.shape != frame.shape[:2]:
            raise InputError(f"reference {ref.id} is {ref.size} but its frame is {frame.shape[1]}x{frame.shape[0]}")
        row = {"id": ref.id, "real": ref.real, "source": ref.source, "frame": ref.frame}
        for name, fn in methods.items():
            if hasattr(fn, "reset"):
                fn.reset()
            row[name] = score(fn(frame) > 0.5, labels)
        per_ref.append(row)
        print(f"  {ref.id}: " + "  ".join(f"{n} IoU {row[n]['iou']:.3f}" for n in methods), file=sys.stderr)
    summary = {}
    for name in methods:
        summary[name] = {
            "all": summarise([r[name] for r in per_ref]),
            "real": summarise([r[name] for r in per_ref if r["real"]]),
            "synthetic": summarise([r[name] for r in per_ref if not r["real"]]),
        }
    return summary, per_ref


def read_clip(path: Path, max_frames: int) -> tuple[list[np.ndarray], float]:
    """The first `max_frames` frames of a clip and its frame rate (30 when the file does not say)."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"cannot read the clip {path}")
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if 1.0 <= fps <= 240.0 else 30.0
    frames = []
    while len(frames) < max_frames:
        ok, fr = cap.read()
        if not ok:
            break
        frames.append(fr)
    cap.release()
    return frames, fps


def still_pairs(frames: list[np.ndarray]) -> list[int]:
    """Indices i such that frames i-1 and i lie inside a still stretch (STILL_RUN quiet frames in a row)."""
    small = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)
             for f in frames]
    quiet = [False] + [float(np.abs(small[i] - small[i - 1]).mean()) < STILL_MOTION for i in range(1, len(small))]
    out, run = [], []
    for i, q in enumerate(quiet):
        if q:
            run.append(i)
            continue
        if len(run) >= STILL_RUN:
            out += run
        run = []
    if len(run) >= STILL_RUN:
        out += run
    return out


def eval_flicker(clips: list[Path], methods: dict, max_frames: int) -> dict:
    """Mean IoU of consecutive masks on the still stretches of each clip, per method, every method on the
    same frames (the first max_frames of each clip)."""
    out = {}
    for clip in clips:
        frames, fps = read_clip(clip, max_frames)
        if len(frames) < STILL_RUN + 1:
            continue
        pairs = still_pairs(frames)
        row = {"frames": len(frames), "still_pairs": len(pairs)}
        for name, make in methods.items():
            n = len(frames)
            use = pairs
            if not use:
                row[name] = None
                continue
            fn = make()
            masks = []
            for i in range(n):
                masks.append(fn(frames[i], i / fps) > 0.5)
            if hasattr(fn, "close"):
                fn.close()
            ious = [iou(masks[i - 1], masks[i]) for i in use if masks[i - 1].any() or masks[i].any()]
            marked = float(np.mean([m.mean() for m in masks]))
            row[name] = {"mean_iou": float(np.mean(ious)) if ious else None, "pairs": len(ious),
                         "frames_used": n, "mean_mask_fraction": marked}
        out[clip.name] = row
        print(f"  {clip.name}: {len(pairs)} still pairs " + "  ".join(
            f"{k} {v['mean_iou']:.3f}" for k, v in row.items() if isinstance(v, dict) and v.get("mean_iou") is not None),
            file=sys.stderr)
    return out


def motion(frames: list[np.ndarray]) -> list[float]:
    """Mean absolute grey-level change from the previous frame, at 64x36 (0 for the first frame)."""
    small = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)
             for f in frames]
    return [0.0] + [float(np.abs(small[i] - small[i - 1]).mean()) for i in range(1, len(small))]


def eval_lag(clips: list[Path], model, max_frames: int) -> dict:
    """Does the smoothing lag a moving body? On frames that move (motion >= 2x the still threshold), the
    smoothed mask of frame t against the raw (unsmoothed) mask of frame t, next to the raw mask of frame t-1
    against that of t: a smoothed mask closer to the current frame than the previous frame is lags by less
    than one frame."""
    now, prev, n = [], [], 0
    for clip in clips:
        frames, fps = read_clip(clip, max_frames)
        if len(frames) < 3:
            continue
        moving = motion(frames)
        smooth, raw = Student(model, video=True), Student(model, video=True)
        raw.engine.garment.segmenter.smoother = None
        last_raw = None
        for i, fr in enumerate(frames):
            ms, mr = smooth(fr, i / fps) > 0.5, raw(fr, i / fps) > 0.5
            if last_raw is not None and moving[i] >= 2 * STILL_MOTION and (mr.any() or last_raw.any()):
                now.append(iou(ms, mr))
                prev.append(iou(last_raw, mr))
                n += 1
            last_raw = mr
        smooth.close()
        raw.close()
    return {"moving_frames": n, "iou_smoothed_vs_current": float(np.mean(now)) if now else None,
            "iou_previous_vs_current": float(np.mean(prev)) if prev else None}


def bad_input_frames(data: Path) -> dict[str, list[np.ndarray]]:
    """Frames where the right answer is an empty mask: no person at all, and a face filling the frame
    (close-up crops of the dev faces, no clothing in view)."""
    rng = np.random.default_rng(0)
    flat = np.full((720, 1280, 3), 128, np.uint8)
    noise = np.clip(cv2.GaussianBlur(rng.normal(120, 40, (720, 1280, 3)), (0, 0), 3), 0, 255).astype(np.uint8)
    ramp = np.dstack([np.tile(np.linspace(30, 220, 1280, dtype=np.float32), (720, 1))] * 3).astype(np.uint8)
    out = {"no person": [flat, noise, ramp], "face only": []}
    from tryon_desktop.vision.face_tracker import FaceTracker

    faces = sorted((data / "faces" / "dev").rglob("*.jpg"))
    if faces:
        with FaceTracker(max_faces=1, video=False) as tracker:
            for path in faces:
                img = cv2.imread(str(path))
                found = tracker.track(img) if img is not None else []
                if not found:
                    continue
                lm = found[0].landmarks
                x0, y0 = lm.min(0)
                x1, y1 = lm.max(0)
                cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, 0.5 * max(x1 - x0, y1 - y0)
                crop = img[max(0, int(cy - half)):int(cy + half), max(0, int(cx - 1.6 * half)):int(cx + 1.6 * half)]
                if crop.size:
                    out["face only"].append(cv2.resize(crop, (1280, 720), interpolation=cv2.INTER_LINEAR))
    return out


def eval_bad_input(data: Path, methods: dict) -> dict:
    """Share of each frame marked as garment where nothing should be (mean and max per method)."""
    frames = bad_input_frames(data)
    out = {}
    for kind, imgs in frames.items():
        row = {"frames": len(imgs)}
        for name, fn in methods.items():
            shares = []
            for img in imgs:
                if hasattr(fn, "reset"):
                    fn.reset()
                shares.append(float((fn(img) > 0.5).mean()))
            row[name] = {"mean_share": float(np.mean(shares)) if shares else None,
                         "max_share": float(np.max(shares)) if shares else None}
        out[kind] = row
    return out


def eval_speed(model: str | Path, frames: int = 150) -> dict:
    """Student ms per 1280x720 frame (resize + net + smoothing + face cut-out + upsample), and the engine
    with lipstick only against lipstick + garment mask, alternated frame by frame in one run."""
    from tryon_desktop.cli import clip_frame, synthetic_clip
    from tryon_desktop.core.looks import resolve_shade
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.vision.garment_mask import load_garment_segmenter
    from tryon_desktop.vision.garment_mask import upsample

    clip = synthetic_clip(1280, 720, 60)
    seg, notice = load_garment_segmenter(model)
    if seg is None:
        raise InputError(notice or "no garment mask model")
    from tryon_desktop.core.masks import FACE_OVAL
    from tryon_desktop.vision.face_tracker import FaceTracker

    # the face outlines the engine would hand over (tracked beforehand, not timed): the face cut-out and,
    # for models that take it, the face prior are part of the student's time
    with FaceTracker(max_faces=1, video=True) as tracker:
        faces = [[t.landmarks[list(FACE_OVAL)] for t in tracker.track(clip_frame(clip, i))] for i in range(frames + 10)]
    student = []
    for i in range(frames + 10):
        f = clip_frame(clip, i)
        t = time.perf_counter()
        upsample(seg.segment(f, timestamp=i / 30.0, face_polygons=faces[i]), f.shape[1::-1])
        student.append((time.perf_counter() - t) * 1000.0)
    shade = resolve_shade("Classic Red")
    lip_only, with_mask = [], []
    with TryOnEngine(video=True, garment_model=model) as eng:
        for i in range(2 * frames + 20):
            f = clip_frame(clip, i // 2)
            want = i % 2 == 1
            res = eng.process(f, shade, timestamp=(i // 2) / 30.0, garment_mask=want)
            if i >= 20:
                (with_mask if want else lip_only).append(res.timings_ms["total"])
    med = lambda v: float(np.median(v))  # noqa: E731
    p95 = lambda v: float(np.percentile(v, 95))  # noqa: E731
    return {"student_ms": {"median": med(student[10:]), "p95": p95(student[10:])},
            "engine_lipstick_ms": {"median": med(lip_only), "p95": p95(lip_only)},
            "engine_lipstick_mask_ms": {"median": med(with_mask), "p95": p95(with_mask)},
            "frame": "1280x720", "frames": frames, "provider": seg.provider}


def fmt(v, digits=3, pct=False):
    if v is None:
        return "–"
    return f"{100 * v:.2f}%" if pct else f"{v:.{digits}f}"


def markdown(report: dict) -> str:
    lines = [f"Reference masks: {report['n_refs']} hand-made ({report['n_real']} real, "
             f"{report['n_synthetic']} synthetic). Prediction = mask > 0.5.", ""]
    lines += ["| method | set | n | IoU median | IoU min | boundary F median | face px marked | skin+hair share of mask (median / max) | background share (median) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, sets in report["refs"].items():
        for part in ("all", "real", "synthetic"):
            s = sets[part]
            if not s.get("n"):
                continue
            sh = s["skin_hair_share"]
            lines.append(f"| {name} | {part} | {s['n']} | {fmt(s['iou']['median'])} | {fmt(s['iou']['min'])} | "
                         f"{fmt(s['boundary_f']['median'])} | {s['face_px_total']} ({s['frames_marking_face']} frames) | "
                         f"{fmt(sh['median'], pct=True)} / {fmt(max(r[name]['skin_hair_share'] for r in report['per_ref'] if (part == 'all' or r['real'] == (part == 'real'))), pct=True)} | "
                         f"{fmt(s['background_share']['median'], pct=True)} |")
    if report.get("flicker"):
        names = [n for n in report["methods"]]
        lines += ["", "Flicker: mean IoU of consecutive masks on still stretches (goal >= 0.97).", "",
                  "| clip | still pairs | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        for clip, row in report["flicker"].items():
            cells = []
            for n in names:
                v = row.get(n)
                cells.append("–" if not v or v.get("mean_iou") is None else f"{v['mean_iou']:.3f} ({v['pairs']} pairs)")
            lines.append(f"| {clip} | {row['still_pairs']} | " + " | ".join(cells) + " |")
        means = []
        for n in names:
            vals = [row[n]["mean_iou"] for row in report["flicker"].values()
                    if row.get(n) and row[n].get("mean_iou") is not None]
            means.append(f"**{np.mean(vals):.3f}**" if vals else "–")
        lines.append("| **mean over clips** | | " + " | ".join(means) + " |")
    lag = report.get("lag") or {}
    if lag.get("moving_frames"):
        lines += ["", f"Lag, on {lag['moving_frames']} moving frames of the clips: the smoothed mask against the raw "
                  f"mask of the same frame, IoU {lag['iou_smoothed_vs_current']:.3f}; the raw mask of the frame "
                  f"before against it, IoU {lag['iou_previous_vs_current']:.3f} (the smoothed mask is closer to "
                  "the current frame than the previous frame is when the first is higher: less than one frame of lag)."]
    if report.get("bad_input"):
        names = report["methods"]
        lines += ["", "Frames where nothing should be marked: share of the frame marked (mean / max).", "",
                  "| frames | n | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
        for kind, row in report["bad_input"].items():
            cells = [("–" if row[n]["mean_share"] is None else
                      f"{fmt(row[n]['mean_share'], pct=True)} / {fmt(row[n]['max_share'], pct=True)}") for n in names]
            lines.append(f"| {kind} | {row['frames']} | " + " | ".join(cells) + " |")
    if report.get("speed"):
        sp = report["speed"]
        lines += ["", f"Speed at {sp['frame']} on {sp['provider']} ({sp['frames']} frames, medians, p95 in brackets):", "",
                  "| | ms |", "|---|---|",
                  f"| student: resize + network + smoothing + colour refinement + face cut-out + upsample | {sp['student_ms']['median']:.2f} ({sp['student_ms']['p95']:.2f}) |",
                  f"| engine, lipstick only | {sp['engine_lipstick_ms']['median']:.2f} ({sp['engine_lipstick_ms']['p95']:.2f}) |",
                  f"| engine, lipstick + garment mask | {sp['engine_lipstick_mask_ms']['median']:.2f} ({sp['engine_lipstick_mask_ms']['p95']:.2f}) |"]
    return "\n".join(lines) + "\n"


def run_garment_mask(args) -> dict:
    from tryon_desktop.garment_refs import load_refs
    from tryon_desktop.train.io import atomic_write_text

    data = Path(args.data)
    if not data.is_dir():
        raise InputError(f"data folder not found: {data} (the reference masks' frames are read from it)")
    from tryon_desktop.engine import GarmentPerception

    GarmentPerception.skin_cut = not getattr(args, "no_skin_cut", False)
    GarmentPerception.body_fill = not getattr(args, "no_body_fill", False)
    import tryon_desktop.vision.garment_mask as garment_mask

    garment_mask.GROW_CONNECTED = not getattr(args, "no_joined_growth", False)
    refs = load_refs()
    if args.limit:
        refs = refs[: args.limit]
    methods: dict = {"student": Student(args.model)}
    if not getattr(args, "no_photo", False):
        methods["photo"] = Student(args.model, photo_teacher=True)
    if not args.no_teacher:
        from tryon_desktop.vision.garment_teacher import GarmentTeacher

        teacher = GarmentTeacher()
        methods["teacher"] = lambda f, t=0.0: teacher(f).mask
    print(f"reference masks: {len(refs)} ...", file=sys.stderr)
    summary, per_ref = eval_refs(refs, data, methods)
    report = {"n_refs": len(per_ref), "n_real": sum(r["real"] for r in per_ref),
              "n_synthetic": sum(not r["real"] for r in per_ref), "methods": list(methods),
              "refs": summary, "per_ref": per_ref}
    print("bad input ...", file=sys.stderr)
    report["bad_input"] = eval_bad_input(data, methods)
    if args.videos:
        vdir = Path(args.videos)
        clips = sorted(p for p in vdir.glob("*") if p.suffix.lower() in VIDEO_EXTS and "mask" not in p.stem
                       and "densepose" not in p.stem) if vdir.is_dir() else []
        makers = {"student": lambda: Student(args.model, video=True)}
        if not args.no_teacher:
            makers["teacher"] = lambda: methods["teacher"]
        print(f"flicker on {len(clips)} clips ...", file=sys.stderr)
        report["flicker"] = eval_flicker(clips, makers, args.max_frames)
        print("lag on moving frames ...", file=sys.stderr)
        report["lag"] = eval_lag(clips, args.model, args.max_frames)
    if not args.no_speed:
        print("speed ...", file=sys.stderr)
        report["speed"] = eval_speed(args.model)
    report["model"] = methods["student"].engine.garment.describe()
    report["skin_cut"] = GarmentPerception.skin_cut
    report["body_fill"] = GarmentPerception.body_fill
    report["joined_growth"] = garment_mask.GROW_CONNECTED
    report["command"] = "tryon-eval garment-mask " + " ".join(sys.argv[2:]) if len(sys.argv) > 1 else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "eval_garment_mask.json", json.dumps(report, indent=2))
    atomic_write_text(out / "eval_garment_mask.md", markdown(report))
    return report


def add_parser(sub) -> None:
    g = sub.add_parser("garment-mask", help="score the garment mask (student and teacher) against the reference masks")
    g.add_argument("--data", default=str(SHARED), help="data root the reference masks' frames come from")
    g.add_argument("--videos", default=str(SHARED / "video" / "dev"), help="clips for the flicker test ('' to skip)")
    g.add_argument("--model", default="auto", help="garment mask manifest (default: the shipped one)")
    g.add_argument("--out", default="eval_out", help="folder for eval_garment_mask.json and .md")
    g.add_argument("--max-frames", type=int, default=90, help="frames per clip for the flicker test (the teacher "
                   "takes about a second a frame)")
    g.add_argument("--no-teacher", action="store_true")
    g.add_argument("--no-photo", action="store_true", help="leave out the photo path's row (the live network's mask "
                   "with the teacher's where it agrees: what tryon-render makes of a photo)")
    g.add_argument("--no-speed", action="store_true")
    g.add_argument("--no-joined-growth", action="store_true", help="the colour refinement grows the garment only "
                   "near the network's (vision.garment_mask.GROW_CONNECTED off), to measure what the joined growth does")
    g.add_argument("--no-body-fill", action="store_true", help="the live mask without the person's silhouette "
                   "below the face (engine.GarmentPerception.body_fill off), to measure what the body fill does")
    g.add_argument("--no-skin-cut", action="store_true", help="leave bare skin the network marked in the mask "
                   "(engine.GarmentPerception.skin_cut off), to measure what the skin cut does")
    g.add_argument("--limit", type=int, help="only the first N reference masks (quick checks)")
