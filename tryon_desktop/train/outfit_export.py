"""Export an outfit-generator run to ONNX, check torch against onnxruntime on real garments through the
app's own code path, and write the manifest the app verifies first.

    tryon-train export-outfit RUN_DIR [--out DIR] [--raw]

Writes DIR/outfit_generator.onnx and DIR/outfit_generator.json (default DIR: RUN_DIR/export).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from tryon_desktop.errors import InputError, ModelError
from tryon_desktop.train import outfit_nets as N
from tryon_desktop.train.export import export_static_onnx, model_file_fields, time_onnx_ms
from tryon_desktop.train.garment_export import LICENCE_NOTE, source_of
from tryon_desktop.train.io import atomic_write_text, load_checkpoint, run_command
from tryon_desktop.train.outfit_train import CKPT, OutfitTrainConfig
from tryon_desktop.vision import outfit_generator as RT

MODEL_NAME = "outfit_generator"
PARITY_LIMIT_8BIT = 1  # max |torch - onnxruntime| on the made-up garment, 8-bit levels


def load_generator(run_dir: str | Path, use_ema: bool = True) -> tuple[N.Generator, dict]:
    ck = load_checkpoint(Path(run_dir) / CKPT)
    if not isinstance(ck, dict) or "G" not in ck or "config" not in ck:
        raise InputError(f"{run_dir}/{CKPT} is not an outfit-generator checkpoint")
    cfg = OutfitTrainConfig.from_dict(ck["config"])
    G = N.Generator(cfg.width)
    try:
        G.load_state_dict(ck["G_ema" if use_ema else "G"])
    except RuntimeError:
        raise InputError(f"{run_dir}/{CKPT} holds a network of another architecture than this code's") from None
    return G.eval(), ck


def parity_cases(cache_dir: str | Path | None, n: int = 8) -> tuple[list[dict], str]:
    """Real garments of the run's cache (held-out ones first) made into the app's inputs, else synthetic."""
    from tryon_desktop.train import outfit_train as T

    rng = np.random.default_rng(0)
    cases: list[dict] = []
    source = "synthetic garments"
    try:
        if cache_dir is not None and Path(cache_dir).is_dir():
            g = T.cut_garments(cache_dir)
            order = np.concatenate([np.flatnonzero(g.holdout), np.flatnonzero(~g.holdout)])
            for i in order:
                img, alpha = T.window(g, int(i), rng)
                p = T.make_pair(img, alpha, T.random_albedo(rng, 0.3), None)
                if p is not None:
                    cases.append(p)
                if len(cases) >= n:
                    break
            source = f"garments of {cache_dir}"
    except InputError:
        cases = []
    if not cases:
        yy, xx = np.mgrid[0:T.BOX, 0:T.BOX].astype(np.float32)
        for k in range(n):
            shade = 0.5 + 0.5 * np.sin(xx / (9 + k) + yy / 23.0)
            img = np.clip(np.stack([40 + 150 * shade, 60 + 120 * shade, 90 + 100 * shade], -1), 0, 255).astype(np.uint8)
            alpha = np.zeros((T.BOX, T.BOX), np.float32)
            alpha[40:230, 30:220] = 1.0
            cases.append(T.make_pair(img, alpha, T.random_albedo(rng, 0.3), None))
    return cases, source


def parity_check(G: N.Generator, onnx_path: Path, cache_dir: str | Path | None, n: int = 8) -> dict:
    """Max |torch - onnxruntime| on the coefficients, and on the made-up garment (8-bit levels) with the
    coefficients applied by the app's numpy code."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    cases, source = parity_cases(cache_dir, n)
    worst_coef, worst_px = 0.0, 0
    for p in cases:
        image, cond = p["image"][None], p["cond"][None]
        with torch.no_grad():
            ref = G(torch.from_numpy(image), torch.from_numpy(cond)).numpy()[0]
        got = sess.run(["coef"], {"image": image, "cond": cond})[0][0]
        worst_coef = max(worst_coef, float(np.abs(ref - got).max()))
        orig = (p["orig"].transpose(1, 2, 0)[..., ::-1] * 255.0 + 0.5).astype(np.uint8)
        refimg = (p["ref"].transpose(1, 2, 0)[..., ::-1] * 255.0 + 0.5).astype(np.uint8)
        base = RT.basis_maps(orig, refimg, float(p["ymed"]))
        outs = [np.rint(RT.encode01(RT.apply_coef(c, base)) * 255.0) for c in (ref, got)]
        inside = p["alpha"][0] > 0.05
        worst_px = max(worst_px, int(np.abs(outs[0] - outs[1])[:, inside].max()))
    return {"cases": len(cases), "inputs": source, "max_abs_coef": worst_coef, "max_abs_8bit": worst_px}


def _run_summary(run_dir: Path) -> dict:
    """The training run's summary.json (its held-out figures), or {}."""
    try:
        return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def export_run(run_dir: str | Path, out_dir: str | Path | None = None, use_ema: bool = True,
               metrics: dict | None = None) -> dict:
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir / "export"
    out_dir.mkdir(parents=True, exist_ok=True)
    G, ck = load_generator(run_dir, use_ema)
    cfg = OutfitTrainConfig.from_dict(ck["config"])
    onnx_path = out_dir / f"{MODEL_NAME}.onnx"
    export_static_onnx(G, (torch.zeros(1, 7, RT.IN, RT.IN), torch.zeros(1, RT.COND_DIM)), ["image", "cond"],
                       ["coef"], onnx_path)
    parity = parity_check(G, onnx_path, cfg.data)
    if parity["max_abs_8bit"] > PARITY_LIMIT_8BIT:
        onnx_path.unlink(missing_ok=True)
        raise ModelError(f"ONNX export disagrees with torch by {parity['max_abs_8bit']} levels: not exported")
    data = ck.get("data", {})
    groups = data.get("groups", {})
    rng = np.random.default_rng(0)
    feed = {"image": rng.standard_normal((1, 7, RT.IN, RT.IN)).astype(np.float32),
            "cond": rng.standard_normal((1, RT.COND_DIM)).astype(np.float32)}
    ts = time_onnx_ms(onnx_path, feed, threads=1)
    manifest = {
        **model_file_fields(MODEL_NAME, onnx_path, ck["step"]),
        "design": "the reference rendering corrected by a 16x16 grid of learned colour transforms of (reference "
                  "linear RGB, original shading, 1), applied at 128x128 and added to the full-resolution reference "
                  "as a smooth change (vision/outfit_generator.py; training: train/outfit_train.py)",
        "inputs": {
            "image": {"shape": [1, 7, RT.IN, RT.IN], "dtype": "float32",
                      "meaning": "garment box stretched to 128x128: original sRGB R,G,B in [-1,1], reference rendering "
                                 "sRGB R,G,B in [-1,1], garment mask in [0,1]"},
            "cond": {"shape": [1, RT.COND_DIM], "dtype": "float32", "layout": list(RT.COND_LAYOUT)},
        },
        "outputs": {"coef": {"shape": [1, RT.N_COEF, RT.GRID, RT.GRID], "dtype": "float32",
                             "meaning": "per cell: 3 output colours (linear R,G,B) x basis coefficients",
                             "basis": list(RT.BASIS)}},
        "params": N.count_params(G),
        "training": {
            "steps": int(ck["step"]), "minutes": round(float(ck.get("elapsed_s", 0.0)) / 60.0, 1),
            "config": ck["config"], "data_stats": data,
            "sources": {g: source_of(g) or "unknown source (not in ../shared/data/README.md)" for g in sorted(groups)},
            "weights": "exponential moving average" if use_ema else "raw",
            **{k: ck[k] for k in ("device", "device_name") if k in ck},
        },
        "licence_note": LICENCE_NOTE.replace("masks made by this project's offline teacher over ",
                                             "garments (cut out by this project's garment teacher) in "),
        "parity": parity,
        "held_out_reverse_pairs": _run_summary(run_dir).get("held_out", {}),
        "latency_cpu": {"median_ms": round(float(np.median(ts)), 3), "p90_ms": round(float(np.percentile(ts, 90)), 3),
                        "threads": 1, "provider": "CPU"},
        "metrics": metrics or {},
    }
    atomic_write_text(out_dir / f"{MODEL_NAME}.json", json.dumps(manifest, indent=2))
    return {"onnx": str(onnx_path), "manifest": str(out_dir / f"{MODEL_NAME}.json"), "parity": parity,
            "latency_cpu": manifest["latency_cpu"], "params": manifest["params"],
            "size_bytes": manifest["size_bytes"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tryon-train export-outfit",
                                description="Export an outfit-generator run to ONNX + manifest.")
    p.add_argument("run_dir")
    p.add_argument("--out", help="folder for outfit_generator.onnx/.json (default: RUN_DIR/export)")
    p.add_argument("--raw", action="store_true", help="export the raw weights, not their moving average")
    args = p.parse_args(argv)
    return run_command("tryon-train export-outfit", lambda: export_run(args.run_dir, args.out, use_ema=not args.raw),
                       indent=2)


if __name__ == "__main__":
    raise SystemExit(main())
