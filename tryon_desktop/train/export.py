"""Export a run's generator to ONNX (static shapes), check torch vs onnxruntime on real patches, and
write the manifest the app verifies before loading (sha256, shapes, condition layout, data, metrics)."""

from __future__ import annotations

import datetime as _dt
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from tryon_desktop.errors import InputError, ModelError
from tryon_desktop.train.config import TrainConfig
from tryon_desktop.train.io import atomic_write_bytes, atomic_write_text, load_checkpoint
from tryon_desktop.train.nets import Generator, count_params, generator_macs
from tryon_desktop.vision.lip_generator import (
    BASIS,
    COND_DIM,
    COND_LAYOUT,
    GRID,
    GRID_H,
    GRID_W,
    IN_H,
    IN_W,
    N_COEF,
    PATCH_H,
    PATCH_W,
)
from tryon_desktop.vision.onnx_runtime import sha256_file

MODEL_NAME = "lipstick_generator"
LICENCE_NOTE = ("Trained on photos whose rights are non-commercial or unclear (CelebA-HQ: CC BY-NC 4.0, "
                "non-commercial research only; MT makeup set: research only; low-res web faces from "
                "chandrikadeb7/Face-Mask-Detection: rights unclear). These weights are for research and "
                "evaluation, not for commercial use.")
DATA_SOURCES = {
    "lowres": "chandrikadeb7/Face-Mask-Detection@7e50074 dataset/without_mask (repo MIT; photo rights unclear)",
    "celebahq": "clovaai/stargan-v2@875b70a assets/representative/celeba_hq (CC BY-NC 4.0; CelebA non-commercial)",
    "mt": "Honlan/BeautyGAN@bca8aa4 imgs, wtjiang98/PSGAN@45988b9 assets/images (MT: research only)",
}


def code_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], capture_output=True, text=True,
                               timeout=10, cwd=Path(__file__).resolve().parent)
        if out.returncode == 0:
            return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def model_file_fields(name: str, onnx_path: Path, step: int) -> dict:
    """The manifest fields that identify an exported model file: name, version (1.<training step>), file,
    sha256, size, creation time and the code commit it came from."""
    return {
        "name": name,
        "version": f"1.{int(step)}",
        "file": onnx_path.name,
        "sha256": sha256_file(onnx_path),
        "size_bytes": onnx_path.stat().st_size,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "code_commit": code_commit(),
    }


def load_generator(run_dir: str | Path, use_ema: bool = True) -> tuple[Generator, dict]:
    ck = load_checkpoint(Path(run_dir) / "checkpoint.pt")
    if "config" not in ck or "G" not in ck:
        raise InputError(f"{run_dir}/checkpoint.pt is not a lipstick-generator checkpoint")
    cfg = TrainConfig.from_dict(ck["config"])
    G = Generator(cfg.g_width)
    try:
        G.load_state_dict(ck["G_ema" if use_ema and "G_ema" in ck else "G"])
    except RuntimeError:
        raise InputError(f"{run_dir}/checkpoint.pt holds a generator of another architecture than this code's "
                         "(missing, extra or differently shaped weights): export it with the code that trained it") from None
    return G.eval(), ck


def parity_inputs(n: int = 8, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    """Real lip patches for the parity check: the package-shipped photos (always present), tracked and
    aligned by the app's own code, with catalogue shades of every finish."""
    import cv2

    from tryon_desktop.core.looks import FINISHES, default_catalogue
    from tryon_desktop.train.data import canonical_sample
    from tryon_desktop.train.smoke_data import smoke_cache
    from tryon_desktop.vision.lip_generator import basis_features, condition_vector, network_input

    cache = smoke_cache()
    rng = np.random.default_rng(seed)
    cat = default_catalogue()
    out = []
    for k in range(n):
        s = canonical_sample(cache, k % len(cache), rng, 1.0 if k >= len(cache) else 0.0)
        feats = basis_features(s.patch, s.mask, s.mouth_w)
        if feats is None:
            continue
        basis, y_med, chroma = feats
        shade = cat[int(rng.integers(len(cat)))].with_(finish=FINISHES[k % len(FINISHES)])
        out.append((network_input(s.patch, s.mask), condition_vector(shade, y_med, chroma)[None],
                    {"basis": basis, "patch": s.patch, "mask": s.mask}))
    del cv2
    return out


def parity_check(G: Generator, onnx_path: Path, n: int = 8) -> dict:
    """Max |torch - onnxruntime| on the coefficients and on the made-up 8-bit patches."""
    import cv2
    import onnxruntime as ort

    from tryon_desktop.vision.lip_generator import apply_coefficients, encode_bgr8

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst_coef, worst_px, n_px_off = 0.0, 0, 0
    cases = parity_inputs(n)
    if not cases:
        raise ModelError("parity check found no usable lips in its test photos")
    for image, cond, extra in cases:
        with torch.no_grad():
            ref = G(torch.from_numpy(image), torch.from_numpy(cond)).numpy()
        got = sess.run(["coef"], {"image": image, "cond": cond})[0]
        worst_coef = max(worst_coef, float(np.abs(ref - got).max()))
        imgs = []
        for coef in (ref, got):
            grid = coef[0].transpose(1, 2, 0)
            full = cv2.resize(grid, (PATCH_W, PATCH_H), interpolation=cv2.INTER_LINEAR)
            imgs.append(encode_bgr8(apply_coefficients(full, extra["basis"])).astype(int))
        inside = extra["mask"] > 0.05
        diff = np.abs(imgs[0] - imgs[1])[inside]
        worst_px = max(worst_px, int(diff.max()))
        n_px_off += int((diff > 1).sum())
    return {"cases": len(cases), "max_abs_coef": worst_coef, "max_abs_8bit": worst_px, "pixels_off_by_more_than_1": n_px_off}


def export_static_onnx(module: torch.nn.Module, inputs: tuple, input_names: list[str], output_names: list[str],
                       path: Path) -> None:
    """Export `module` with static shapes (opset 17, the TorchScript exporter), check the graph, and
    write it atomically."""
    import warnings

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # the TorchScript exporter is deprecated in favour of dynamo, which gives the same graph here
        warnings.simplefilter("ignore", DeprecationWarning)
        tmp_path = Path(tmp) / "m.onnx"
        try:
            torch.onnx.export(module, inputs, str(tmp_path), input_names=input_names, output_names=output_names,
                              opset_version=17, dynamo=False)
        except TypeError:  # torch without the `dynamo` switch
            torch.onnx.export(module, inputs, str(tmp_path), input_names=input_names, output_names=output_names,
                              opset_version=17)
        import onnx

        model = onnx.load(str(tmp_path))
        onnx.checker.check_model(model)
        atomic_write_bytes(path, tmp_path.read_bytes())


def export_onnx(G: Generator, path: Path) -> None:
    export_static_onnx(G, (torch.zeros(1, 4, IN_H, IN_W), torch.zeros(1, COND_DIM)), ["image", "cond"], ["coef"], path)


def time_onnx_ms(path: Path, feed: dict, threads: int, runs: int = 300) -> np.ndarray:
    """Milliseconds of `runs` calls of an ONNX model on the CPU (after 30 warm-up calls)."""
    import time

    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    for _ in range(30):
        sess.run(None, feed)
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        ts.append((time.perf_counter() - t) * 1000.0)
    return np.asarray(ts)


def onnx_latency_ms(path: Path, runs: int = 300) -> dict:
    rng = np.random.default_rng(0)
    feed = {"image": rng.standard_normal((1, 4, IN_H, IN_W)).astype(np.float32),
            "cond": rng.standard_normal((1, COND_DIM)).astype(np.float32)}
    ts = time_onnx_ms(path, feed, threads=2, runs=runs)
    return {"median_ms": round(float(np.median(ts)), 3), "p90_ms": round(float(np.percentile(ts, 90)), 3),
            "threads": 2, "provider": "CPU"}


def export_run(run_dir: str | Path, out_dir: str | Path | None = None, use_ema: bool = True,
               metrics: dict | None = None) -> dict:
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir / "export"
    out_dir.mkdir(parents=True, exist_ok=True)
    G, ck = load_generator(run_dir, use_ema)
    onnx_path = out_dir / f"{MODEL_NAME}.onnx"
    export_onnx(G, onnx_path)
    parity = parity_check(G, onnx_path)
    if parity["max_abs_8bit"] > 2:
        onnx_path.unlink(missing_ok=True)
        raise ModelError(f"ONNX export disagrees with torch by {parity['max_abs_8bit']} levels: not exported")
    data = ck.get("data", {})
    counts = {}
    try:
        from tryon_desktop.train.data import load_cache

        cache_path = run_dir / "faces.npz"
        if not cache_path.exists() and data.get("cache"):
            cache_path = Path(data["cache"])
        if cache_path.exists():
            c = load_cache(cache_path)
            for name, hold in zip(c.names, c.holdout, strict=True):
                key = "/".join(str(name).split("/")[:2])  # data root / subfolder
                counts.setdefault(key, {"faces": 0, "held_out": 0})
                counts[key]["faces"] += 1
                counts[key]["held_out"] += int(bool(hold))
    except InputError:
        pass
    manifest = {
        **model_file_fields(MODEL_NAME, onnx_path, ck["step"]),
        "design": "conditional encoder-decoder -> grid of per-pixel colour transforms, applied at the frame's "
                  "own resolution to a basis of the original pixels (vision/lip_generator.py)",
        "inputs": {
            "image": {"shape": [1, 4, IN_H, IN_W], "dtype": "float32",
                      "meaning": "canonical lip patch shrunk to IN size: sRGB R,G,B in [-1,1] + soft lip mask in [0,1]"},
            "cond": {"shape": [1, COND_DIM], "dtype": "float32", "layout": list(COND_LAYOUT)},
        },
        "outputs": {"coef": {"shape": [1, N_COEF, GRID_H, GRID_W], "dtype": "float32",
                             "meaning": "per cell: 3 output colours (linear R,G,B) x basis coefficients",
                             "basis": list(BASIS)}},
        "patch": {"canonical": [PATCH_W, PATCH_H], "grid_cell_px": GRID, "mouth_corners_at": [0.2, 0.8]},
        "params": count_params(G),
        "gmacs": round(generator_macs(G) / 1e9, 4),
        "training": {
            "steps": int(ck["step"]), "minutes": round(float(ck.get("elapsed_s", 0.0)) / 60.0, 1),
            "config": ck["config"], "faces": counts, "data_stats": data, "sources": DATA_SOURCES,
            "weights": "exponential moving average" if use_ema else "raw",
            **{k: ck[k] for k in ("device", "device_name") if k in ck},  # where it trained (last saved)
        },
        "licence_note": LICENCE_NOTE,
        "parity": parity,
        "latency_cpu": onnx_latency_ms(onnx_path),
        "metrics": metrics or {},
    }
    atomic_write_text(out_dir / f"{MODEL_NAME}.json", json.dumps(manifest, indent=2))
    return {"onnx": str(onnx_path), "manifest": str(out_dir / f"{MODEL_NAME}.json"), "parity": parity,
            "latency_cpu": manifest["latency_cpu"], "gmacs": manifest["gmacs"], "params": manifest["params"]}
