"""Export a garment-mask run to ONNX (static shapes, sigmoid included), check torch against onnxruntime on
real cache images through the app's own input path, and write the manifest the app verifies first.

    python -m tryon_desktop.train.garment_export RUN_DIR [--out DIR] [--raw]

Writes DIR/garment_mask.onnx and DIR/garment_mask.json (default DIR: RUN_DIR/export).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from tryon_desktop.errors import InputError, ModelError
from tryon_desktop.train.export import export_static_onnx, model_file_fields, time_onnx_ms
from tryon_desktop.train.garment_nets import IN_H, IN_W, OUT_H, OUT_W, ExportWrapper, GarmentNet, count_macs, count_params
from tryon_desktop.train.garment_train import CKPT, GarmentTrainConfig
from tryon_desktop.train.io import atomic_write_text, load_checkpoint, run_command
from tryon_desktop.vision import garment_mask as RT

MODEL_NAME = RT.MODEL_NAME
PARITY_LIMIT = 1e-3  # max |torch - onnxruntime| on the probability

# Where the teacher's cache images come from (../shared/data/README.md), by folder.
DATA_SOURCES = {
    "bodies/train/ootd": "levihsu/OOTDiffusion@13ef0fa run/examples/model (CC BY-NC-SA 4.0; VITON-HD / DressCode photos research-only; model_*.jpg AI-generated)",
    "bodies/train/catvton": "Zheng-Chong/CatVTON@3b79536 resource/demo/example (CC BY-NC-SA 4.0; photo rights unclear)",
    "bodies/train/fitdit": "BoyuanJiang/FitDiT@6848063 examples/model (CC BY-NC-SA 4.0; photo rights unclear)",
    "bodies/train/echomimic": "antgroup/echomimic_v2@a312dec EMTD_dataset/ref_imgs_by_FLUX, assets/halfbody_demo (Apache-2.0 repo; synthetic FLUX images)",
    "bodies/train/animateanyone": "MooreThreads/Moore-AnimateAnyone@a914ef3 configs/inference (Apache-2.0 code; footage rights not stated)",
    "bodies/train/magicanimate": "magic-research/magic-animate@d2bc3bc inputs/applications/source_image (BSD-3 code)",
    "bodies/train/aniportrait": "Zejun-Yang/AniPortrait@7f6593f configs/inference/ref_images (Apache-2.0 code)",
    "bodies/train/liveportrait": "KwaiVGI/LivePortrait@1986663 assets/examples/source (MIT code; photo rights unclear)",
    "bodies/train/cihp": "Engineering-Course/CIHP_PGN@0cf1cbe datasets/CIHP (MIT code; CIHP images research-only)",
    "bodies/train/lip": "Engineering-Course/LIP_JPPNet@f274c9b datasets/examples/images (MIT code; LIP research-only)",
    "bodies/train/schp": "GoGoDuck912/Self-Correction-Human-Parsing@eb84c43 demo, mhp_extension/demo (MIT; photo rights unclear)",
    "bodies/train/clothseg": "levindabhi/cloth-segmentation@28392f0 assets (MIT code; photo rights unclear)",
    "bodies/train/bgmatting": "senguptaumd/Background-Matting@9076585 sample_data/input (CC BY-NC-SA 4.0)",
    "bodies/train/econ": "YuliangXiu/ECON@d8f4e8b examples (MPI non-commercial research licence)",
    "bodies/train/pixie": "yfeng95/PIXIE@5c8879b TestSamples (MPI non-commercial research licence; Pexels photos free licence)",
    "bodies/train/openpose_coco": "CMU-Perceptual-Computing-Lab/openpose@5c5d965 examples/media (OpenPose academic non-commercial; COCO Flickr licences)",
    "bodies/train/portraitseg": "anilsathyan7/Portrait-Segmentation@dbf69b0 test, SINet (MIT code; photo rights unclear)",
    "bodies/train/unianimate": "ali-vilab/UniAnimate@643c963 data/images (no licence file; DeepFashion research-only)",
    "bodies/train/musetalk": "TMElyralab/MuseTalk@0a89dec assets/demo (MIT code; photo rights unclear)",
    "bodies/train/disco_tiktok": "Wangt-CN/DisCo@c4fa48a demo_data, tsv_example (Apache-2.0 code; TikTok dataset research-only)",
    "bodies/train/magicdance": "Boese0601/MagicDance@a515a1f example_data/image/human (USC educational/research non-profit licence)",
    "bodies/train/4dhumans": "shubham-goel/4D-Humans@6ec7965 example_data/images (MIT; Pexels licence)",
    "video/train/latentsync": "bytedance/LatentSync@a229c39 assets/demo{1,2,3}_video.mp4 (Apache-2.0; footage rights not stated)",
    "video/train/unianimate": "ali-vilab/UniAnimate@643c963 data/videos/source_video.mp4 (no licence file; footage rights not stated)",
    "faces/train/celebahq": "clovaai/stargan-v2@875b70a assets/representative/celeba_hq (CC BY-NC 4.0; CelebA non-commercial)",
    "faces/train/lowres": "chandrikadeb7/Face-Mask-Detection@7e50074 dataset/without_mask (repo MIT; photo rights unclear)",
    "faces/train/mt": "Honlan/BeautyGAN@bca8aa4 imgs, wtjiang98/PSGAN@45988b9 assets/images (MT: research only)",
}
LICENCE_NOTE = ("Trained on masks made by this project's offline teacher over photos and video frames whose rights are "
                "non-commercial (CC BY-NC-SA 4.0, CC BY-NC 4.0, MPI and OpenPose non-commercial research licences), "
                "research-only (VITON-HD, DressCode, DeepFashion, CIHP, LIP, TikTok, CelebA) or not stated, plus "
                "synthetic (FLUX, OOTDiffusion) images. These weights are for research and evaluation, not for "
                "commercial use.")


def source_of(group: str) -> str | None:
    for key, text in DATA_SOURCES.items():
        if group == key or group.startswith(key + "/") or group.startswith(key):
            return text
    return None


def load_net(run_dir: str | Path, weights: str = "auto") -> tuple[GarmentNet, dict, str]:
    """weights: "ema" (moving average), "raw", or "auto" (the training run's choice, made on held-out images)."""
    ck = load_checkpoint(Path(run_dir) / CKPT)
    if not isinstance(ck, dict) or "config" not in ck or "model" not in ck:
        raise InputError(f"{run_dir}/{CKPT} is not a garment-mask checkpoint")
    cfg = GarmentTrainConfig.from_dict(ck["config"])
    net = GarmentNet(cfg.width, cfg.prior)
    key = {"ema": "model_ema", "raw": "model"}.get(weights) or ck.get("export_weights", "model_ema")
    if key not in ck:
        key = "model"
    try:
        net.load_state_dict(ck[key])
    except RuntimeError:
        raise InputError(f"{run_dir}/{CKPT} holds a network of another architecture than this code's: "
                         "export it with the code that trained it") from None
    return net.eval(), ck, key


def export_onnx(net: GarmentNet, path: Path) -> None:
    if net.prior:
        export_static_onnx(ExportWrapper(net).eval(), (torch.zeros(1, 3, IN_H, IN_W), torch.zeros(1, 1, IN_H, IN_W)),
                           ["image", "prior"], ["prob"], path)
    else:
        export_static_onnx(ExportWrapper(net).eval(), (torch.zeros(1, 3, IN_H, IN_W),), ["image"], ["prob"], path)


def parity_priors(imgs: list[np.ndarray]) -> list[list[np.ndarray]]:
    """Face outlines for the parity images: the app's tracker where mediapipe is here, else an oval drawn in
    the upper middle of each image (the check compares torch and onnxruntime on the same input)."""
    from tryon_desktop.train import garment_data as GD

    found = GD.face_outlines(imgs)
    if found is not None and any(found):
        return found
    out = []
    for img in imgs:
        h, w = img.shape[:2]
        t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
        out.append([np.stack([w * (0.5 + 0.12 * np.cos(t)), h * (0.3 + 0.16 * np.sin(t))], 1).astype(np.float32)])
    return out


def parity_images(cache_dir: str | Path | None, n: int = 8) -> tuple[list[np.ndarray], str]:
    """Real frames for the parity check: letterboxed images of the run's cache (spread over it), else
    the package-shipped photos (always present)."""
    from tryon_desktop.train import garment_data as GD

    entries = []
    if cache_dir and (Path(cache_dir) / "index.json").exists():
        try:
            entries = GD.read_index(Path(cache_dir))
        except InputError:
            entries = []
    imgs = []
    import cv2

    if entries:
        pick = np.linspace(0, len(entries) - 1, min(n, len(entries))).astype(int)
        for k in pick:
            img = cv2.imread(str(Path(cache_dir) / "images" / f"{entries[k]['id']}.jpg"), cv2.IMREAD_COLOR)
            if img is not None:
                imgs.append(img)
        where = str(cache_dir)
    if not imgs:
        from tryon_desktop.train.smoke_data import package_faces

        imgs = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in package_faces()]
        where = "package photos"
    return imgs, where


def parity_check(net: GarmentNet, onnx_path: Path, cache_dir: str | Path | None, n: int = 8) -> dict:
    """Max |torch - onnxruntime| on the probability, both fed by the app's own letterbox + conversion."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    wrapper = ExportWrapper(net).eval()
    imgs, where = parity_images(cache_dir, n)
    faces = parity_priors(imgs) if net.prior else [None] * len(imgs)
    worst, flips = 0.0, 0
    for img, polys in zip(imgs, faces, strict=True):
        box = RT.Letterbox.fit(img.shape[1], img.shape[0])
        x = RT.bgr_to_input(box.place(img))
        feed = {"image": x}
        if net.prior:
            feed["prior"] = RT.face_prior(polys, box.affine())[None, None]
        with torch.no_grad():
            ref = wrapper(*(torch.from_numpy(v) for v in feed.values())).numpy()
        got = sess.run(["prob"], feed)[0]
        worst = max(worst, float(np.abs(ref - got).max()))
        flips += int(((ref > 0.5) != (got > 0.5)).sum())
    return {"cases": len(imgs), "inputs": where, "max_abs_prob": worst, "pixels_flipped_at_0.5": flips}


def held_out_scores(net: GarmentNet, cache_dir: str | Path | None, face_cache: Path | None = None) -> dict | None:
    """The exported weights' IoU against the teacher on the run's held-out cache images (if still there)."""
    from tryon_desktop.train import garment_data as GD
    from tryon_desktop.train.garment_train import evaluate

    if not cache_dir or not (Path(cache_dir) / "index.json").exists():
        return None
    try:
        cache = GD.load_cache(cache_dir, with_person=False,
                              face_cache=face_cache if net.prior else None)
    except InputError:
        return None
    return {**evaluate(net, cache, cache.val_indices()), "measured_at_export": True}


def onnx_latency_ms(path: Path, runs: int = 300, threads: int = 1, prior: bool = False) -> dict:
    feed = {"image": np.random.default_rng(0).random((1, 3, IN_H, IN_W), dtype=np.float32)}
    if prior:
        feed["prior"] = np.zeros((1, 1, IN_H, IN_W), np.float32)
    ts = time_onnx_ms(path, feed, threads=threads, runs=runs)
    return {"median_ms": round(float(np.median(ts)), 3), "p95_ms": round(float(np.percentile(ts, 95)), 3),
            "threads": threads, "provider": "CPU", "note": "ONNX call only; tools/bench_garment_mask.py times the whole frame"}


def export_run(run_dir: str | Path, out_dir: str | Path | None = None, weights: str = "auto",
               metrics: dict | None = None) -> dict:
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir / "export"
    out_dir.mkdir(parents=True, exist_ok=True)
    net, ck, key = load_net(run_dir, weights)
    cfg = GarmentTrainConfig.from_dict(ck["config"])
    onnx_path = out_dir / f"{MODEL_NAME}.onnx"
    export_onnx(net, onnx_path)
    parity = parity_check(net, onnx_path, cfg.data)
    if parity["max_abs_prob"] > PARITY_LIMIT:
        onnx_path.unlink(missing_ok=True)
        raise ModelError(f"ONNX export disagrees with torch by {parity['max_abs_prob']:.2e} in probability: not exported")
    data = ck.get("data", {})
    groups = data.get("groups", {})
    sources = {g: source_of(g) or "unknown source (not in ../shared/data/README.md)" for g in sorted(groups)}
    val = ck.get("val") or []
    val_now = held_out_scores(net, cfg.data, run_dir / "faces.json")
    if val_now is None:  # the cache is gone: what the run measured on these weights, if it did
        val_now = val[-1] if key == "model_ema" and val else ck.get("val_raw") if key == "model" else None
    manifest = {
        **model_file_fields(MODEL_NAME, onnx_path, ck["step"]),
        "design": "MobileNet-like encoder (depthwise-separable inverted residuals to 1/16, dilated context, "
                  "global-pool gate) + LR-ASPP-like decoder with skips from 1/8, 1/4, 1/2; sigmoid output at half "
                  "the input size (train/garment_nets.py; run time: vision/garment_mask.py)"
                  + ("; a 4th input channel: the face prior" if net.prior else ""),
        "inputs": {"image": {"shape": [1, 3, IN_H, IN_W], "dtype": "float32",
                             "meaning": "the frame shrunk (INTER_AREA) to fit 256x144, centred on mid grey (128) when not 16:9; "
                                        "sRGB R,G,B in [0,1]"},
                   **({"prior": {"shape": [1, 1, IN_H, IN_W], "dtype": "float32",
                                 "meaning": "the faces the app's tracker found, drawn on the same canvas by "
                                            "vision.garment_mask.face_prior: face oval 1, the body expected below "
                                            "each chin 0.5, else 0 (all 0: no face known)"}} if net.prior else {})},
        "outputs": {"prob": {"shape": [1, 1, OUT_H, OUT_W], "dtype": "float32",
                             "meaning": "probability in [0,1] that the pixel is the upper-body garment "
                                        "(not face, hair, skin, background, trousers); half the input's resolution"}},
        "letterbox": {"fit": [IN_W, IN_H], "pad_value": RT.PAD_VALUE, "offsets": "centred, rounded down to even",
                      "resize": "cv2.INTER_AREA"},
        "params": count_params(net),
        "gmacs": round(count_macs(net) / 1e9, 4),
        "training": {
            "steps": int(ck["step"]), "minutes": round(float(ck.get("elapsed_s", 0.0)) / 60.0, 1),
            "config": ck["config"], "data_stats": data, "sources": sources,
            "weights": "exponential moving average" if key == "model_ema" else "raw (final, learning rate annealed)",
            **{k: ck[k] for k in ("device", "device_name") if k in ck},
        },
        "licence_note": LICENCE_NOTE,
        "parity": parity,
        "latency_cpu": onnx_latency_ms(onnx_path, prior=net.prior),
        "metrics": metrics or {"val_vs_teacher": val_now,
                               "note": "IoU at 0.5 against the teacher's masks on held-out cache images "
                                       "(photos, or 1.5 s chunks of video), letterboxed as the app feeds frames"},
        "runtime": {"temporal": {"a_min": 0.3, "low": 0.04, "high": 0.25, "change": "3x3 max of |new - old|"},
                    "face_grow": 0.16, "face_cut_dilate_cells": 1, "canvas": RT.CANVAS,
                    "zoom": {"min_gain": RT.ZOOM_MIN_GAIN, "min_garment": RT.ZOOM_MIN_GARMENT,
                             "combine": "mean of the two passes inside the region",
                             "video": "zoomed pass on every other frame while the region stays put"}},
    }
    atomic_write_text(out_dir / f"{MODEL_NAME}.json", json.dumps(manifest, indent=2))
    return {"onnx": str(onnx_path), "manifest": str(out_dir / f"{MODEL_NAME}.json"), "parity": parity,
            "latency_cpu": manifest["latency_cpu"], "gmacs": manifest["gmacs"], "params": manifest["params"],
            "size_bytes": manifest["size_bytes"], "val": manifest["metrics"].get("val_vs_teacher")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="garment_export", description="Export a garment-mask run to ONNX + manifest.")
    p.add_argument("run_dir")
    p.add_argument("--out", help="folder for garment_mask.onnx/.json (default: RUN_DIR/export)")
    p.add_argument("--weights", choices=("auto", "ema", "raw"), default="auto",
                   help="the moving average, the raw weights, or the run's own choice on held-out images (default)")
    args = p.parse_args(argv)
    return run_command("garment_export", lambda: export_run(args.run_dir, args.out, weights=args.weights), indent=2)


if __name__ == "__main__":
    raise SystemExit(main())
