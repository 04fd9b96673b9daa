"""Generator and discriminator.

Generator G(image, cond) -> coef: a small conditional encoder-decoder on the IN_W x IN_H lip patch that
predicts a GRID_W x GRID_H grid of per-pixel colour transforms (N_COEF = 3 colours x N_BASIS basis
functions each; see vision/lip_generator.py for how they are applied at the frame's own resolution).
The condition enters twice: FiLM on every decoder stage, and a global coefficient vector from the
condition plus lip-pooled features, so the shade's colour does not depend on a receptive field. The
output starts as the identity transform (zero-initialised heads): an untrained G leaves the lips as they
are, and training only learns the change.

Discriminator D(image, mask, colour): a conditional PatchGAN with spectral norm on every layer, seeing
the canonical patch at full resolution, the lip mask and the lips' (measured) colour as a constant map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tryon_desktop.vision.lip_generator import COND_DIM, GRID, IN_H, IN_W, N_BASIS, N_COEF, PATCH_H, PATCH_W


def _identity_coef() -> torch.Tensor:
    eye = torch.zeros(3, N_BASIS)
    for c in range(3):
        eye[c, c] = 1.0
    return eye.reshape(N_COEF)


class ConvAct(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1, k: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2)

    def forward(self, x):
        return F.leaky_relu(self.conv(x), 0.2)


class FiLM(nn.Module):
    def __init__(self, cdim: int, ch: int) -> None:
        super().__init__()
        self.lin = nn.Linear(cdim, 2 * ch)
        nn.init.zeros_(self.lin.weight)
        nn.init.zeros_(self.lin.bias)

    def forward(self, x, c):
        g, b = self.lin(c).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return x * (1.0 + g) + b


class Generator(nn.Module):
    def __init__(self, width: int = 32, cond_dim: int = COND_DIM) -> None:
        super().__init__()
        w = width
        cd = 64
        self.cond = nn.Sequential(nn.Linear(cond_dim, cd), nn.LeakyReLU(0.2), nn.Linear(cd, cd), nn.LeakyReLU(0.2))
        self.e1 = ConvAct(4, w // 2)  # IN_H x IN_W
        self.e2 = ConvAct(w // 2, w, stride=2)  # /2 = grid resolution
        self.e3 = ConvAct(w, 2 * w, stride=2)  # /4
        self.m1 = ConvAct(2 * w, 2 * w)
        self.f1 = FiLM(cd, 2 * w)
        self.m2 = ConvAct(2 * w, 2 * w)
        self.f2 = FiLM(cd, 2 * w)
        self.up = nn.Conv2d(2 * w, w, 1)  # then upsampled, added to the grid-resolution skip
        self.f3 = FiLM(cd, w)
        self.d1 = ConvAct(w, w)
        self.head = nn.Conv2d(w, N_COEF, 1)
        self.glob = nn.Sequential(nn.Linear(cd + w, 128), nn.LeakyReLU(0.2), nn.Linear(128, N_COEF))
        for layer in (self.head, self.glob[-1]):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.register_buffer("identity", _identity_coef().view(1, N_COEF, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        c = self.cond(cond)
        mask = image[:, 3:4]
        x1 = self.e1(image)
        x2 = self.e2(x1)
        x3 = self.e3(x2)
        y = self.f1(self.m1(x3), c)
        y = self.f2(self.m2(y), c) + x3
        # The 1x1 convolution before the bilinear upsampling: both are linear and the upsampling's weights sum
        # to one, so the order does not change the result, and this way half the channels are upsampled and the
        # convolution runs on a quarter of the pixels (models trained with the other order load unchanged).
        y = F.interpolate(self.up(y), scale_factor=2.0, mode="bilinear", align_corners=False)
        y = F.leaky_relu(self.f3(y + x2, c), 0.2)
        y = self.d1(y)
        # Lip-pooled features (mask-weighted mean at grid resolution) feed the global transform.
        m2 = F.avg_pool2d(mask, 2)
        pooled = (y * m2).sum((2, 3)) / (m2.sum((2, 3)) + 1e-3)
        g = self.glob(torch.cat([c, pooled], 1))
        return self.identity + self.head(y) + g.unsqueeze(-1).unsqueeze(-1)


def upsample_coef(coef: torch.Tensor) -> torch.Tensor:
    """Grid -> canonical patch resolution (cell centres, as the app's warp does)."""
    return F.interpolate(coef, size=(PATCH_H, PATCH_W), mode="bilinear", align_corners=False)


def apply_coef(coef_full: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """(B, N_COEF, H, W) on (B, N_BASIS, H, W) -> linear RGB (B, 3, H, W)."""
    b, _, h, w = basis.shape
    c = coef_full.view(b, 3, N_BASIS, h, w)
    return (c * basis.unsqueeze(1)).sum(2)


class Discriminator(nn.Module):
    """Conditional PatchGAN: (sRGB patch in [-1,1], mask, colour map) -> logits at 1/8 resolution."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        sn = nn.utils.spectral_norm
        w = width
        self.body = nn.Sequential(
            sn(nn.Conv2d(3 + 1 + 3, w, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(w, 2 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(2 * w, 4 * w, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(4 * w, 4 * w, 3, 1, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(4 * w, 1, 3, 1, 1)),
        )

    def forward(self, rgb: torch.Tensor, mask: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
        cmap = colour.view(-1, 3, 1, 1).expand(-1, 3, rgb.shape[2], rgb.shape[3])
        return self.body(torch.cat([rgb * (mask > 0).float(), mask, cmap], 1))


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def generator_macs(g: Generator) -> int:
    """Multiply-accumulates of one generator call (convolutions and linears), counted with hooks."""
    total = 0

    def conv_hook(mod, inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
        total += out.numel() * k

    def lin_hook(mod, inp, out):
        nonlocal total
        total += out.numel() * mod.in_features

    hooks = [m.register_forward_hook(conv_hook) for m in g.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(lin_hook) for m in g.modules() if isinstance(m, nn.Linear)]
    with torch.no_grad():
        g(torch.zeros(1, 4, IN_H, IN_W), torch.zeros(1, COND_DIM))
    for h in hooks:
        h.remove()
    return total


assert PATCH_W // GRID == IN_W // 2 and PATCH_H // GRID == IN_H // 2, "grid must be half the input size"
