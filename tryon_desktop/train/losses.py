"""Losses. Images are (B, C, H, W); sRGB in [0, 1] unless named otherwise.

Adversarial: hinge loss (Lim & Ye 2017; used by SAGAN/BigGAN) with a spectrally normalised D. Hinge
bounds D's incentive once a sample is confidently classified, and spectral norm bounds D's Lipschitz
constant, the two standard ingredients that keep a small conditional GAN from oscillating. Both sides are
averaged only over the lips (logits weighted by the lip mask at D's resolution), since skin and
background are copied from the input and carry no signal.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LUMA = (0.2126729, 0.7151522, 0.0721750)


def to_srgb(lin: torch.Tensor) -> torch.Tensor:
    x = lin.clamp(0.0, 1.0)
    return torch.where(x <= 0.0031308, 12.92 * x, 1.055 * x.clamp_min(0.0031308) ** (1.0 / 2.4) - 0.055)


def to_linear(srgb: torch.Tensor) -> torch.Tensor:
    x = srgb.clamp(0.0, 1.0)
    return torch.where(x <= 0.04045, x / 12.92, ((x.clamp_min(0.04045) + 0.055) / 1.055) ** 2.4)


def luma(x: torch.Tensor) -> torch.Tensor:
    return LUMA[0] * x[:, 0:1] + LUMA[1] * x[:, 1:2] + LUMA[2] * x[:, 2:3]


def weighted_mean(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (x * w).sum() / (w.sum() * x.shape[1] / w.shape[1] + 1e-6)


def reconstruction(out: torch.Tensor, target: torch.Tensor, region: torch.Tensor,
                   per_sample_w: torch.Tensor | None = None) -> torch.Tensor:
    w = region if per_sample_w is None else region * per_sample_w.view(-1, 1, 1, 1)
    return weighted_mean((out - target).abs(), w)


def colour(out_lin: torch.Tensor, target_lin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean lip colour in log-linear RGB (a ratio, so dark and light lips count alike)."""
    core = (mask > 0.5).float()
    n = core.sum((2, 3)) + 1.0
    mo = (out_lin * core).sum((2, 3)) / n
    mt = (target_lin * core).sum((2, 3)) / n
    return (torch.log(mo.clamp_min(0.0) + 1e-3) - torch.log(mt.clamp_min(0.0) + 1e-3)).abs().mean()


def high_pass(y: torch.Tensor) -> torch.Tensor:
    return y - F.avg_pool2d(y, 5, 1, 2, count_include_pad=False)


def shading(out: torch.Tensor, target: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Fine luminance structure (lip lines, highlights, sparkle): high-pass of luma, L1, x4."""
    return 4.0 * weighted_mean((high_pass(luma(out)) - high_pass(luma(target))).abs(), region)


def highlights(out: torch.Tensor, target: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """What tells the finishes apart: luminance above its surroundings (gloss highlights, shimmer
    sparkle; flattened on matte), at two scales, L1, x8. The shading term alone let the finishes blur
    into one another (matte kept the lips' highlights)."""
    def peaks(y: torch.Tensor, k: int) -> torch.Tensor:
        return F.relu(y - F.avg_pool2d(y, k, 1, k // 2, count_include_pad=False))

    yo, yt = luma(out), luma(target)
    return 8.0 * sum(weighted_mean((peaks(yo, k) - peaks(yt, k)).abs(), region) for k in (5, 11)) / 2.0


def d_weights(mask: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    w = F.adaptive_avg_pool2d((mask > 0.05).float(), logits.shape[2:])
    return w + 1e-4


def d_hinge(real_logits, real_mask, fake_logits, fake_mask) -> torch.Tensor:
    wr, wf = d_weights(real_mask, real_logits), d_weights(fake_mask, fake_logits)
    return weighted_mean(F.relu(1.0 - real_logits), wr) + weighted_mean(F.relu(1.0 + fake_logits), wf)


def g_hinge(fake_logits, fake_mask) -> torch.Tensor:
    return -weighted_mean(fake_logits, d_weights(fake_mask, fake_logits))
