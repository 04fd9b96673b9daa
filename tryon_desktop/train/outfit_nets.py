"""The outfit generator and its discriminator (torch). What they compute: see vision/outfit_generator.py.

Generator G(image, cond) -> coef: a small conditional encoder on the IN x IN garment box (original,
reference rendering, mask) down to the GRID x GRID coefficient grid, FiLM-conditioned at every stage, plus a
global transform from the condition and mask-pooled features. Zero-initialised heads: an untrained G
returns the identity transform, i.e. exactly the reference renderer, and training only learns corrections.

Discriminator D(rgb, mask, colour): the lipstick GAN's conditional PatchGAN (train/nets.py), seeing the
garment (pixels outside the mask zeroed), the mask and the garment's colour as a constant map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tryon_desktop.core.colour import LUMA, _RGB2XYZ, _WHITE_D65
from tryon_desktop.train.nets import Discriminator, FiLM  # noqa: F401  (the lipstick GAN's, shared)
from tryon_desktop.vision.outfit_generator import COND_DIM, GRID, IN, N_BASIS, N_COEF, SHADE_MAX


def identity_coef() -> torch.Tensor:
    eye = torch.zeros(3, N_BASIS)
    for c in range(3):
        eye[c, c] = 1.0
    return eye.reshape(N_COEF)


def conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1)


class Generator(nn.Module):
    def __init__(self, width: int = 24, cond_dim: int = COND_DIM) -> None:
        super().__init__()
        w = width
        cd = 64
        self.cond = nn.Sequential(nn.Linear(cond_dim, cd), nn.LeakyReLU(0.2), nn.Linear(cd, cd), nn.LeakyReLU(0.2))
        self.e1 = conv(7, w, 2)  # 64
        self.e2 = conv(w, 2 * w, 2)  # 32
        self.f2 = FiLM(cd, 2 * w)
        self.e3 = conv(2 * w, 2 * w, 2)  # 16 = GRID
        self.f3 = FiLM(cd, 2 * w)
        self.m1 = conv(2 * w, 2 * w)
        self.f4 = FiLM(cd, 2 * w)
        self.m2 = conv(2 * w, 2 * w)
        self.head = nn.Conv2d(2 * w, N_COEF, 1)
        self.glob = nn.Sequential(nn.Linear(cd + 2 * w, 96), nn.LeakyReLU(0.2), nn.Linear(96, N_COEF))
        for layer in (self.head, self.glob[-1]):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.register_buffer("identity", identity_coef().view(1, N_COEF, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        c = self.cond(cond)
        act = lambda x: F.leaky_relu(x, 0.2)  # noqa: E731
        x = act(self.e1(image))
        x = act(self.f2(self.e2(x), c))
        x3 = act(self.f3(self.e3(x), c))
        y = act(self.f4(self.m1(x3), c))
        y = act(self.m2(y)) + x3
        m = F.adaptive_avg_pool2d(image[:, 6:7], GRID)
        pooled = (y * m).sum((2, 3)) / (m.sum((2, 3)) + 1e-3)
        g = self.glob(torch.cat([c, pooled], 1))
        return self.identity + self.head(y) + g.unsqueeze(-1).unsqueeze(-1)


# ---------------------------------------------------------------- colour maths (torch mirrors of numpy)

_LUMA_T = torch.tensor(LUMA, dtype=torch.float32)
_M = torch.tensor(_RGB2XYZ, dtype=torch.float32)
_W = torch.tensor(_WHITE_D65, dtype=torch.float32)


def decode(srgb01: torch.Tensor) -> torch.Tensor:
    return torch.where(srgb01 <= 0.04045, srgb01 / 12.92, ((srgb01.clamp(min=0) + 0.055) / 1.055) ** 2.4)


def encode(lin: torch.Tensor) -> torch.Tensor:
    lin = lin.clamp(0.0, 1.0)
    return torch.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin.clamp(min=1e-8) ** (1 / 2.4) - 0.055)


def lab(rgb_lin: torch.Tensor) -> torch.Tensor:
    """(..., 3) linear RGB -> CIELAB (..., 3)."""
    xyz = rgb_lin.clamp(min=0) @ _M.T.to(rgb_lin) / _W.to(rgb_lin)
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    f = torch.where(xyz > eps, xyz.clamp(min=eps) ** (1 / 3), (kappa * xyz + 16.0) / 116.0)
    return torch.stack([116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]), 200.0 * (f[..., 1] - f[..., 2])], -1)


def luminance(rgb_lin: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 1, H, W)."""
    return (rgb_lin * _LUMA_T.to(rgb_lin).view(1, 3, 1, 1)).sum(1, keepdim=True)


def basis(orig01: torch.Tensor, ref01: torch.Tensor, ymed: torch.Tensor) -> torch.Tensor:
    """Torch twin of vision.outfit_generator.basis_maps on (B, 3, IN, IN) sRGB in [0, 1]; ymed (B,)."""
    shade = (luminance(decode(orig01)) / ymed.clamp(min=1e-3).view(-1, 1, 1, 1)).clamp(0.0, SHADE_MAX)
    return torch.cat([decode(ref01), shade, torch.ones_like(shade)], 1)


def apply_coef(coef: torch.Tensor, basis_t: torch.Tensor) -> torch.Tensor:
    """(B, N_COEF, GRID, GRID) on (B, N_BASIS, IN, IN) -> linear RGB (B, 3, IN, IN)."""
    up = F.interpolate(coef, size=(IN, IN), mode="bilinear", align_corners=False)
    b = basis_t.shape[0]
    return (up.view(b, 3, N_BASIS, IN, IN) * basis_t.unsqueeze(1)).sum(2)


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
