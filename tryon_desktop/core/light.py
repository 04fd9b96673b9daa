"""The room's light on a face, read from the whites of the eyes.

A lipstick worn in a dim room, or under a warm lamp, looks darker or warmer than its swatch. The lips'
own brightness cannot tell that apart from their natural colour (dark lips on a deep skin tone are not a
dark room), and neither can the skin. The sclera can: it is near-white on everyone, so its brightness
and colour in the frame are the light's (up to the camera's own exposure and white balance, which a
lipstick on the lips goes through as well).

`scene_light` measures it on one frame; `LightTracker` smooths it per face over time and holds it
through blinks. numpy + cv2 only.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon_desktop.core.colour import LUMA, srgb_to_linear

# Cheek centres of the face mesh (the subject's right and left), for the skin's saturation.
CHEEKS = (205, 425)
# Lab chroma of cheek skin: median 16 or more on the project's face photos, under 11 on only 5% of them.
# A picture whose cheeks read under 11 is washed out by its camera or light, and lipstick must be too.
SKIN_CHROMA = 11.0
SATURATION_RANGE = (0.45, 1.0)

# Eye contours of the face mesh (the subject's right and left eye) and the refined iris points.
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
IRISES = ((468, (469, 470, 471, 472)), (473, (474, 475, 476, 477)))

# What the sclera's brighter half reads (linear luminance, chromaticity) in a well exposed, white-balanced
# photo: the median over the project's high-resolution dev faces. Readings vary a lot between photos
# of the same light (lids shade the eye, lashes and skin mix in at webcam sizes: luminance 0.19-0.54 and
# red/blue 1.0-2.9 on ten well lit faces), so only a clearly dim scene dims the lipstick, and the light's
# colour is trusted a quarter and at most 10% per channel.
SCLERA_Y = 0.30
SCLERA_CHROMA = np.array([1.21, 0.95, 0.87], np.float32)
EXPOSURE_RANGE = (0.55, 1.0)
COLOUR_TRUST, COLOUR_MAX = 0.25, 0.10
MIN_PIXELS = 24

_LIN = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUMA = LUMA.astype(np.float32)


@dataclass(frozen=True)
class Light:
    exposure: float = 1.0  # 1: as bright as a well exposed photo; < 1 a dimmer room
    colour: tuple[float, float, float] = (1.0, 1.0, 1.0)  # linear RGB, luminance 1
    saturation: float = 1.0  # < 1: a grey, washed-out picture (low light, a cheap camera)

    @property
    def rgb(self) -> np.ndarray:
        return np.asarray(self.colour, np.float32)

    def apply(self, lin_rgb: np.ndarray) -> np.ndarray:
        """A surface colour (linear RGB) as this light and camera show it: tinted by the light, and as
        washed out as the picture (exposure is applied by the caller, with the shading)."""
        c = np.asarray(lin_rgb, np.float32) * self.rgb
        if self.saturation < 1.0:
            y = float(c @ _LUMA)
            c = y + self.saturation * (c - y)
        return c


NEUTRAL = Light()


def sclera_pixels(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """Linear RGB (n, 3) of the brighter half of both eyes' whites, or None (eyes shut, too small)."""
    if len(landmarks) < 478:
        return None
    out = []
    h, w = frame.shape[:2]
    for eye, (centre, ring) in zip((RIGHT_EYE, LEFT_EYE), IRISES, strict=True):
        pts = landmarks[list(eye), :2]
        x0, y0 = np.floor(pts.min(0)).astype(int)
        x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 < 6 or y1 - y0 < 3:
            continue
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(m, [np.round(pts - [x0, y0]).astype(np.int32)], 1)
        c = landmarks[centre, :2] - [x0, y0]
        r = float(np.mean(np.hypot(*(landmarks[list(ring), :2] - landmarks[centre, :2]).T)))
        cv2.circle(m, (int(round(c[0])), int(round(c[1]))), int(round(1.2 * r + 1)), 0, -1)
        m = cv2.erode(m, np.ones((3, 3), np.uint8))
        if m.sum() < 4:
            continue
        out.append(_LIN[frame[y0:y1, x0:x1][m > 0][:, ::-1]])
    if not out:
        return None
    lin = np.concatenate(out)
    y = lin @ _LUMA
    bright = lin[y >= np.median(y)]
    return bright if len(bright) >= MIN_PIXELS else None


def skin_saturation(frame: np.ndarray, landmarks: np.ndarray) -> float:
    """How saturated the picture is, from the cheeks' Lab chroma against ordinary skin's (1: normal)."""
    w = float(np.hypot(*(landmarks[234, :2] - landmarks[454, :2])))  # face width, cheek to cheek
    r = max(2, int(round(0.05 * w)))
    h, wd = frame.shape[:2]
    chroma = []
    for i in CHEEKS:
        x, y = (int(round(v)) for v in landmarks[i, :2])
        patch = frame[max(y - r, 0):min(y + r + 1, h), max(x - r, 0):min(x + r + 1, wd)]
        if patch.size < 12:
            continue
        lab = cv2.cvtColor(patch, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
        chroma.append(float(np.median(np.hypot(lab[:, 1] - 128.0, lab[:, 2] - 128.0))))
    if not chroma:
        return 1.0
    return float(np.clip(np.median(chroma) / SKIN_CHROMA, *SATURATION_RANGE))


def scene_light(frame: np.ndarray, landmarks: np.ndarray) -> Light | None:
    """The light on this face from its eye whites (and the picture's saturation from the cheeks), or
    None when the eye whites cannot be read."""
    if len(landmarks) < 478:
        return None
    sat = skin_saturation(frame, landmarks)
    px = sclera_pixels(frame, landmarks)
    if px is None:
        return Light(saturation=sat) if sat < 1.0 else None
    mean = px.mean(0)
    y = float(mean @ _LUMA)
    if y < 1e-3:
        return None
    chroma = mean / y / SCLERA_CHROMA
    chroma = chroma / float(chroma @ _LUMA)
    # Reject readings no white could give (a strongly coloured "sclera" is skin or a shadow).
    if float(np.abs(chroma - 1.0).max()) > 0.6:
        return None
    colour = 1.0 + np.clip(COLOUR_TRUST * (chroma - 1.0), -COLOUR_MAX, COLOUR_MAX)
    colour = colour / float(colour @ _LUMA)
    exposure = float(np.clip(np.sqrt(y / SCLERA_Y), *EXPOSURE_RANGE))
    return Light(exposure, tuple(float(v) for v in colour), sat)


class LightTracker:
    """Per-face smoothing of `scene_light` over frames: slow enough that a blink or a glance does not
    flicker the lipstick, holding the last reading while the eyes are shut."""

    def __init__(self, rate: float = 0.15, every: int = 3) -> None:
        self.rate, self.every = rate, max(1, int(every))
        self._faces: list[tuple[np.ndarray, Light]] = []  # (mouth-ish centre, light)
        self._frame = 0

    def update(self, frame: np.ndarray, landmarks: np.ndarray, key: np.ndarray, scale: float) -> Light:
        """This face's light; the eyes are read on every `every`-th call (a room's light changes slowly,
        and the reading costs most of a millisecond), the held value is returned in between."""
        self._frame += 1
        prev = None
        for i, (k, _light) in enumerate(self._faces):
            if float(np.hypot(*(k - key))) < 0.5 * scale:
                prev = self._faces.pop(i)[1]
                break
        if prev is not None and self._frame % self.every:
            self._faces = ([(key, prev)] + self._faces)[:4]
            return prev
        now = scene_light(frame, landmarks)
        if now is None:
            light = prev or NEUTRAL
        elif prev is None:
            light = now
        else:
            a = self.rate
            light = Light((1 - a) * prev.exposure + a * now.exposure,
                          tuple(float((1 - a) * p + a * n) for p, n in zip(prev.colour, now.colour, strict=True)),
                          (1 - a) * prev.saturation + a * now.saturation)
        self._faces = ([(key, light)] + self._faces)[:4]
        return light

    def reset(self) -> None:
        self._faces = []
        self._frame = 0
