"""Do the two face-tracker backends agree? Landmarks, speed and flicker over the same video frames.

The 'solutions' backend needs mediapipe 0.10.21 (Python <= 3.12); the 'tasks' backend runs on any mediapipe
with the Tasks API (0.10.21 too, and 0.10.30+ on Python 3.13). Two mediapipe versions cannot share a venv,
so the tool works in two steps: `run` tracks every clip with one backend in this interpreter and saves the
landmarks, `compare` reads two such runs and prints the table.

    .venv/bin/python tools/bench_tracker_agreement.py run --backend solutions --out runs/agree/solutions
    /tmp/v313/bin/python tools/bench_tracker_agreement.py run --backend tasks --out runs/agree/tasks313
    .venv/bin/python tools/bench_tracker_agreement.py compare runs/agree/solutions runs/agree/tasks313

Per clip: frames where each backend found a face, the median and 95th-percentile distance between the two
backends' landmarks as % of the face width (the reference's x extent; goal: median <= 1%), each backend's
ms per frame (track() only; noisy on a shared machine) and flicker: the median distance of each landmark
from the midpoint of its previous and next positions, as % of face width (0 for still or steadily moving
points; tracking noise raises it). Frames are checked to decode identically (md5) in both runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CLIPS = ROOT.parent / "shared" / "data" / "video" / "dev"


def run(args) -> int:
    import cv2

    from tryon_desktop.vision.face_tracker import N_LANDMARKS, FaceTracker

    clips = sorted(Path(args.clips).glob("*.mp4"))
    if not clips:
        print(f"no .mp4 clips in {args.clips}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import mediapipe as mp

    meta = {"backend": args.backend, "python": platform.python_version(),
            "mediapipe": getattr(mp, "__version__", "?"), "opencv": cv2.__version__,
            "max_frames": args.max_frames, "max_faces": args.max_faces, "clips": []}
    for clip in clips:
        cap = cv2.VideoCapture(str(clip))
        lms, ms, md5 = [], [], []
        with FaceTracker(max_faces=args.max_faces, video=True, backend=args.backend) as tracker:
            while len(lms) < args.max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                md5.append(hashlib.md5(frame.tobytes()).hexdigest())
                t0 = time.perf_counter()
                faces = tracker.track(frame)
                ms.append((time.perf_counter() - t0) * 1000)
                lms.append(faces[0].landmarks if faces else np.full((N_LANDMARKS, 2), np.nan, np.float32))
        cap.release()
        arr = np.stack(lms) if lms else np.zeros((0, N_LANDMARKS, 2), np.float32)
        np.savez_compressed(out / f"{clip.stem}.npz", landmarks=arr, ms=np.array(ms), md5=np.array(md5))
        found = int(np.isfinite(arr[:, 0, 0]).sum())
        print(f"{clip.stem:32s} {len(lms):4d} frames  face in {found:4d}  {np.median(ms) if ms else 0:6.1f} ms")
        meta["clips"].append(clip.stem)
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return 0


def flicker(lm: np.ndarray) -> float:
    """Median |p_t - (p_{t-1} + p_{t+1}) / 2| over landmarks and frames with a face at t-1, t, t+1, as % of
    face width; NaN with fewer than three such frames."""
    if len(lm) < 3:
        return float("nan")
    mid = (lm[:-2] + lm[2:]) / 2
    d = np.linalg.norm(lm[1:-1] - mid, axis=2)  # (T-2, 478)
    w = np.ptp(lm[1:-1, :, 0], axis=1)
    ok = np.isfinite(d).all(axis=1) & (w > 0)
    return float(np.median(d[ok] / w[ok, None]) * 100) if ok.sum() >= 1 else float("nan")


def compare(args) -> int:
    a_dir, b_dir = Path(args.a), Path(args.b)
    ma = json.loads((a_dir / "meta.json").read_text(encoding="utf-8"))
    mb = json.loads((b_dir / "meta.json").read_text(encoding="utf-8"))
    for k, m in (("A", ma), ("B", mb)):
        print(f"{k} = {m['backend']} (python {m['python']}, mediapipe {m['mediapipe']}, opencv {m['opencv']}, "
              f"max_faces {m.get('max_faces', '?')})")
    hdr = (f"{'clip':30s} {'frames':>6s} {'faceA':>5s} {'faceB':>5s} {'both':>5s} {'med%':>6s} {'p95%':>6s} "
           f"{'msA':>6s} {'msB':>6s} {'flickA%':>7s} {'flickB%':>7s}")
    print(hdr)
    all_d, worst = [], 0.0
    for stem in ma["clips"]:
        if not (b_dir / f"{stem}.npz").is_file():
            print(f"{stem:30s} missing in B")
            continue
        a, b = np.load(a_dir / f"{stem}.npz"), np.load(b_dir / f"{stem}.npz")
        n = min(len(a["landmarks"]), len(b["landmarks"]))
        la, lb = a["landmarks"][:n].astype(np.float64), b["landmarks"][:n].astype(np.float64)
        same_frames = bool((a["md5"][:n] == b["md5"][:n]).all())
        fa, fb = np.isfinite(la[:, 0, 0]), np.isfinite(lb[:, 0, 0])
        both = fa & fb
        med = p95 = float("nan")
        if both.any():
            w = np.ptp(la[both, :, 0], axis=1)
            d = np.linalg.norm(la[both] - lb[both], axis=2) / w[:, None] * 100  # (F, 478) in % face width
            med, p95 = float(np.median(d)), float(np.percentile(d, 95))
            all_d.append(d.reshape(-1))
            worst = max(worst, med)
        note = "" if same_frames else "  (frames decode differently!)"
        print(f"{stem:30s} {n:6d} {int(fa.sum()):5d} {int(fb.sum()):5d} {int(both.sum()):5d} {med:6.3f} {p95:6.3f} "
              f"{np.median(a['ms'][:n]):6.1f} {np.median(b['ms'][:n]):6.1f} "
              f"{flicker(la):7.3f} {flicker(lb):7.3f}{note}")
    if all_d:
        d = np.concatenate(all_d)
        print(f"all clips: median {np.median(d):.3f}% p95 {np.percentile(d, 95):.3f}% of face width; "
              f"worst clip median {worst:.3f}% (goal <= 1%)")
        return 0 if worst <= args.goal else 1
    return 1


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="track the clips with one backend and save the landmarks")
    r.add_argument("--backend", choices=("solutions", "tasks"), required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--clips", default=str(DEFAULT_CLIPS))
    r.add_argument("--max-frames", type=int, default=300)
    r.add_argument("--max-faces", type=int, default=2, help="2 as in the app; the first face is compared")
    c = sub.add_parser("compare", help="compare two saved runs (A is the reference)")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--goal", type=float, default=1.0, help="worst clip median, %% of face width")
    args = ap.parse_args(argv)
    return run(args) if args.cmd == "run" else compare(args)


if __name__ == "__main__":
    raise SystemExit(main())
