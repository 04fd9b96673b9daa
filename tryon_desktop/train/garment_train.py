"""Train the live garment-mask student on the teacher's cache.

    python -m tryon_desktop.train.garment_train --data runs/garment_cache --out runs/garment_student [--minutes 40]

One run folder per run: config.json, checkpoint.pt (config, weights, their moving average, optimiser,
history; written every few minutes and at the end, resumed unless --fresh), data.json (what the cache
held), person_masks.npz (the selfie masks the background swap uses, computed once), samples/ (held-out
images and video frames with the predicted mask over them), losses.png, log.txt, summary.json.

Loss: binary cross-entropy on the teacher's soft probability, weighted up near the garment's edges,
plus a soft Dice over the batch (overlap, insensitive to how much of the frame the garment fills).
The network predicts at half resolution; the loss sees its bilinear upsampling, as the app does.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tryon_desktop.errors import InputError
from tryon_desktop.train import garment_data as GD
from tryon_desktop.train.config import RunConfig
from tryon_desktop.train.garment_nets import GarmentNet, count_macs, count_params, widen_stem
from tryon_desktop.train.io import atomic_image_write, atomic_torch_save, atomic_write_text, load_checkpoint, run_command

log = logging.getLogger(__name__)
CKPT = "checkpoint.pt"
DEFAULT_PREVIEW = Path("..") / "shared" / "data" / "video" / "dev"


@dataclass
class GarmentTrainConfig(RunConfig):
    data: str = "runs/garment_cache"
    seed: int = 1234
    steps: int = 20000
    batch: int = 16
    lr: float = 3e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    width: int = 16
    aug: float = 1.0
    w_bce: float = 1.0
    w_dice: float = 0.5
    w_edge: float = 2.0  # extra BCE weight on pixels within a few pixels of the garment's edge
    ema: float = 0.99  # short CPU runs (a few thousand steps): a half-life of ~70 steps
    sample_every: int = 400
    val_every: int = 400
    checkpoint_every_s: float = 180.0
    workers: int = 0  # data in the training process: a forked worker can hang on cv2/mediapipe state, and
    # the augmentation costs ~10 ms a sample against ~100 ms of network time per sample on a CPU
    threads: int = 1  # measured here: 2 threads on 2 shared cores ran a step 3-4x SLOWER than 1 thread
    max_minutes: float = 40.0
    preview: list[str] = field(default_factory=list)  # video files whose frames go into the samples
    prior: bool = False  # a 4th input: the face prior (vision.garment_mask.face_prior); faces found once per image
    init: str = ""  # a checkpoint to start from (a new run only): its weights, the stem widened for the prior

    ARCH_KEYS = ("width", "prior")


# ---------------------------------------------------------------- batches


class BatchStream(torch.utils.data.IterableDataset):
    """Endless augmented batches; each worker seeded by (seed, start step, worker id)."""

    def __init__(self, cache: GD.GarmentCache, cfg: GarmentTrainConfig, start_step: int) -> None:
        self.cache, self.cfg, self.start = cache, cfg, start_step
        self.train = cache.train_indices()
        self.p = GD.sampling_weights(cache, self.train)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        rng = np.random.default_rng([self.cfg.seed, self.start, wid])
        cv2.setNumThreads(1)
        b = self.cfg.batch
        while True:
            imgs = np.empty((b, 3, GD.IN_H, GD.IN_W), np.float32)
            tgts = np.empty((b, 1, GD.IN_H, GD.IN_W), np.float32)
            wts = np.empty((b, 1, GD.IN_H, GD.IN_W), np.float32)
            priors = np.empty((b, 1, GD.IN_H, GD.IN_W), np.float32)
            for k in range(b):
                idx = int(rng.choice(self.train, p=self.p))
                img, tgt, w, pr = GD.augmented_sample(self.cache, idx, rng, self.cfg.aug)
                imgs[k], tgts[k, 0], wts[k, 0], priors[k, 0] = GD.to_chw01(img), tgt, w, pr
            yield {"image": torch.from_numpy(imgs), "target": torch.from_numpy(tgts), "weight": torch.from_numpy(wts),
                   "prior": torch.from_numpy(priors)}


# ---------------------------------------------------------------- losses


def edge_band(target: torch.Tensor, radius: int = 3) -> torch.Tensor:
    """1 within `radius` px of the target's 0.5 boundary (morphological gradient of the soft mask)."""
    k = 2 * radius + 1
    dil = F.max_pool2d(target, k, 1, radius)
    ero = -F.max_pool2d(-target, k, 1, radius)
    return (dil - ero).clamp(0, 1)


def losses(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, cfg: GarmentTrainConfig) -> dict:
    """logits (B,1,h/2,w/2); target and per-pixel weight (B,1,h,w)."""
    up = F.interpolate(logits, size=target.shape[-2:], mode="bilinear", align_corners=False)
    pix_w = (1.0 + cfg.w_edge * edge_band(target)) * weight
    bce = (F.binary_cross_entropy_with_logits(up, target, reduction="none") * pix_w).sum() / pix_w.sum().clamp_min(1.0)
    p = torch.sigmoid(up)
    w = weight
    inter = (p * target * w).sum()
    dice = 1.0 - (2.0 * inter + 1.0) / ((p * w).sum() + (target * w).sum() + 1.0)
    total = cfg.w_bce * bce + cfg.w_dice * dice
    return {"loss": total, "bce": bce, "dice": dice}


# ---------------------------------------------------------------- evaluation and samples


@torch.no_grad()
def predict(net: GarmentNet, bgr_small: np.ndarray, prior: np.ndarray | None = None) -> np.ndarray:
    """(IN_H, IN_W, 3) uint8 [+ face prior (IN_H, IN_W)] -> (IN_H, IN_W) probability, upsampled as the app
    does (bilinear)."""
    x = torch.from_numpy(GD.to_chw01(bgr_small)[None])
    pr = None if prior is None else torch.from_numpy(np.ascontiguousarray(prior, np.float32)[None, None])
    logit = net(x, pr)[0, 0].numpy()
    return cv2.resize(1.0 / (1.0 + np.exp(-logit)), (GD.IN_W, GD.IN_H), interpolation=cv2.INTER_LINEAR)


@torch.no_grad()
def evaluate(net: GarmentNet, cache: GD.GarmentCache, indices: np.ndarray) -> dict:
    """IoU at 0.5 of the letterboxed held-out images (the app's own input path) against the teacher."""
    was = net.training
    net.eval()
    inter = union = 0.0
    inter_r = union_r = 0.0
    per_image, empty_fp = [], []
    for i in indices:
        it = cache.items[int(i)]
        img, tgt, wmap, prior = GD.augmented_sample(cache, int(i), None, 0.0)
        care = wmap > 0  # the pixels that carry a label (not a collar under a face-only crop)
        p = (predict(net, img, prior) > 0.5) & care
        t = (tgt > 0.5) & care
        a, b = float((p & t).sum()), float((p | t).sum())
        inter, union = inter + a, union + b
        if it.real:
            inter_r, union_r = inter_r + a, union_r + b
        if t.sum() > 0:
            per_image.append(a / max(b, 1.0))
        else:
            empty_fp.append(float(p.mean()))
    net.train(was)
    return {"iou": inter / max(union, 1.0), "iou_real": inter_r / max(union_r, 1.0) if union_r else None,
            "iou_per_image_mean": float(np.mean(per_image)) if per_image else None,
            "empty_images": len(empty_fp), "empty_fp_share": float(np.mean(empty_fp)) if empty_fp else None,
            "n": len(indices)}


def overlay(bgr: np.ndarray, prob: np.ndarray, colour=(0, 255, 0)) -> np.ndarray:
    """The photo dimmed, the mask tinted over it, and its 0.5 contour."""
    out = (bgr.astype(np.float32) * 0.6).astype(np.float32)
    tint = np.asarray(colour, np.float32)
    a = prob[..., None].astype(np.float32) * 0.6
    out = out * (1 - a) + (bgr.astype(np.float32) * 0.4 + tint * 0.6) * a
    out = np.clip(out, 0, 255).astype(np.uint8)
    cs, _ = cv2.findContours((prob > 0.5).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(out, cs, -1, (255, 255, 255), 1)
    return out


def preview_frames(paths: list[str], per_video: int = 2) -> list[np.ndarray]:
    frames = []
    for p in paths:
        cap = cv2.VideoCapture(str(p))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        for k in range(per_video):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(n * (k + 1) / (per_video + 1)) if n > 0 else 0)
            ok, f = cap.read()
            if ok:
                box = GD.Letterbox.fit(f.shape[1], f.shape[0])
                frames.append(box.place(f).copy())
        cap.release()
    return frames


def default_previews() -> list[str]:
    if not DEFAULT_PREVIEW.is_dir():
        return []
    skip = ("mask", "densepose")
    return [str(p) for p in sorted(DEFAULT_PREVIEW.glob("*.mp4")) if not any(s in p.name for s in skip)]


@torch.no_grad()
def sample_sheet(net: GarmentNet, cache: GD.GarmentCache, frames: list[np.ndarray], n_val: int = 8) -> np.ndarray:
    """Rows of: held-out image | prediction over it | teacher over it; then video frames with predictions."""
    was = net.training
    net.eval()
    rows = []
    val = cache.val_indices()
    pick = val[np.linspace(0, len(val) - 1, min(n_val, len(val))).astype(int)] if len(val) else []
    for i in pick:
        img, tgt, prior = GD.letterboxed(cache.items[int(i)])
        rows.append(np.hstack([img, overlay(img, predict(net, img, prior)), overlay(img, tgt, (0, 0, 255))]))
    cells = [overlay(f, predict(net, f)) for f in frames]
    while len(cells) % 3:
        cells.append(np.zeros_like(cells[0]))
    for k in range(0, len(cells), 3):
        rows.append(np.hstack(cells[k:k + 3]))
    net.train(was)
    return np.vstack(rows) if rows else np.zeros((GD.IN_H, GD.IN_W, 3), np.uint8)


def plot_history(history: list[dict], val: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not history:
        return
    keys = ["loss", "bce", "dice"]
    fig, axes = plt.subplots(1, len(keys) + 1, figsize=(13, 2.8))
    for ax, k in zip(axes, keys, strict=False):
        xs = [h["step"] for h in history]
        ys = [h[k] for h in history]
        ax.plot(xs, ys, lw=0.6, alpha=0.5)
        if len(ys) > 20:
            kern = np.ones(15) / 15.0
            ax.plot(xs[7:-7], np.convolve(ys, kern, mode="valid"), lw=1.2)
        ax.set_title(k)
        ax.set_xlabel("step")
    if val:
        axes[-1].plot([v["step"] for v in val], [v["iou"] for v in val], marker=".")
        axes[-1].set_title("val IoU")
        axes[-1].set_xlabel("step")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)


# ---------------------------------------------------------------- the loop


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform

    return platform.processor() or platform.machine()


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    # BatchNorm's running statistics are averaged like the weights: copying the live model's statistics
    # into averaged weights mis-normalises every layer (seen here: val IoU 0.66 raw, 0.10 averaged)
    for pe, pm in zip(ema.parameters(), model.parameters(), strict=True):
        pe.lerp_(pm, 1.0 - decay)
    for be, bm in zip(ema.buffers(), model.buffers(), strict=True):
        if be.dtype.is_floating_point:
            be.lerp_(bm, 1.0 - decay)
        else:
            be.copy_(bm)


def train(cfg: GarmentTrainConfig, run_dir: str | Path, progress: bool = True, resume: bool = True) -> dict:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device_name = _device_name(device)
    logf = open(run_dir / "log.txt", "a", encoding="utf-8")  # noqa: SIM115 (closed at the end)

    def say(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        logf.write(line + "\n")
        logf.flush()
        if progress:
            print(line, flush=True)

    net = GarmentNet(cfg.width, cfg.prior).to(device)
    if cfg.init and not (resume and (run_dir / CKPT).exists()):
        start = load_checkpoint(Path(cfg.init))
        net.load_state_dict(widen_stem(start.get("model_ema", start.get("model")), cfg.prior))
        say(f"weights from {cfg.init} (step {start.get('step')})")
    ema = copy.deepcopy(net).eval()
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, history, val_hist, elapsed0 = 0, [], [], 0.0
    ckpt_path = run_dir / CKPT
    if resume and ckpt_path.exists():
        ck = load_checkpoint(ckpt_path)
        if "config" not in ck or "model" not in ck:
            raise InputError(f"{ckpt_path} is not a garment-mask checkpoint: use a new --out folder or --fresh")
        old = GarmentTrainConfig.from_dict(ck["config"])
        if old.arch() != cfg.arch() or Path(old.data).resolve() != Path(cfg.data).resolve():
            raise InputError(f"checkpoint {ckpt_path} is from another config ({old.arch()} on {old.data}, "
                             f"now {cfg.arch()} on {cfg.data}): use a new --out folder or --fresh")
        net.load_state_dict(ck["model"])
        ema.load_state_dict(ck["model_ema"])
        opt.load_state_dict(ck["opt"])
        step, history = int(ck["step"]), list(ck.get("history", []))
        val_hist, elapsed0 = list(ck.get("val", [])), float(ck.get("elapsed_s", 0.0))
        say(f"resumed from step {step} ({elapsed0 / 60:.1f} min)")
    cfg.save(run_dir / "config.json")

    cache = GD.load_cache(cfg.data, person_cache=run_dir / "person_masks.npz", progress=progress,
                          face_cache=run_dir / "faces.json" if cfg.prior else None)
    stats = dict(cache.stats)
    atomic_write_text(run_dir / "data.json", json.dumps(stats, indent=2))
    val_idx = cache.val_indices()
    frames = preview_frames(cfg.preview)
    say(f"cache {cfg.data}: {len(cache)} images, {int(cache.holdout.sum())} held out, "
        f"{stats['empty_masks']} empty masks; net width {cfg.width}: {count_params(net)} params, "
        f"{count_macs(GarmentNet(cfg.width, cfg.prior)) / 1e6:.1f} MMAC; device {device_name}"
        + (f"; face prior on, faces found in {sum(bool(it.faces) for it in cache.items)} images" if cfg.prior else ""))

    # a spawned (not forked) worker: a fork inherits cv2's and mediapipe's thread pools and can hang
    loader = torch.utils.data.DataLoader(BatchStream(cache, cfg, step), batch_size=None, num_workers=cfg.workers,
                                         persistent_workers=cfg.workers > 0,
                                         multiprocessing_context="spawn" if cfg.workers > 0 else None)

    t0 = time.time()

    def elapsed() -> float:
        return elapsed0 + time.time() - t0

    def save() -> None:
        atomic_torch_save({"config": cfg.to_dict(), "step": step, "model": net.state_dict(),
                           "model_ema": ema.state_dict(), "opt": opt.state_dict(), "history": history,
                           "val": val_hist, "elapsed_s": elapsed(), "data": stats, "device": device.type,
                           "device_name": device_name, "val_raw": raw, "export_weights": export_weights}, ckpt_path)

    def snapshot() -> None:
        (run_dir / "samples").mkdir(exist_ok=True)
        ev = ema if device.type == "cpu" else copy.deepcopy(ema).cpu()
        atomic_image_write(run_dir / "samples" / f"step_{step:06d}.jpg", sample_sheet(ev, cache, frames), [1, 90])
        plot_history(history, val_hist, run_dir / "losses.png")

    def validate() -> dict:
        ev = ema if device.type == "cpu" else copy.deepcopy(ema).cpu()
        v = {"step": step, **evaluate(ev, cache, val_idx)}
        val_hist.append(v)
        say(f"val step {step}: IoU {v['iou']:.3f} (real {v['iou_real'] if v['iou_real'] is None else round(v['iou_real'], 3)}), "
            f"per-image {v['iou_per_image_mean']}, empty-image FP share {v['empty_fp_share']} on {v['n']} images")
        return v

    raw: dict | None = None  # held-out scores of the raw weights (at the end)
    export_weights = "model_ema"
    last_ckpt = time.time()
    last_print = 0.0
    stopped = "done"
    it = iter(loader)
    run_avg: dict[str, float] = {}
    t_data = t_step = 0.0
    while step < cfg.steps:
        ta = time.time()
        batch = {k: v.to(device, non_blocking=True) for k, v in next(it).items()}
        tb = time.time()
        done = max(step / max(1, cfg.steps), elapsed() / 60.0 / cfg.max_minutes)
        lr = cfg.lr * min(1.0, (step + 1) / cfg.warmup) * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
        for g in opt.param_groups:
            g["lr"] = lr
        out = losses(net(batch["image"], batch["prior"]), batch["target"], batch["weight"], cfg)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        _ema_update(ema, net, cfg.ema if step > 300 else 0.0)
        step += 1
        t_data += tb - ta
        t_step += time.time() - tb
        logs = {k: float(v.detach()) for k, v in out.items()}
        if not all(math.isfinite(v) for v in logs.values()):
            raise RuntimeError(f"training diverged at step {step}: {logs}")
        for k, v in logs.items():
            run_avg[k] = v if k not in run_avg else 0.95 * run_avg[k] + 0.05 * v
        if step % 10 == 0 or cfg.steps < 50:
            history.append({"step": step, **{k: round(v, 5) for k, v in logs.items()}, "lr": lr})
        if time.time() - last_print > 30 or step == cfg.steps:
            last_print = time.time()
            rate = step / max(1e-6, elapsed()) * 60.0 if step else 0.0
            say(f"step {step}/{cfg.steps} loss {run_avg['loss']:.4f} bce {run_avg['bce']:.4f} dice {run_avg['dice']:.4f} "
                f"lr {lr:.2e} | {elapsed() / 60:.1f}/{cfg.max_minutes:.0f} min, data {t_data:.0f}s net {t_step:.0f}s"
                f" ({rate:.0f} steps/min)")
        if step % cfg.val_every == 0:
            validate()
        if step % cfg.sample_every == 0:
            snapshot()
        if time.time() - last_ckpt > cfg.checkpoint_every_s:
            save()
            last_ckpt = time.time()
        if elapsed() / 60.0 > cfg.max_minutes:
            stopped = "time limit"
            break
    if not val_hist or val_hist[-1]["step"] != step:
        validate()
    raw = {"step": step, **evaluate(net if device.type == "cpu" else copy.deepcopy(net).cpu(), cache, val_idx)}
    # export takes the moving average unless the raw weights do clearly better on the held-out images
    export_weights = "model_ema" if val_hist[-1]["iou"] >= raw["iou"] - 0.01 else "model"
    say(f"held-out IoU: moving average {val_hist[-1]['iou']:.3f}, raw weights {raw['iou']:.3f}: export uses {export_weights}")
    save()
    snapshot()
    summary = {"steps": step, "stopped": stopped, "minutes": round(elapsed() / 60.0, 2), "device": device.type,
               "device_name": device_name, "val": val_hist[-1], "val_raw": raw, "export_weights": export_weights,
               "last": history[-1] if history else {}}
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=2))
    say(f"finished: {json.dumps(summary)}")
    logf.close()
    return summary


# ---------------------------------------------------------------- command line


def wait_for_cache(data: Path, minutes: float) -> bool:
    """Poll for the teacher's DONE marker; True once it is there."""
    deadline = time.time() + minutes * 60.0
    while not (data / "DONE").exists():
        if time.time() > deadline:
            return False
        time.sleep(20)
    return True


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="garment_train", description="Train the live garment-mask student network.")
    p.add_argument("--data", required=True, help="the teacher's cache folder (images/, masks/, index.json, DONE)")
    p.add_argument("--out", required=True, help="run folder: config, checkpoints, samples, losses")
    p.add_argument("--smoke", action="store_true", help="a few tiny steps, for tests")
    p.add_argument("--minutes", type=float, help="stop (and checkpoint) after this much training time")
    p.add_argument("--steps", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--width", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--prior", action="store_true", help="give the network the face prior as a 4th input")
    p.add_argument("--init", help="start a new run from this checkpoint's weights")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    p.add_argument("--wait", type=float, default=0.0, help="wait up to this many minutes for the cache's DONE file")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--preview", nargs="*", help="videos whose frames go into the samples (default: ../shared/data/video/dev)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = Path(args.data)

    def work() -> dict:
        if args.wait and not wait_for_cache(data, args.wait):
            raise InputError(f"no DONE file in {data} after {args.wait:g} minutes")
        if not (data / "index.json").exists():
            raise InputError(f"{data} is not a garment cache (no index.json)")
        cfg = GarmentTrainConfig(data=str(data))
        cfg.preview = default_previews() if args.preview is None else list(args.preview)
        if args.smoke:
            cfg.steps, cfg.batch, cfg.workers, cfg.sample_every, cfg.val_every = 3, 2, 0, 2, 2
            cfg.checkpoint_every_s, cfg.warmup = 1e9, 1
            cfg.preview = cfg.preview[:1]
        if args.prior:
            cfg.prior = True
        for key, val in (("steps", args.steps), ("batch", args.batch), ("seed", args.seed), ("width", args.width),
                         ("workers", args.workers), ("max_minutes", args.minutes), ("lr", args.lr),
                         ("init", args.init)):
            if val is not None:
                setattr(cfg, key, val)
        return train(cfg, args.out, progress=not args.no_progress, resume=not args.fresh)

    return run_command("garment_train", work)


if __name__ == "__main__":
    raise SystemExit(main())
