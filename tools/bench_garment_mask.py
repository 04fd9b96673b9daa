"""Time the live garment mask per 1280x720 frame, split into its parts.

    python tools/bench_garment_mask.py [--model assets/models/garment_mask.json] [--frames 300] [--threads 1]

Parts: resize (frame -> 256x144, INTER_AREA), convert (uint8 BGR -> float32 RGB CHW), prior (the face prior
drawn from a face outline, for models that take it; 0 otherwise), onnx (the network),
smooth (temporal EMA + face exclusion), upsample (72x128 -> 1280x720 float32), and total (all of them, timed
around the whole frame). Frames: real video frames from ../shared/data/video/dev scaled to 1280x720 when the
folder is there, else a synthetic frame (a figure on a background, with noise per frame).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tryon_desktop.vision import garment_mask as GM  # noqa: E402

W, H = 1280, 720


def real_frames(n: int = 60) -> tuple[list[np.ndarray], str] | None:
    for name in ("animateanyone_talkinghead2.mp4", "animateanyone_talkinghead1.mp4", "vivid_upper1.mp4"):
        path = ROOT.parent / "shared" / "data" / "video" / "dev" / name
        if not path.exists():
            continue
        cap = cv2.VideoCapture(str(path))
        frames = []
        while len(frames) < n:
            ok, f = cap.read()
            if not ok:
                break
            # fill a 16:9 1280x720 frame (centre crop, as a webcam frame would be)
            h, w = f.shape[:2]
            s = max(W / w, H / h)
            f = cv2.resize(f, (round(w * s), round(h * s)), interpolation=cv2.INTER_LINEAR)
            y0, x0 = (f.shape[0] - H) // 2, (f.shape[1] - W) // 2
            frames.append(np.ascontiguousarray(f[y0:y0 + H, x0:x0 + W]))
        cap.release()
        if frames:
            return frames, f"{path.relative_to(ROOT.parent)} ({len(frames)} frames, scaled to {W}x{H})"
    return None


def synthetic_frames(n: int = 30) -> tuple[list[np.ndarray], str]:
    rng = np.random.default_rng(0)
    base = np.full((H, W, 3), (90, 120, 150), np.uint8)
    cv2.ellipse(base, (W // 2, 250), (110, 140), 0, 0, 360, (120, 150, 200), -1)
    cv2.rectangle(base, (W // 2 - 300, 420), (W // 2 + 300, H), (40, 40, 160), -1)
    frames = [cv2.add(base, rng.integers(0, 12, base.shape, dtype=np.uint8)) for _ in range(n)]
    return frames, f"synthetic {W}x{H} (../shared/data not found)"


def stats(ts: list[float]) -> dict:
    a = np.asarray(ts)
    return {"median_ms": round(float(np.median(a)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(GM.default_manifest()))
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (the app uses 1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON only")
    args = p.parse_args(argv)
    cv2.setNumThreads(1)  # the app's worker thread shares the CPU with capture, tracking and the GUI
    seg = GM.GarmentSegmenter(args.model, providers=["CPUExecutionProvider"], threads=args.threads)
    got = real_frames()
    frames, what = got if got else synthetic_frames()
    face = [np.array([[W / 2 + 110 * np.cos(t), 250 + 140 * np.sin(t)] for t in np.linspace(0, 2 * np.pi, 36)])]
    parts: dict[str, list[float]] = {k: [] for k in ("resize", "convert", "prior", "onnx", "smooth", "upsample", "total")}
    prior = np.zeros((1, 1, GM.IN_H, GM.IN_W), np.float32)
    small = np.empty((GM.IN_H, GM.IN_W, 3), np.uint8)
    x = np.empty((1, 3, GM.IN_H, GM.IN_W), np.float32)
    box = GM.Letterbox.fit(W, H)
    ys, xs = box.output_slices()
    n_warm = 20
    for k in range(args.frames + n_warm):
        frame = frames[k % len(frames)]
        t0 = time.perf_counter()
        box.place(frame, small)
        t1 = time.perf_counter()
        GM.bgr_to_input(small, x)
        t2 = time.perf_counter()
        feed = {"image": x}
        if seg.uses_prior:
            feed["prior"] = prior
            GM.face_prior(face, box.affine(), out=prior[0, 0])
        tp = time.perf_counter()
        prob = seg.session.run(None, feed)[0][0, 0][ys, xs]
        t3 = time.perf_counter()
        prob = seg.smoother(prob, k / 30.0)
        prob = GM.cut_faces(prob, face, (W, H))
        t4 = time.perf_counter()
        full = GM.upsample(prob, (W, H))
        t5 = time.perf_counter()
        if k >= n_warm:
            for name, dt in zip(parts, (t1 - t0, t2 - t1, tp - t2, t3 - tp, t4 - t3, t5 - t4, t5 - t0), strict=True):
                parts[name].append(dt * 1000.0)
    assert full.shape == (H, W)
    # and the public call, end to end (segment + upsample), as the engine makes it
    seg.reset()
    ts = []
    for k in range(args.frames + n_warm):
        frame = frames[k % len(frames)]
        t0 = time.perf_counter()
        GM.upsample(seg.segment(frame, k / 30.0, face), (W, H))
        if k >= n_warm:
            ts.append((time.perf_counter() - t0) * 1000.0)
    result = {"frame": f"{W}x{H}", "frames": args.frames, "input": what, "model": str(args.model),
              "provider": seg.provider, "onnx_threads": args.threads,
              "parts": {k: stats(v) for k, v in parts.items()}, "segment_plus_upsample": stats(ts)}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"garment mask, {W}x{H}, {args.frames} frames, {what}; provider {seg.provider}, {args.threads} thread(s)")
    for k, v in result["parts"].items():
        print(f"  {k:9s} median {v['median_ms']:6.3f} ms   p95 {v['p95_ms']:6.3f} ms")
    v = result["segment_plus_upsample"]
    print(f"  segment() + upsample, end to end: median {v['median_ms']:.3f} ms, p95 {v['p95_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
