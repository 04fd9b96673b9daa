"""Colour science on numpy arrays whose last axis is a colour triple.

sRGB values are floats in [0, 1] (R, G, B order); linear RGB is the IEC 61966-2-1 decoding of sRGB;
CIE Lab uses the D65 white of sRGB. `ciede2000` follows Sharma, Wu and Dalal (2005), the formulation
checked against their published test pairs in tests/unit/test_colour.py.
"""

from __future__ import annotations

import numpy as np

# sRGB (D65) linear RGB -> XYZ, IEC 61966-2-1.
_RGB2XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                     [0.2126729, 0.7151522, 0.0721750],
                     [0.0193339, 0.1191920, 0.9503041]])
_XYZ2RGB = np.linalg.inv(_RGB2XYZ)
_WHITE_D65 = _RGB2XYZ.sum(axis=1)  # XYZ of linear (1, 1, 1)
_EPS = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0

LUMA = _RGB2XYZ[1]  # relative luminance weights of linear RGB


def srgb_to_linear(srgb):
    c = np.asarray(srgb, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(lin):
    c = np.clip(np.asarray(lin, dtype=np.float64), 0.0, None)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1.0 / 2.4) - 0.055)


def linear_to_xyz(lin):
    return np.asarray(lin, dtype=np.float64) @ _RGB2XYZ.T


def xyz_to_linear(xyz):
    return np.asarray(xyz, dtype=np.float64) @ _XYZ2RGB.T


def xyz_to_lab(xyz):
    t = np.asarray(xyz, dtype=np.float64) / _WHITE_D65
    f = np.where(t > _EPS, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def lab_to_xyz(lab):
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    f = np.stack([fx, fy, fz], axis=-1)
    f3 = f ** 3
    t = np.where(f3 > _EPS, f3, (116.0 * f - 16.0) / _KAPPA)
    # L itself decides the Y branch (exact inverse of xyz_to_lab around the knee).
    t[..., 1] = np.where(lab[..., 0] > _KAPPA * _EPS, fy ** 3, lab[..., 0] / _KAPPA)
    return t * _WHITE_D65


def srgb_to_lab(srgb):
    return xyz_to_lab(linear_to_xyz(srgb_to_linear(srgb)))


def lab_to_srgb(lab):
    return linear_to_srgb(xyz_to_linear(lab_to_xyz(lab)))


def rgb8_to_lab(rgb8):
    """(R, G, B) integers 0-255 -> Lab."""
    return srgb_to_lab(np.asarray(rgb8, dtype=np.float64) / 255.0)


def bgr8_to_lab(bgr8):
    """OpenCV-order uint8 pixels (..., 3) -> Lab, in float64."""
    return srgb_to_lab(np.asarray(bgr8, dtype=np.float64)[..., ::-1] / 255.0)


def ciede2000(lab1, lab2, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0):
    """CIEDE2000 colour difference between Lab arrays (broadcasting over leading axes)."""
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    C1 = np.hypot(a1, b1)
    C2 = np.hypot(a2, b2)
    Cbar7 = ((C1 + C2) / 2.0) ** 7
    G = 0.5 * (1.0 - np.sqrt(Cbar7 / (Cbar7 + 25.0 ** 7)))
    a1p = (1.0 + G) * a1
    a2p = (1.0 + G) * a2
    C1p = np.hypot(a1p, b1)
    C2p = np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    h1p = np.where(C1p == 0, 0.0, h1p)
    h2p = np.where(C2p == 0, 0.0, h2p)

    dLp = L2 - L1
    dCp = C2p - C1p
    # Hue angles exactly 180 degrees apart are a tie that float rounding must not break: Sharma's pair 14
    # is built on it and expects the "<= 180" branch.
    tie = 1e-9
    dh = h2p - h1p
    dh = np.where(dh > 180.0 + tie, dh - 360.0, dh)
    dh = np.where(dh < -180.0 - tie, dh + 360.0, dh)
    dh = np.where(C1p * C2p == 0, 0.0, dh)
    dHp = 2.0 * np.sqrt(C1p * C2p) * np.sin(np.radians(dh) / 2.0)

    Lbarp = (L1 + L2) / 2.0
    Cbarp = (C1p + C2p) / 2.0
    hsum = h1p + h2p
    hbarp = np.where(np.abs(h1p - h2p) > 180.0 + tie,
                     np.where(hsum < 360.0, (hsum + 360.0) / 2.0, (hsum - 360.0) / 2.0),
                     hsum / 2.0)
    hbarp = np.where(C1p * C2p == 0, hsum, hbarp)

    T = (1.0 - 0.17 * np.cos(np.radians(hbarp - 30.0)) + 0.24 * np.cos(np.radians(2.0 * hbarp))
         + 0.32 * np.cos(np.radians(3.0 * hbarp + 6.0)) - 0.20 * np.cos(np.radians(4.0 * hbarp - 63.0)))
    dtheta = 30.0 * np.exp(-(((hbarp - 275.0) / 25.0) ** 2))
    Cbarp7 = Cbarp ** 7
    RC = 2.0 * np.sqrt(Cbarp7 / (Cbarp7 + 25.0 ** 7))
    SL = 1.0 + 0.015 * (Lbarp - 50.0) ** 2 / np.sqrt(20.0 + (Lbarp - 50.0) ** 2)
    SC = 1.0 + 0.045 * Cbarp
    SH = 1.0 + 0.015 * Cbarp * T
    RT = -np.sin(np.radians(2.0 * dtheta)) * RC

    tL = dLp / (kL * SL)
    tC = dCp / (kC * SC)
    tH = dHp / (kH * SH)
    return np.sqrt(tL ** 2 + tC ** 2 + tH ** 2 + RT * tC * tH)
