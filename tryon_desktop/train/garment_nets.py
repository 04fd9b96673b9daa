"""The live garment-mask student: a small MobileNet-like segmenter sized for a CPU frame budget.

GarmentNet(image[, prior]) -> logits
    image   float32 (B, 3, IN_H, IN_W) = (B, 3, 144, 256), sRGB R, G, B in [0, 1] (a 16:9 frame shrunk)
    prior   float32 (B, 1, IN_H, IN_W), only when built with prior=True: the faces the tracker found, drawn
            by vision.garment_mask.face_prior (face oval 1, body expected below the chin 0.5, else 0)
    logits  float32 (B, 1, OUT_H, OUT_W) = (B, 1, 72, 128), half the input size; sigmoid -> probability
            that the pixel is the upper-body garment

Encoder: a stride-2 stem and depthwise-separable inverted-residual blocks down to 1/16 (9 x 16 cells),
where dilated depthwise convolutions and a global-pool gate give every cell the whole frame as context
(is there a face above, where are the shoulders). Decoder: LR-ASPP-like, three light upsampling stages
adding projected skips from 1/8, 1/4 and 1/2, each followed by a depthwise-separable conv, and a 1x1 head.
BatchNorm folds into the convolutions at export (onnxruntime fuses Conv+BN); ReLU everywhere: on a CPU
it is the cheapest activation, and the network is small enough that hard-swish buys nothing measurable.

`ExportWrapper` adds the sigmoid for the shipped ONNX model, whose output is the probability in [0, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IN_H, IN_W = 144, 256
OUT_H, OUT_W = IN_H // 2, IN_W // 2
# Per-channel input normalisation baked into the network (the runtime feeds plain [0, 1] RGB).
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, dilation: int = 1,
            act: bool = True) -> nn.Sequential:
    pad = dilation * (k // 2)
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, groups=groups, bias=False),
                               nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand -> 3x3 depthwise (stride, dilation) -> 1x1 project (+ residual)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, expand: int = 3, dilation: int = 1) -> None:
        super().__init__()
        mid = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(conv_bn(cin, mid, 1))
        layers += [conv_bn(mid, mid, 3, stride, groups=mid, dilation=dilation), conv_bn(mid, cout, 1, act=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class DWSep(nn.Module):
    """3x3 depthwise + 1x1 pointwise, each with BN + ReLU (the decoder's refinement conv)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, groups=cin)
        self.pw = conv_bn(cin, cout, 1)

    def forward(self, x):
        return self.pw(self.dw(x))


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class GarmentNet(nn.Module):
    def __init__(self, width: int = 16, prior: bool = False) -> None:
        super().__init__()
        w = width
        self.prior = prior
        c1, c2, c3, c4 = w, int(1.5 * w), int(2.5 * w), 4 * w  # 16, 24, 40, 64 at width 16
        d = 2 * w  # decoder channels
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)
        self.stem = conv_bn(4 if prior else 3, c1, 3, 2)  # 1/2
        self.s1 = InvertedResidual(c1, c1, 1, expand=1)
        self.s2 = nn.Sequential(InvertedResidual(c1, c2, 2, expand=3), InvertedResidual(c2, c2, 1, expand=3))  # 1/4
        self.s3 = nn.Sequential(InvertedResidual(c2, c3, 2, expand=3), InvertedResidual(c3, c3, 1, expand=3))  # 1/8
        self.s4 = nn.Sequential(  # 1/16: wide context from dilations
            InvertedResidual(c3, c4, 2, expand=3),
            InvertedResidual(c4, c4, 1, expand=3, dilation=2),
            InvertedResidual(c4, c4, 1, expand=3, dilation=4),
            InvertedResidual(c4, c4, 1, expand=3, dilation=2),
        )
        self.ctx = conv_bn(c4, d, 1)
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c4, d, 1), nn.Sigmoid())
        self.skip3 = conv_bn(c3, d, 1, act=False)
        self.ref3 = DWSep(d, d)
        self.skip2 = conv_bn(c2, d, 1, act=False)
        self.ref2 = DWSep(d, w)
        self.skip1 = conv_bn(c1, w, 1, act=False)
        self.ref1 = DWSep(w, w)
        self.head = nn.Conv2d(w, 1, 1)
        nn.init.constant_(self.head.bias, -1.0)  # most pixels are not garment

    def forward(self, image: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        x = (image - self.mean) / self.std
        if self.prior:
            x = torch.cat([x, prior if prior is not None else torch.zeros_like(image[:, :1])], 1)
        x1 = self.s1(self.stem(x))  # 1/2
        x2 = self.s2(x1)  # 1/4
        x3 = self.s3(x2)  # 1/8
        x4 = self.s4(x3)  # 1/16
        y = self.ctx(x4) * self.gate(x4)
        y = self.ref3(_up(y, x3) + self.skip3(x3))
        y = self.ref2(_up(y, x2) + self.skip2(x2))
        y = self.ref1(_up(y, x1) + self.skip1(x1))
        return self.head(y)


class ExportWrapper(nn.Module):
    """What ships: image (1, 3, 144, 256) RGB [0, 1] [+ prior (1, 1, 144, 256)] -> prob (1, 1, 72, 128) in [0, 1]."""

    def __init__(self, net: GarmentNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        return torch.sigmoid(self.net(image, prior))


def widen_stem(state: dict, prior: bool) -> dict:
    """A checkpoint's weights for a net with (prior=True) or without the prior channel: a 3-channel stem
    gains a zero-weighted 4th input (the start behaves exactly like the old net), a 4-channel one loses it."""
    state = dict(state)
    w = state.get("stem.0.weight")
    if w is not None and prior and w.shape[1] == 3:
        state["stem.0.weight"] = torch.cat([w, torch.zeros_like(w[:, :1])], 1)
    elif w is not None and not prior and w.shape[1] == 4:
        state["stem.0.weight"] = w[:, :3].contiguous()
    return state


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def count_macs(m: nn.Module, shape: tuple[int, ...] = (1, 3, IN_H, IN_W)) -> int:
    """Multiply-accumulates of one call (convolutions only; BN folds away), counted with hooks."""
    total = 0

    def conv_hook(mod, inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
        total += out.numel() * k

    hooks = [x.register_forward_hook(conv_hook) for x in m.modules() if isinstance(x, nn.Conv2d)]
    was_training = m.training
    m.eval()
    with torch.no_grad():
        m(torch.zeros(*shape), torch.zeros(shape[0], 1, *shape[2:]))
    m.train(was_training)
    for h in hooks:
        h.remove()
    return total
