"""The training loop: one function, `train(cfg, run_dir)`, resumable and seeded.

Each batch mixes two kinds of pairs:
* forward: a face (webcam-augmented) + a random shade -> the reference renderer's made-up lips;
* reverse: a real face whose lips the renderer recoloured to a random shade + "the real lips' own colour"
  -> the real photo. Here the target is a real photograph, not a rendering.
The discriminator's real side is real photos of lips wearing lipstick (faces whose lipstick score passes
`real_min_score`); its fake side is G's forward outputs. Both sides are conditioned on the lips' measured
colour, so D judges "is this what lips of this colour look like in a photo".
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch

from tryon_desktop.core.looks import Finish, Shade
from tryon_desktop.errors import InputError
from tryon_desktop.train import data as D
from tryon_desktop.train import losses as L
from tryon_desktop.train.config import TrainConfig
from tryon_desktop.train.io import atomic_image_write, atomic_torch_save, atomic_write_text, load_checkpoint
from tryon_desktop.train.nets import Discriminator, Generator, apply_coef, upsample_coef
from tryon_desktop.vision.lip_generator import SPARKLE_ORIGIN, condition_vector, network_input

log = logging.getLogger(__name__)
CKPT = "checkpoint.pt"


# ---------------------------------------------------------------- batches (numpy)


def _chw(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def _srgb01(bgr: np.ndarray) -> np.ndarray:
    return _chw(bgr[..., ::-1].astype(np.float32) / 255.0)


def _colour_code(shade: Shade) -> np.ndarray:
    return np.asarray(shade.rgb, np.float32) / 127.5 - 1.0


def make_pair(cache: D.FaceCache, idx: int, rng: np.random.Generator, aug: float, reverse: bool) -> dict | None:
    s = D.canonical_sample(cache, idx, rng, aug)
    # The basis's sparkle channel at the patch's own coordinates, where the target's particles are
    # (render.lipstick.finish_glow, box coordinates): a random offset here, as once for a pattern tied to the
    # frame, put the network's sparkle channel beside the target's glints, never on them.
    rng.integers(256), rng.integers(256)  # the offset once drawn here: still drawn, so a seed gives the same samples
    origin = SPARKLE_ORIGIN
    if reverse:
        real = D.real_lips_shade(s)
        if real is None:
            return None
        fake_shade = D.random_shade(rng).with_(opacity=1.0, finish=Finish.MATTE if rng.random() < 0.5 else Finish.SATIN)
        recoloured = D.render_target(s, fake_shade, origin)
        if recoloured is None:
            return None
        inp = D.PatchSample(recoloured, s.mask, s.landmarks, s.mouth_w, s.index)
        target, shade = s.patch, real
    else:
        shade = D.random_shade(rng)
        target = D.render_target(s, shade, origin)
        if target is None:
            return None
        inp = s
    feats = D.features(inp, origin)
    if feats is None:
        return None
    basis, y_med, chroma = feats
    region = D.lip_region_of(s).astype(np.float32)
    # D's condition: the colour of the lips it is shown (measured, like on the real side).
    seen = D.real_lips_shade(D.PatchSample(target, s.mask, s.landmarks, s.mouth_w, s.index))
    return {
        "image": network_input(inp.patch, inp.mask)[0],
        "cond": condition_vector(shade, y_med, chroma),
        "basis": _chw(basis),
        "mask": s.mask[None],
        "region": region[None],
        "input": _srgb01(inp.patch),
        "target": _srgb01(target),
        "reverse": np.float32(reverse),
        "d_colour": _colour_code(seen) if seen is not None else _colour_code(shade),
    }


def make_real(cache: D.FaceCache, idx: int, rng: np.random.Generator, aug: float) -> dict | None:
    s = D.canonical_sample(cache, idx, rng, aug)
    shade = D.real_lips_shade(s)
    if shade is None:
        return None
    return {"real": _srgb01(s.patch), "real_mask": s.mask[None], "real_colour": _colour_code(shade)}


class BatchStream(torch.utils.data.IterableDataset):
    """Endless batches; each worker has its own seeded generator (seed, start step, worker id)."""

    def __init__(self, cache: D.FaceCache, cfg: TrainConfig, start_step: int) -> None:
        self.cache, self.cfg, self.start = cache, cfg, start_step
        train = np.flatnonzero(~cache.holdout)
        if len(train) == 0:  # tiny data sets (smoke runs): use everything
            train = np.arange(len(cache))
        self.train = train
        real = train[cache.score[train] >= cfg.real_min_score]
        self.real = real if len(real) else train

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info is not None else 0
        rng = np.random.default_rng([self.cfg.seed, self.start, wid])
        cfg = self.cfg
        n_rev = int(round(cfg.batch * cfg.reverse_fraction))
        while True:
            items, reals = [], []
            tries = 0
            while len(items) < cfg.batch and tries < cfg.batch * 20:
                tries += 1
                reverse = len(items) < n_rev
                # reverse pairs favour made-up faces: the real photo is the target
                pool = self.real if (reverse and rng.random() < 0.5) else self.train
                item = make_pair(self.cache, int(rng.choice(pool)), rng, cfg.aug, reverse)
                if item is not None:
                    items.append(item)
            while len(reals) < cfg.batch and tries < cfg.batch * 40:
                tries += 1
                r = make_real(self.cache, int(rng.choice(self.real)), rng, cfg.aug)
                if r is not None:
                    reals.append(r)
            if not items or not reals:
                raise InputError("could not make any training pair: the faces' lips are too small or hidden")
            batch = {k: torch.from_numpy(np.stack([it[k] for it in items])) for k in items[0]}
            batch.update({k: torch.from_numpy(np.stack([r[k] for r in reals])) for k in reals[0]})
            yield batch


# ---------------------------------------------------------------- one step (torch)


def generate(G, batch):
    coef = G(batch["image"], batch["cond"])
    lin = apply_coef(upsample_coef(coef), batch["basis"])
    srgb = L.to_srgb(lin)
    m = batch["mask"]
    comp = batch["input"] * (1.0 - m) + srgb * m
    return comp, lin


def d_input(srgb01):
    return srgb01 * 2.0 - 1.0


def train_step(G, Dn, optG, optD, batch, cfg: TrainConfig, step: int) -> dict:
    comp, lin = generate(G, batch)
    use_adv = cfg.w_adv > 0 and step >= cfg.adv_start
    fwd = 1.0 - batch["reverse"]
    logs = {}
    if use_adv:
        optD.zero_grad(set_to_none=True)
        real_logits = Dn(d_input(batch["real"]), batch["real_mask"], batch["real_colour"])
        fake_logits = Dn(d_input(comp.detach()), batch["mask"], batch["d_colour"])
        # only forward pairs are "fake lipstick"; reverse pairs are real lips given back
        fake_mask = batch["mask"] * fwd.view(-1, 1, 1, 1)
        loss_d = L.d_hinge(real_logits, batch["real_mask"], fake_logits, fake_mask)
        loss_d.backward()
        optD.step()
        logs["d"] = float(loss_d.detach())
    optG.zero_grad(set_to_none=True)
    target = batch["target"]
    # real photos as targets weigh double: they are what we want G to look like
    w = 1.0 + batch["reverse"]
    rec = L.reconstruction(comp, target, batch["region"], w)
    col = L.colour(lin, L.to_linear(target), batch["mask"])
    sha = L.shading(comp, target, batch["region"])
    hil = L.highlights(comp, target, batch["region"])
    loss = cfg.w_rec * rec + cfg.w_colour * col + cfg.w_shading * sha + cfg.w_highlight * hil
    if use_adv:
        ramp = min(1.0, (step - cfg.adv_start) / 500.0)
        fake_logits = Dn(d_input(comp), batch["mask"], batch["d_colour"])
        adv = L.g_hinge(fake_logits, batch["mask"] * fwd.view(-1, 1, 1, 1))
        loss = loss + ramp * cfg.w_adv * adv
        logs["adv"] = float(adv.detach())
    loss.backward()
    torch.nn.utils.clip_grad_norm_(G.parameters(), 5.0)
    optG.step()
    logs.update(rec=rec.item(), colour=col.item(), shading=sha.item(), highlight=hil.item(), g=loss.item())
    return logs


# ---------------------------------------------------------------- artefacts


def sample_grid(G, cache: D.FaceCache, n_faces: int = 6, seed: int = 7) -> np.ndarray:
    """Rows: faces. Columns: input, then per finish: G | renderer. Fixed faces and shades."""
    from tryon_desktop.core.looks import FINISHES, default_catalogue

    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(cache.holdout)
    if len(pool) < n_faces:
        pool = np.arange(len(cache))
    faces = rng.choice(pool, size=min(n_faces, len(pool)), replace=False)
    cat = default_catalogue()
    shades = [cat[(3 + 7 * k) % len(cat)].with_(finish=f) for k, f in enumerate(FINISHES)]
    rows = []
    G.eval()
    with torch.no_grad():
        for i in faces:
            s = D.canonical_sample(cache, int(i), None, 0.0)
            cells = [s.patch]
            for sh in shades:
                feats = D.features(s)
                tgt = D.render_target(s, sh)
                if feats is None or tgt is None:
                    cells += [s.patch, s.patch]
                    continue
                basis, y_med, chroma = feats
                batch = {"image": torch.from_numpy(network_input(s.patch, s.mask)),
                         "cond": torch.from_numpy(condition_vector(sh, y_med, chroma)[None]),
                         "basis": torch.from_numpy(_chw(basis)[None]), "mask": torch.from_numpy(s.mask[None, None]),
                         "input": torch.from_numpy(_srgb01(s.patch)[None])}
                comp, _ = generate(G, batch)
                g = (comp[0].permute(1, 2, 0).numpy()[..., ::-1] * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
                cells += [g, tgt]
            rows.append(np.hstack(cells))
    G.train()
    return np.vstack(rows)


def plot_losses(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not history:
        return
    keys = sorted({k for h in history for k in h if k != "step"})
    fig, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 2.8))
    axes = np.atleast_1d(axes)
    for ax, k in zip(axes, keys, strict=True):
        pts = [(h["step"], h[k]) for h in history if k in h]
        xs, ys = zip(*pts, strict=True)
        ax.plot(xs, ys, lw=0.6, alpha=0.5)
        if len(ys) > 20:
            kern = np.ones(15) / 15.0
            ax.plot(xs[7:-7], np.convolve(ys, kern, mode="valid"), lw=1.2)
        ax.set_title(k)
        ax.set_xlabel("step")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    tmp.replace(path)


# ---------------------------------------------------------------- the loop


def prepare_cache(cfg: TrainConfig, run_dir: Path, cache_path: Path | None = None, progress: bool = True):
    path = cache_path or (run_dir / "faces.npz")
    if path.exists():
        cache = D.load_cache(path)
        if sorted(cache.stats.get("folders", [])) != sorted(str(Path(f)) for f in cfg.data):
            raise InputError(f"face cache {path} was built from {cache.stats.get('folders')}, not {cfg.data}: "
                             "delete it or pass another --cache")
        return cache
    return D.build_cache(cfg.data, path, progress=progress)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform

    return platform.processor() or platform.machine()


def _ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters(), strict=True):
            pe.lerp_(pm, 1.0 - decay)


def train(cfg: TrainConfig, run_dir: str | Path, cache_path: str | Path | None = None, progress: bool = True,
          resume: bool = True) -> dict:
    import copy

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    device_name = _device_name(device)
    G, Dn = Generator(cfg.g_width).to(device), Discriminator(cfg.d_width).to(device)
    G_ema = copy.deepcopy(G).eval()
    optG = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    optD = torch.optim.Adam(Dn.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    step, history, elapsed0 = 0, [], 0.0
    ckpt_path = run_dir / CKPT
    if resume and ckpt_path.exists():
        ck = load_checkpoint(ckpt_path)
        old = TrainConfig.from_dict(ck.get("config", {}))
        if old.arch() != cfg.arch() or sorted(old.data) != sorted(cfg.data):
            raise InputError(f"checkpoint {ckpt_path} is from another config ({old.arch()} on {old.data}, "
                             f"now {cfg.arch()} on {cfg.data}): use a new --out folder")
        G.load_state_dict(ck["G"])
        G_ema.load_state_dict(ck["G_ema"])
        Dn.load_state_dict(ck["D"])
        optG.load_state_dict(ck["optG"])
        optD.load_state_dict(ck["optD"])
        step, history, elapsed0 = int(ck["step"]), list(ck.get("history", [])), float(ck.get("elapsed_s", 0.0))
        log.info("resumed from step %d", step)
    cfg.save(run_dir / "config.json")
    cache = prepare_cache(cfg, run_dir, Path(cache_path) if cache_path else None, progress)
    stats = dict(cache.stats)
    stats["cache"] = str(Path(cache_path) if cache_path else run_dir / "faces.npz")
    stats["train_faces"] = int((~cache.holdout).sum()) or len(cache)
    stats["real_lipstick_faces"] = int(((~cache.holdout) & (cache.score >= cfg.real_min_score)).sum())
    atomic_write_text(run_dir / "data.json", json.dumps(stats, indent=2))

    stream = BatchStream(cache, cfg, step)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=cfg.workers,
                                         persistent_workers=cfg.workers > 0)

    def save():
        atomic_torch_save({"config": cfg.to_dict(), "step": step, "G": G.state_dict(), "G_ema": G_ema.state_dict(),
                           "D": Dn.state_dict(), "optG": optG.state_dict(), "optD": optD.state_dict(),
                           "history": history, "elapsed_s": elapsed0 + time.time() - t0, "data": stats,
                           "device": device.type, "device_name": device_name}, ckpt_path)

    def snapshot():
        (run_dir / "samples").mkdir(exist_ok=True)
        grid = sample_grid(G_ema.cpu() if device.type != "cpu" else G_ema, cache)
        G_ema.to(device)
        atomic_image_write(run_dir / "samples" / f"step_{step:06d}.jpg", grid, [1, 88])
        plot_losses(history, run_dir / "losses.png")

    t0 = time.time()
    last_ckpt = t0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.steps, initial=step, desc="training", unit="step")
    decay = 0.999 if cfg.steps > 2000 else 0.9
    it = iter(loader)
    stopped = "done"
    while step < cfg.steps:
        batch = {k: v.to(device) for k, v in next(it).items()}
        logs = train_step(G, Dn, optG, optD, batch, cfg, step)
        # cosine decay of the generator's learning rate over the run (steps or time, whichever ends first)
        done = max(step / max(1, cfg.steps), (elapsed0 + time.time() - t0) / 60.0 / cfg.max_minutes)
        for gparam in optG.param_groups:
            gparam["lr"] = cfg.lr_g * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, done))))
        _ema_update(G_ema, G, decay if step > 200 else 0.0)
        step += 1
        if not all(math.isfinite(v) for v in logs.values()):
            raise RuntimeError(f"training diverged at step {step}: {logs}")
        if step % 5 == 0 or cfg.steps < 50:
            history.append({"step": step, **{k: round(v, 5) for k, v in logs.items()}})
        if bar:
            bar.update(1)
            bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if k in ("rec", "colour", "adv", "d")})
        if step % cfg.sample_every == 0:
            snapshot()
        if time.time() - last_ckpt > cfg.checkpoint_every_s:
            save()
            last_ckpt = time.time()
        if (elapsed0 + time.time() - t0) / 60.0 > cfg.max_minutes:
            stopped = "time limit"
            break
    if bar:
        bar.close()
    save()
    snapshot()
    summary = {"steps": step, "stopped": stopped, "minutes": round((elapsed0 + time.time() - t0) / 60.0, 2),
               "device": device.type, "device_name": device_name, "last": history[-1] if history else {}}
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=2))
    return summary
