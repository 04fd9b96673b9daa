"""The app's ONNX models on a CUDA GPU through the app's own loading code (vision/onnx_runtime.load_model):
which provider each really gets, how far CUDA's answers are from the CPU's, and milliseconds per call on
each, side by side in one run; then the lipstick and outfit paths end to end (prepare + network + finish)
on a real face and a real body, CUDA against CPU.

Usage: python tools/device/cuda_check.py INPUTS.npz [--calls N]
INPUTS.npz (made with --make on a machine with mediapipe): a face photo with its 478 landmarks and a body
photo. Prints one JSON report. Run on a machine without CUDA it reports the CPU twice.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

CPU = ["CPUExecutionProvider"]


def med_ms(fn, calls: int, warm: int = 10) -> dict:
    for _ in range(warm):
        fn()
    ts = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return {"median_ms": round(float(np.median(ts)), 3), "p90_ms": round(float(np.percentile(ts, 90)), 3)}


def feed_for(session, rng) -> dict:
    feed = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feed[i.name] = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    return feed


def check_models(calls: int) -> dict:
    from tryon_desktop.effects.lipstick import DEFAULT_LIPSTICK_MANIFEST
    from tryon_desktop.vision.onnx_runtime import load_model

    assets = DEFAULT_LIPSTICK_MANIFEST.parent
    out = {}
    rng = np.random.default_rng(0)
    for name in ("lipstick_generator", "garment_mask", "outfit_generator"):
        best = load_model(assets / f"{name}.json")  # the app's choice: CUDA first where it works
        cpu = load_model(assets / f"{name}.json", providers=CPU)
        feed = feed_for(best.session, rng)
        a = best.session.run(None, feed)
        b = cpu.session.run(None, feed)
        out[name] = {
            "provider": best.provider, "notice": best.notice,
            "max_abs_diff_vs_cpu": float(max(np.abs(x - y).max() for x, y in zip(a, b, strict=True))),
            "best": med_ms(lambda s=best.session, f=feed: s.run(None, f), calls),
            "cpu": med_ms(lambda s=cpu.session, f=feed: s.run(None, f), calls),
        }
    return out


def check_lipstick(data, calls: int) -> dict:
    from tryon_desktop.core.looks import Finish, Shade
    from tryon_desktop.core.masks import lip_box, lip_mask
    from tryon_desktop.effects.lipstick import load_lipstick_backend

    img, lm = data["face"], data["landmarks"]
    box = lip_box(lm, img.shape)
    mask = lip_mask(lm, box)
    res = {}
    regions = {}
    for label, prov in (("best", None), ("cpu", CPU)):
        be, notice = load_lipstick_backend("auto", providers=prov)
        shade = Shade("check red", (170, 30, 50), finish=Finish.GLOSS, opacity=1.0)

        def once(be=be, shade=shade):
            return be.generate(be.prepare(img, lm, box, mask), shade)

        regions[label] = once()[0]
        res[label] = {"provider": be.provider, "notice": notice, **med_ms(once, calls)}
        close = getattr(be, "close", None)
        if close:
            close()
    d = np.abs(regions["best"].astype(int) - regions["cpu"].astype(int))
    res["region_levels_max"] = int(d.max())
    res["region_levels_share_over_1"] = float((d.max(-1) > 1).mean())
    return res


def check_outfit(data, calls: int) -> dict:
    from tryon_desktop.core.looks import Look, OutfitSwatch
    from tryon_desktop.effects.base import Scene
    from tryon_desktop.effects.outfit import OutfitEffect
    from tryon_desktop.vision.garment_mask import load_garment_segmenter

    frame = data["body"]
    look = Look(outfit=OutfitSwatch("check navy", rgb=(31, 58, 147), strength=1.0))
    res, made = {}, {}
    for label, prov in (("best", None), ("cpu", CPU)):
        seg, seg_notice = load_garment_segmenter("auto", providers=prov)
        eff = OutfitEffect("auto", providers=prov)
        small = seg.segment(frame, timestamp=None)
        scene = Scene(frame=frame, timestamp=0.0, faces=[], garment=small)
        items = eff.prepare(frame, scene, look)
        if not items:
            res[label] = {"error": eff.status}
            continue

        def gen(eff=eff, item=items[0]):
            return eff.generate(item, look)

        made[label] = (small, gen().region)
        res[label] = {"mask_provider": getattr(seg, "provider", None), "mask_notice": seg_notice,
                      "generator_provider": eff.provider,
                      "mask_ms": med_ms(lambda s=seg, f=frame: s.segment(f, timestamp=None), calls),
                      "generate_ms": med_ms(gen, calls)}
    if len(made) == 2:
        res["mask_prob_max_diff"] = float(np.abs(made["best"][0] - made["cpu"][0]).max())
        if made["best"][1].shape == made["cpu"][1].shape:
            d = np.abs(made["best"][1].astype(int) - made["cpu"][1].astype(int))
            res["region_levels_max"] = int(d.max())
            res["region_levels_share_over_1"] = float((d.max(-1) > 1).mean())
    return res


def make_inputs(path: str, face: str, body: str) -> None:
    import cv2

    from tryon_desktop.vision.face_tracker import FaceTracker

    img = cv2.imread(face)
    with FaceTracker(max_faces=1, video=False) as tr:
        lm = tr.track(img)[0].landmarks
    np.savez_compressed(path, face=img, landmarks=lm, body=cv2.imread(body))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--make", nargs=2, metavar=("FACE", "BODY"), help="write INPUTS from these photos")
    args = ap.parse_args()
    if args.make:
        make_inputs(args.inputs, *args.make)
        return 0
    import onnxruntime as ort

    z = np.load(args.inputs)
    data = {k: z[k] for k in z.files}
    report = {"onnxruntime": ort.__version__, "available": ort.get_available_providers()}
    for key, fn in (("models", lambda: check_models(args.calls)),
                    ("lipstick", lambda: check_lipstick(data, args.calls // 2)),
                    ("outfit", lambda: check_outfit(data, args.calls // 4))):
        try:
            report[key] = fn()
        except Exception as exc:  # a report of what failed is the point of this script
            report[key] = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps({key: report[key]}), flush=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
