"""Train the outfit generator: `tryon-train outfit --data CACHE --out RUN_DIR`.

CACHE is the garment teacher's cache (tools/build_garment_cache.py: photos and video frames of people with
their upper-body garment masks, from ../shared/data/bodies and video/train). Every usable garment is cut
out once (its box plus a margin, 288 x 288, the mask beside it).

Each batch mixes two kinds of pairs, as the lipstick recipe does:
* forward: a garment (under a random room light: exposure and white balance) + a random colour or a
  procedural pattern -> G's output. No target image; it is held to the colour (its mid-lightness mean
  matches the reference rendering's, which matches the swatch), to the shading (the high-pass of its
  log-luminance correlates with the original's), and judged by the discriminator;
* reverse: a real garment that the reference renderer recoloured to a random colour + "its real colour"
  -> the real photograph. Here the target is a real photo, so G learns how fabric of a colour really
  takes the light, where the renderer only has a model.
The discriminator's real side is real garments (real photos drawn 3x as often as synthetic ones),
conditioned on their measured colour; its fake side is G's forward outputs, conditioned on the swatch.

One run folder: config.json, checkpoint.pt (weights, moving average, optimisers, history; every few
minutes and at the end; resumed unless --fresh), samples/ (held-out garments: original, reference, GAN),
log.txt, summary.json. CUDA when present.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tryon_desktop.errors import InputError
from tryon_desktop.render.outfit import render_garment
from tryon_desktop.render.patterns import PROCEDURAL, procedural
from tryon_desktop.train import outfit_nets as N
from tryon_desktop.train.config import RunConfig
from tryon_desktop.train.garment_train import _ema_update
from tryon_desktop.train.io import atomic_image_write, atomic_torch_save, atomic_write_text, load_checkpoint, run_command
from tryon_desktop.vision.outfit_generator import IN, albedo_mean_rgb, garment_colour, prepare_inputs, shrink

log = logging.getLogger(__name__)
CKPT = "checkpoint.pt"
CROP = 288  # stored garment crops; a random window of 224-288 px of it is the training box
BOX = 256  # the training box's size before the network's IN x IN


@dataclass
class OutfitTrainConfig(RunConfig):
    data: str = "runs/garment_cache_v3"
    seed: int = 1234
    steps: int = 100_000
    max_minutes: float = 55.0
    batch: int = 8
    width: int = 24
    d_width: int = 32
    lr: float = 4e-4
    d_lr: float = 2e-4
    reverse_fraction: float = 0.4
    pattern_fraction: float = 0.3
    w_rec: float = 10.0
    w_colour: float = 1.0
    w_shading: float = 1.0
    w_adv: float = 0.1
    w_reg: float = 0.02
    adv_start: int = 300
    ema: float = 0.995
    threads: int = 1
    sample_every: int = 500
    checkpoint_every_s: float = 300.0

    ARCH_KEYS = ("width", "d_width")


# ---------------------------------------------------------------- garments (numpy)


@dataclass
class Garments:
    images: np.ndarray  # (n, CROP, CROP, 3) uint8 BGR
    masks: np.ndarray  # (n, CROP, CROP) uint8 garment probability
    real: np.ndarray  # (n,) bool
    holdout: np.ndarray  # (n,) bool
    ids: list[str]
    stats: dict


def cut_garments(cache_dir: str | Path) -> Garments:
    """Every confident, non-empty garment of the teacher's cache, cut out with a margin."""
    from tryon_desktop.train import garment_data as GD

    cache = GD.load_cache(cache_dir, with_person=False)
    imgs, masks, real, hold, ids = [], [], [], [], []
    for it, h in zip(cache.items, cache.holdout, strict=True):
        if it.garment_box is None or it.weight <= 0:
            continue
        x0, y0, x1, y1 = it.garment_box
        if (x1 - x0) < 24 or (y1 - y0) < 24:
            continue
        mx, my = 0.08 * (x1 - x0), 0.08 * (y1 - y0)
        H, W = it.mask.shape
        xa, ya, xb, yb = max(0, int(x0 - mx)), max(0, int(y0 - my)), min(W, int(x1 + mx)), min(H, int(y1 + my))
        imgs.append(cv2.resize(it.image[ya:yb, xa:xb], (CROP, CROP), interpolation=cv2.INTER_AREA))
        masks.append(cv2.resize(it.mask[ya:yb, xa:xb], (CROP, CROP), interpolation=cv2.INTER_LINEAR))
        real.append(it.real)
        hold.append(bool(h))
        ids.append(it.id)
    if not imgs:
        raise InputError(f"garment cache {cache_dir} holds no usable garment")
    stats = {"cache": str(cache_dir), "garments": len(imgs), "real": int(sum(real)), "held_out": int(sum(hold)),
             "groups": {}}
    for it in cache.items:
        if it.id in set(ids):
            stats["groups"][it.group] = stats["groups"].get(it.group, 0) + 1
    return Garments(np.stack(imgs), np.stack(masks), np.array(real), np.array(hold), ids, stats)


def app_alpha(mask_u8: np.ndarray) -> np.ndarray:
    """The blend alpha the app makes from a garment probability (effects/outfit.py: EDGE_GAIN 3)."""
    return np.clip((mask_u8.astype(np.float32) / 255.0 - 0.5) * 3.0 + 0.5, 0.0, 1.0)


def random_colour(rng: np.random.Generator) -> np.ndarray:
    """Linear BGR of a random garment colour: lightness, chroma and hue spread like a clothes rail
    (neutrals, darks and pastels as often as brights)."""
    from tryon_desktop.core.colour import lab_to_srgb, srgb_to_linear

    L = rng.uniform(8.0, 96.0)
    c = rng.choice([rng.uniform(0, 8), rng.uniform(8, 40), rng.uniform(30, 80)])
    h = rng.uniform(0, 2 * math.pi)
    rgb = np.clip(lab_to_srgb(np.array([L, c * math.cos(h), c * math.sin(h)])), 0.0, 1.0)
    return srgb_to_linear(rgb)[::-1].astype(np.float32)


def room_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Exposure and white balance, in linear light."""
    from tryon_desktop.render.outfit import decode, encode

    gain = np.exp(rng.normal(0.0, 0.25)) * np.exp(rng.normal(0.0, 0.06, 3))
    return encode(decode(img) * gain.astype(np.float32))


def window(g: Garments, i: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random 224-288 px window of garment i (mirrored half the time) -> BOX x BOX image, alpha."""
    s = int(rng.integers(224, CROP + 1))
    x, y = int(rng.integers(0, CROP - s + 1)), int(rng.integers(0, CROP - s + 1))
    img = cv2.resize(g.images[i, y:y + s, x:x + s], (BOX, BOX), interpolation=cv2.INTER_AREA)
    m = cv2.resize(g.masks[i, y:y + s, x:x + s], (BOX, BOX), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        img, m = img[:, ::-1], m[:, ::-1]
    return np.ascontiguousarray(img), app_alpha(np.ascontiguousarray(m))


def blend(a: np.ndarray, b: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """a where alpha is 1, b where 0 (uint8)."""
    w = alpha[..., None]
    return np.clip(a.astype(np.float32) * w + b.astype(np.float32) * (1 - w) + 0.5, 0, 255).astype(np.uint8)


def _rgb01(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., ::-1].transpose(2, 0, 1)).astype(np.float32) / 255.0


def colour_code(rgb_lin: np.ndarray) -> np.ndarray:
    """The discriminator's colour condition: sRGB in [-1, 1]."""
    from tryon_desktop.core.colour import linear_to_srgb

    return (linear_to_srgb(np.clip(rgb_lin, 0, 1)) * 2.0 - 1.0).astype(np.float32)


def make_pair(orig: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, target: np.ndarray | None) -> dict | None:
    """One training pair from a BOX x BOX garment: inputs as the app makes them, plus the target photo."""
    x = prepare_inputs(orig, alpha, albedo)
    if x is None:
        return None
    return {"image": x.image[0], "cond": x.cond, "orig": _rgb01(x.orig_s), "ref": _rgb01(x.ref_s),
            "alpha": x.alpha_s[None].astype(np.float32), "ymed": np.float32(x.ymed),
            "target": _rgb01(shrink(target)) if target is not None else _rgb01(x.ref_s),
            "reverse": np.float32(target is not None), "d_colour": colour_code(albedo_mean_rgb(albedo))}


def random_albedo(rng: np.random.Generator, pattern_fraction: float) -> np.ndarray:
    colour = random_colour(rng)
    if rng.random() >= pattern_fraction:
        return colour
    name = str(rng.choice(PROCEDURAL))
    from tryon_desktop.core.colour import linear_to_srgb

    tint = tuple(int(v) for v in np.round(linear_to_srgb(colour[::-1]) * 255))
    return procedural(name, BOX, BOX, float(rng.uniform(0.06, 0.35)) * BOX, float(rng.uniform(-30, 30)), tint)


def forward_pair(g: Garments, i: int, rng: np.random.Generator, cfg: OutfitTrainConfig) -> dict | None:
    img, alpha = window(g, i, rng)
    if rng.random() < 0.7:
        img = room_light(img, rng)
    return make_pair(img, alpha, random_albedo(rng, cfg.pattern_fraction), None)


def reverse_pair(g: Garments, i: int, rng: np.random.Generator) -> dict | None:
    img, alpha = window(g, i, rng)
    real = garment_colour(img, alpha)
    if real is None:
        return None
    fake = blend(render_garment(img, alpha, random_colour(rng)), img, alpha)
    return make_pair(fake, alpha, real[::-1].copy(), img)


def real_sample(g: Garments, i: int, rng: np.random.Generator) -> dict | None:
    img, alpha = window(g, i, rng)
    s, a = shrink(img), shrink(alpha)
    colour = garment_colour(s, a)
    if colour is None:
        return None
    return {"real": _rgb01(s), "real_alpha": a[None].astype(np.float32), "real_colour": colour_code(colour)}


def batches(g: Garments, cfg: OutfitTrainConfig, start: int):
    """Endless seeded batches (numpy dicts)."""
    rng = np.random.default_rng([cfg.seed, start])
    train = np.flatnonzero(~g.holdout)
    if len(train) == 0:
        train = np.arange(len(g.ids))
    real_w = np.where(g.real[train], 3.0, 1.0)
    real_w = real_w / real_w.sum()
    n_rev = int(round(cfg.batch * cfg.reverse_fraction))
    while True:
        pairs, reals, tries = [], [], 0
        while (len(pairs) < cfg.batch or len(reals) < cfg.batch) and tries < cfg.batch * 30:
            tries += 1
            if len(pairs) < cfg.batch:
                i = int(rng.choice(train))
                p = reverse_pair(g, i, rng) if len(pairs) < n_rev else forward_pair(g, i, rng, cfg)
                if p is not None:
                    pairs.append(p)
            if len(reals) < cfg.batch:
                r = real_sample(g, int(rng.choice(train, p=real_w)), rng)
                if r is not None:
                    reals.append(r)
        if len(pairs) < cfg.batch or len(reals) < cfg.batch:
            raise InputError("could not make a batch: the garment cache's masks are too small or empty")
        out = {k: torch.from_numpy(np.stack([p[k] for p in pairs])) for k in pairs[0]}
        out.update({k: torch.from_numpy(np.stack([r[k] for r in reals])) for k in reals[0]})
        yield out


# ---------------------------------------------------------------- losses (torch)


def _wmean(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (x * w).sum((2, 3)) / (w.sum((2, 3)) + 1e-4)


def highpass(lin: torch.Tensor) -> torch.Tensor:
    ly = torch.log(N.luminance(lin.clamp(min=0.0)) + 0.01)  # an affine transform can go below 0 (the app clips)
    return ly - F.avg_pool2d(ly, 9, 1, 4, count_include_pad=False)


def masked_corr(a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    am, bm = _wmean(a, w).view(-1, 1, 1, 1), _wmean(b, w).view(-1, 1, 1, 1)
    cov = _wmean((a - am) * (b - bm), w)
    return cov / torch.sqrt(_wmean((a - am) ** 2, w) * _wmean((b - bm) ** 2, w) + 1e-8)


def g_outputs(G, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    coef = G(batch["image"], batch["cond"])
    base = N.basis(batch["orig"], batch["ref"], batch["ymed"])
    out_lin = N.apply_coef(coef, base)
    return coef, out_lin, base


def g_losses(G, D, batch: dict, cfg: OutfitTrainConfig, adv: bool) -> dict:
    coef, out_lin, base = g_outputs(G, batch)
    out01 = N.encode(out_lin)
    core = (batch["alpha"] > 0.5).float()
    rev = batch["reverse"].view(-1, 1, 1, 1)
    # reverse pairs: back to the real photo
    rec = ((out01 - batch["target"]).abs() * core * rev).sum() / ((core * rev).sum() * 3 + 1e-4)
    # colour at mid-lightness (shading near 1), against the reference rendering's (= the swatch's there)
    mid = core * torch.exp(-torch.log(base[:, 3:4].clamp(min=1e-3)) ** 2 / (2 * 0.2 ** 2))
    ref_lin = N.decode(batch["ref"])
    colour = (N.lab(_wmean(out_lin, mid)) - N.lab(_wmean(ref_lin, mid))).abs().sum(1).mean() / 10.0
    shading = (1.0 - masked_corr(highpass(out_lin), highpass(ref_lin), core)).mean()
    reg = (coef - G.identity).abs().mean()
    loss = cfg.w_rec * rec + cfg.w_colour * colour + cfg.w_shading * shading + cfg.w_reg * reg
    out = {"rec": rec, "colour": colour, "shading": shading, "reg": reg}
    if adv:
        fwd = 1.0 - batch["reverse"]
        logits = D(out01 * 2 - 1, batch["alpha"], batch["d_colour"])
        g_adv = (F.softplus(-logits).mean((1, 2, 3)) * fwd).sum() / (fwd.sum() + 1e-4)
        loss = loss + cfg.w_adv * g_adv
        out["g_adv"] = g_adv
    out["loss"] = loss
    return out


def d_loss(G, D, batch: dict) -> torch.Tensor:
    with torch.no_grad():
        _, out_lin, _ = g_outputs(G, batch)
    fwd = 1.0 - batch["reverse"]
    fake = D(N.encode(out_lin) * 2 - 1, batch["alpha"], batch["d_colour"])
    real = D(batch["real"] * 2 - 1, batch["real_alpha"], batch["real_colour"])
    lf = (F.softplus(fake).mean((1, 2, 3)) * fwd).sum() / (fwd.sum() + 1e-4)
    return F.softplus(-real).mean() + lf


# ---------------------------------------------------------------- held-out checks and samples


def held_out_pairs(g: Garments, n: int = 24, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(g.holdout)
    if len(idx) == 0:
        idx = np.arange(min(len(g.ids), n))
    pairs = []
    for i in idx[:n]:
        p = reverse_pair(g, int(i), rng)
        if p is not None:
            pairs.append(p)
    return pairs


@torch.no_grad()
def held_out_scores(G, pairs: list[dict]) -> dict:
    """Reverse pairs on held-out garments: mean absolute error (8-bit levels) to the real photo inside the
    garment, the generator against the reference renderer it starts from."""
    if not pairs:
        return {}
    b = {k: torch.from_numpy(np.stack([p[k] for p in pairs])) for k in pairs[0]}
    _, out_lin, _ = g_outputs(G, b)
    core = (b["alpha"] > 0.5).float()

    def mae(x):
        return float(((x - b["target"]).abs() * core).sum() / (core.sum() * 3 + 1e-4) * 255.0)

    return {"n": len(pairs), "real_photo_mae_gan": round(mae(N.encode(out_lin)), 3),
            "real_photo_mae_reference": round(mae(b["ref"]), 3)}


@torch.no_grad()
def sample_sheet(G, g: Garments, seed: int = 3) -> np.ndarray:
    """Rows: held-out garments; columns: original, then (reference, GAN) for three swatches."""
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(g.holdout)[:6] if g.holdout.any() else np.arange(min(6, len(g.ids)))
    swatches = [np.array(c, np.float32) for c in ((0.20, 0.03, 0.02), (0.80, 0.80, 0.78), (0.05, 0.01, 0.45))]
    rows = []
    for i in idx:
        img, alpha = window(g, int(i), rng)
        cells = [shrink(img)]
        for alb in swatches:
            p = make_pair(img, alpha, alb, None)
            if p is None:
                cells += [shrink(img)] * 2
                continue
            b = {k: torch.from_numpy(np.asarray(p[k])[None]) for k in p}
            _, out_lin, _ = g_outputs(G, b)
            a = shrink(alpha)[..., None]
            gan = (N.encode(out_lin)[0].numpy().transpose(1, 2, 0)[..., ::-1] * 255.0)
            ref = p["ref"].transpose(1, 2, 0)[..., ::-1] * 255.0
            base = cells[0].astype(np.float32)
            cells += [np.clip(ref * a + base * (1 - a), 0, 255).astype(np.uint8),
                      np.clip(gan * a + base * (1 - a), 0, 255).astype(np.uint8)]
        rows.append(np.concatenate(cells, 1))
    return np.concatenate(rows, 0) if rows else np.zeros((IN, IN, 3), np.uint8)


# ---------------------------------------------------------------- the loop


def train(cfg: OutfitTrainConfig, run_dir: str | Path, progress: bool = True, resume: bool = True) -> dict:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device_name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    logf = open(run_dir / "log.txt", "a", encoding="utf-8")  # noqa: SIM115 (closed at the end)

    def say(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        logf.write(line + "\n")
        logf.flush()
        if progress:
            print(line, flush=True)

    G, D = N.Generator(cfg.width).to(device), N.Discriminator(cfg.d_width).to(device)
    ema = copy.deepcopy(G).eval()
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(0.5, 0.99))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.d_lr, betas=(0.5, 0.99))
    step, history, elapsed0 = 0, [], 0.0
    ckpt_path = run_dir / CKPT
    if resume and ckpt_path.exists():
        ck = load_checkpoint(ckpt_path)
        if "G" not in ck or "config" not in ck:
            raise InputError(f"{ckpt_path} is not an outfit checkpoint: use a new --out folder or --fresh")
        old = OutfitTrainConfig.from_dict(ck["config"])
        if old.arch() != cfg.arch():
            raise InputError(f"checkpoint {ckpt_path} has another architecture ({old.arch()}, now {cfg.arch()}): "
                             "use a new --out folder or --fresh")
        G.load_state_dict(ck["G"])
        D.load_state_dict(ck["D"])
        ema.load_state_dict(ck["G_ema"])
        opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        step, history, elapsed0 = int(ck["step"]), list(ck.get("history", [])), float(ck.get("elapsed_s", 0.0))
        say(f"resumed from step {step} ({elapsed0 / 60:.1f} min)")
    cfg.save(run_dir / "config.json")
    g = cut_garments(cfg.data)
    atomic_write_text(run_dir / "data.json", json.dumps(g.stats, indent=2))
    held = held_out_pairs(g)
    say(f"{g.stats['garments']} garments ({g.stats['real']} real, {g.stats['held_out']} held out); "
        f"G {N.count_params(G)} params, D {N.count_params(D)}; device {device_name}")
    stream = batches(g, cfg, step)
    t0 = time.time()

    def elapsed() -> float:
        return elapsed0 + time.time() - t0

    def save() -> None:
        atomic_torch_save({"config": cfg.to_dict(), "step": step, "G": G.state_dict(), "D": D.state_dict(),
                           "G_ema": ema.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                           "history": history, "elapsed_s": elapsed(), "data": g.stats, "device": device.type,
                           "device_name": device_name}, ckpt_path)

    def snapshot() -> None:
        (run_dir / "samples").mkdir(exist_ok=True)
        ev = ema if device.type == "cpu" else copy.deepcopy(ema).cpu()
        atomic_image_write(run_dir / "samples" / f"step_{step:06d}.jpg", sample_sheet(ev, g), [1, 90])

    last_ckpt, last_print, stopped = time.time(), 0.0, "done"
    avg: dict[str, float] = {}
    while step < cfg.steps:
        batch = {k: v.to(device) for k, v in next(stream).items()}
        done = max(step / max(1, cfg.steps), elapsed() / 60.0 / cfg.max_minutes)
        decay = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, done)))
        for o, lr in ((opt_g, cfg.lr), (opt_d, cfg.d_lr)):
            for pg in o.param_groups:
                pg["lr"] = lr * decay * min(1.0, (step + 1) / 100)
        adv = step >= cfg.adv_start
        if adv:
            ld = d_loss(G, D, batch)
            opt_d.zero_grad(set_to_none=True)
            ld.backward()
            opt_d.step()
        out = g_losses(G, D, batch, cfg, adv)
        opt_g.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(G.parameters(), 5.0)
        opt_g.step()
        _ema_update(ema, G, cfg.ema if step > 200 else 0.0)
        step += 1
        logs = {k: float(v.detach()) for k, v in out.items()}
        if adv:
            logs["d"] = float(ld.detach())
        if not all(math.isfinite(v) for v in logs.values()):
            raise RuntimeError(f"training diverged at step {step}: {logs}")
        for k, v in logs.items():
            avg[k] = v if k not in avg else 0.95 * avg[k] + 0.05 * v
        if step % 10 == 0 or cfg.steps < 50:
            history.append({"step": step, **{k: round(v, 5) for k, v in logs.items()}})
        if time.time() - last_print > 30 or step == cfg.steps:
            last_print = time.time()
            rate = step / max(1e-6, elapsed()) * 60.0
            say(f"step {step} " + " ".join(f"{k} {v:.4f}" for k, v in avg.items())
                + f" | {elapsed() / 60:.1f}/{cfg.max_minutes:.0f} min ({rate:.0f} steps/min)")
        if step % cfg.sample_every == 0:
            snapshot()
            say(f"held-out reverse pairs: {held_out_scores(ema if device.type == 'cpu' else copy.deepcopy(ema).cpu(), held)}")
        if time.time() - last_ckpt > cfg.checkpoint_every_s:
            save()
            last_ckpt = time.time()
        if elapsed() / 60.0 > cfg.max_minutes:
            stopped = "time limit"
            break
    save()
    snapshot()
    scores = held_out_scores(ema if device.type == "cpu" else copy.deepcopy(ema).cpu(), held)
    summary = {"steps": step, "stopped": stopped, "minutes": round(elapsed() / 60.0, 2), "device": device.type,
               "device_name": device_name, "held_out": scores, "last": history[-1] if history else {}}
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=2))
    say(f"finished: {json.dumps(summary)}")
    logf.close()
    return summary


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tryon-train outfit", description="Train the outfit generator (GAN).")
    p.add_argument("--data", required=True, help="the garment teacher's cache folder (images/, masks/, index.json)")
    p.add_argument("--out", required=True, help="run folder: config, checkpoints, samples, log")
    p.add_argument("--smoke", action="store_true", help="a few tiny steps, for tests")
    p.add_argument("--minutes", type=float, help="stop (and checkpoint) after this much training time")
    p.add_argument("--steps", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--adv-weight", type=float, help="weight of the discriminator's term in G's loss (default 0.1)")
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    def work() -> dict:
        if not (Path(args.data) / "index.json").exists():
            raise InputError(f"{args.data} is not a garment cache (no index.json): build one with "
                             "tools/build_garment_cache.py")
        cfg = OutfitTrainConfig(data=str(args.data))
        if args.smoke:
            cfg.steps, cfg.batch, cfg.adv_start, cfg.sample_every, cfg.checkpoint_every_s = 4, 2, 2, 2, 1e9
        for key, val in (("steps", args.steps), ("batch", args.batch), ("seed", args.seed),
                         ("threads", args.threads), ("max_minutes", args.minutes), ("w_adv", args.adv_weight)):
            if val is not None:
                setattr(cfg, key, val)
        return train(cfg, args.out, progress=not args.no_progress, resume=not args.fresh)

    return run_command("tryon-train outfit", work)


if __name__ == "__main__":
    raise SystemExit(main())
