"""Training data: aligned lip patches from any folder of face photos, tracked and aligned by the engine's
own code (FaceTracker, core.masks, core.geometry, the same canonical patch the app uses).

`build_cache` runs MediaPipe once per photo and stores, per face, a context patch a little larger than
the canonical one plus its landmarks, in an .npz (written atomically). `LipSampler` then draws webcam-like
training samples from the cache: tracking jitter (scale, rotation, shift), lighting and white balance,
sensor noise, blur and JPEG, and renders the reference renderer's targets.

Only numpy + cv2 here, so evaluation can reuse it without torch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.colour import LUMA, bgr8_to_lab, linear_to_srgb
from tryon_desktop.core.geometry import Box, apply_affine, lip_alignment
from tryon_desktop.core.looks import FINISHES, Finish, Shade, default_catalogue
from tryon_desktop.core.masks import LIPS_OUTER, MOUTH_CORNERS, dilate, lip_mask, mouth_opening, mouth_width
from tryon_desktop.errors import InputError
from tryon_desktop.render.lipstick import encode_srgb8, measure_lips, render_lips
from tryon_desktop.vision.lip_generator import PATCH_H, PATCH_W, basis_features

log = logging.getLogger(__name__)

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
CONTEXT = 1.25  # cached patches hold this much more than the canonical patch, for jitter
BIG_W, BIG_H = int(PATCH_W * CONTEXT), int(PATCH_H * CONTEXT)
HOLDOUT_PERCENT = 12  # photos whose name hashes below this are kept out of training (eval's real set)


def is_holdout(name: str) -> bool:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) % 100 < HOLDOUT_PERCENT


def list_images(folder: str | Path) -> list[Path]:
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"data folder not found: {root}")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())


def big_patch_alignment(landmarks: np.ndarray) -> np.ndarray:
    """Frame -> context patch: the canonical alignment, with CONTEXT-times the room around it."""
    M = lip_alignment(landmarks[MOUTH_CORNERS[0]], landmarks[MOUTH_CORNERS[1]], PATCH_W, PATCH_H)
    M[:, 2] += [(BIG_W - PATCH_W) / 2.0, (BIG_H - PATCH_H) / 2.0]
    return M


def lipstick_score(patch: np.ndarray, landmarks: np.ndarray) -> float:
    """How made-up the lips look: their Lab chroma above the surrounding skin's (>= ~12: lipstick)."""
    box = Box(0, 0, patch.shape[1], patch.shape[0])
    m = lip_mask(landmarks, box) > 0.6
    ring = dilate(m, 14) & ~dilate(m, 5)
    if m.sum() < 20 or ring.sum() < 20:
        return 0.0
    lab = bgr8_to_lab(patch)
    c_lip = np.hypot(lab[..., 1], lab[..., 2])[m].mean()
    c_skin = np.hypot(lab[..., 1], lab[..., 2])[ring].mean()
    dark = max(0.0, lab[..., 0][ring].mean() - lab[..., 0][m].mean() - 15.0)  # dark lipstick
    return float(c_lip - c_skin + 0.5 * dark)


@dataclass
class FaceCache:
    patches: np.ndarray  # (N, BIG_H, BIG_W, 3) uint8 BGR
    landmarks: np.ndarray  # (N, 478, 2) float32 in context-patch pixels
    names: np.ndarray  # (N,) source file, relative to its data folder
    score: np.ndarray  # (N,) lipstick score
    holdout: np.ndarray  # (N,) bool
    opening: np.ndarray  # (N,) mouth opening
    stats: dict

    def __len__(self) -> int:
        return len(self.patches)

    def subset(self, idx) -> FaceCache:
        idx = np.asarray(idx)
        return FaceCache(self.patches[idx], self.landmarks[idx], self.names[idx], self.score[idx],
                         self.holdout[idx], self.opening[idx], dict(self.stats))


def atomic_savez(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_cache(folders: list[str | Path], out: str | Path, min_mouth_px: float = 18.0,
                progress: bool = True, limit: int | None = None) -> FaceCache:
    """Track every photo under `folders` and cache aligned lip patches; raises InputError if none are usable."""
    from tryon_desktop.vision.face_tracker import FaceTracker

    files: list[tuple[Path, Path]] = []
    for folder in folders:
        files += [(Path(folder), p) for p in list_images(folder)]
    if limit:
        files = files[:limit]
    if not files:
        raise InputError(f"no image files (jpg, png, bmp, webp) under {', '.join(map(str, folders))}")
    patches, lms, names, scores, opens = [], [], [], [], []
    unreadable = no_face = small = 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(files), desc="tracking faces", unit="img")
    with FaceTracker(max_faces=1, video=False) as tracker:
        for root, path in files:
            if bar:
                bar.update(1)
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if img is None or img.ndim != 3 or min(img.shape[:2]) < 32:
                unreadable += 1
                continue
            faces = tracker.track(img)
            if not faces:
                no_face += 1
                continue
            lm = faces[0].landmarks.astype(np.float64)
            if mouth_width(lm) < min_mouth_px:
                small += 1
                continue
            M = big_patch_alignment(lm)
            # Shrinking a big face: pre-blur so the warp does not alias (scale = patch px per photo px).
            scale = float(np.sqrt(abs(np.linalg.det(M[:, :2]))))
            src = img
            if scale < 0.7:
                src = cv2.GaussianBlur(img, (0, 0), 0.45 / scale)
            patch = cv2.warpAffine(src, M, (BIG_W, BIG_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            lm_p = apply_affine(M, lm).astype(np.float32)
            patches.append(patch)
            lms.append(lm_p)
            rel = f"{root.name}/{path.relative_to(root)}"
            names.append(rel)
            scores.append(lipstick_score(patch, lm_p))
            opens.append(mouth_opening(lm_p))
    if bar:
        bar.close()
    stats = {"files": len(files), "faces": len(patches), "unreadable": unreadable, "no_face": no_face,
             "too_small": small, "folders": [str(f) for f in folders]}
    if not patches:
        raise InputError(f"no usable faces in {', '.join(map(str, folders))}: {len(files)} files, "
                         f"{unreadable} unreadable, {no_face} without a face, {small} with lips under {min_mouth_px:.0f} px")
    holdout = np.array([is_holdout(n) for n in names])
    cache = FaceCache(np.stack(patches), np.stack(lms), np.array(names), np.array(scores, np.float32),
                      holdout, np.array(opens, np.float32), stats)
    import json

    atomic_savez(Path(out), patches=cache.patches, landmarks=cache.landmarks, names=cache.names,
                 score=cache.score, holdout=cache.holdout, opening=cache.opening,
                 stats=np.array(json.dumps(stats)))
    return cache


def load_cache(path: str | Path) -> FaceCache:
    import json

    try:
        with np.load(path, allow_pickle=False) as z:
            return FaceCache(z["patches"], z["landmarks"], z["names"], z["score"], z["holdout"], z["opening"],
                             json.loads(str(z["stats"])))
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(f"face cache {path} is unreadable or from another version: {exc}") from None


# ---------------------------------------------------------------- shades


def random_shade(rng: np.random.Generator, catalogue: tuple[Shade, ...] | None = None) -> Shade:
    """Half from the catalogue, half random lipstick-like colours (wide hue range, any finish)."""
    catalogue = catalogue if catalogue is not None else default_catalogue()
    finish = FINISHES[int(rng.integers(len(FINISHES)))]
    opacity = 1.0 if rng.random() < 0.4 else float(rng.uniform(0.45, 1.0))
    if rng.random() < 0.5:
        s = catalogue[int(rng.integers(len(catalogue)))]
        rgb = s.rgb
    else:
        # HSV with lipstick-leaning hues (reds, pinks, berries, browns, corals) and some wild ones.
        h = rng.uniform(-40, 40) if rng.random() < 0.75 else rng.uniform(0, 360)
        sat = rng.uniform(0.25, 0.95)
        val = rng.uniform(0.2, 0.95)
        hsv = np.uint8([[[int((h % 360) / 2), int(sat * 255), int(val * 255)]]])
        r, g, b = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]
        rgb = (int(r), int(g), int(b))
    return Shade(name="train", rgb=rgb, finish=finish, opacity=opacity)


def shade_of_real_lips(region) -> Shade:
    """The shade (satin, opacity 1) under which the reference renderer reproduces these real lips' colour:
    the inverse of its exposure model, so a real photo can be a target for "give back the real lips"."""
    core = region.mask > 0.5
    med = np.median(region.lin[core], axis=0)
    exposure = float(np.clip((region.y_med / 0.16) ** 0.5, 0.45, 1.25))
    albedo = np.clip(med / exposure, 0.0, 1.0)
    rgb = np.clip(np.round(linear_to_srgb(albedo) * 255.0), 0, 255).astype(int)
    return Shade(name="real", rgb=(int(rgb[0]), int(rgb[1]), int(rgb[2])), finish=Finish.SATIN, opacity=1.0)


# ---------------------------------------------------------------- augmentation


def jitter_alignment(rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Context patch -> canonical patch, with tracking-like errors in scale, rotation and shift."""
    s = 1.0 + strength * rng.uniform(-0.08, 0.08)
    a = np.radians(strength * rng.uniform(-6.0, 6.0))
    t = strength * rng.uniform(-0.03, 0.03, 2) * PATCH_W
    c_big = np.array([BIG_W / 2.0, BIG_H / 2.0])
    c = np.array([PATCH_W / 2.0, PATCH_H / 2.0]) + t
    R = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([R, (c - R @ c_big)[:, None]])


def camera_augment(rng: np.random.Generator, img: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Webcam-like photometric changes: exposure, white balance, gamma, blur, noise, JPEG."""
    x = img.astype(np.float32) / 255.0
    if strength > 0:
        gain = np.exp(strength * rng.uniform(-0.35, 0.3))
        wb = np.exp(strength * rng.normal(0.0, 0.06, 3)).astype(np.float32)
        gamma = np.exp(strength * rng.uniform(-0.15, 0.15))
        x = np.clip(x * gain * wb, 0.0, 1.0) ** gamma
        if rng.random() < 0.35 * strength:
            x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.4, 1.2))
        if rng.random() < 0.6 * strength:
            x = x + rng.normal(0.0, rng.uniform(0.003, 0.02), x.shape).astype(np.float32)
    out = np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if strength > 0 and rng.random() < 0.5 * strength:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 95))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


@dataclass
class PatchSample:
    patch: np.ndarray  # (PATCH_H, PATCH_W, 3) uint8 BGR, the camera's view
    mask: np.ndarray  # (PATCH_H, PATCH_W) float32 soft lip mask
    landmarks: np.ndarray  # (478, 2) in canonical-patch pixels
    mouth_w: float
    index: int


def canonical_sample(cache: FaceCache, i: int, rng: np.random.Generator | None, aug: float = 1.0) -> PatchSample:
    """One face from the cache as the app would see it (optionally jittered and camera-augmented)."""
    if rng is not None and aug > 0:
        M = jitter_alignment(rng, aug)
    else:
        M = np.array([[1.0, 0.0, -(BIG_W - PATCH_W) / 2.0], [0.0, 1.0, -(BIG_H - PATCH_H) / 2.0]])
    big = cache.patches[i]
    if rng is not None and aug > 0:
        big = camera_augment(rng, big, aug)
        if rng.random() < 0.5:  # mirror: faces are near symmetric, doubles the pose variety
            big = big[:, ::-1].copy()
            lm = cache.landmarks[i].copy()
            lm[:, 0] = BIG_W - 1 - lm[:, 0]
            # the mesh's left and right swap under a mirror: the contours stay closed loops, so the
            # mask is unchanged by reordering; only the corners' order matters for alignment, not here.
        else:
            lm = cache.landmarks[i]
    else:
        lm = cache.landmarks[i]
    patch = cv2.warpAffine(big, M, (PATCH_W, PATCH_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    lm_p = apply_affine(M, lm).astype(np.float32)
    mask = lip_mask(lm_p, Box(0, 0, PATCH_W, PATCH_H))
    return PatchSample(patch, mask, lm_p, mouth_width(lm_p), i)


def render_target(sample: PatchSample, shade: Shade, origin=(0, 0)) -> np.ndarray | None:
    """The reference renderer's made-up patch (uint8 BGR, composited with the mask), or None."""
    region = measure_lips(sample.patch, sample.mask, sample.mouth_w, origin)
    if region is None:
        return None
    made = encode_srgb8(render_lips(region, shade)).astype(np.float32)
    a = sample.mask[..., None]
    return np.clip(sample.patch * (1.0 - a) + made * a + 0.5, 0, 255).astype(np.uint8)


def real_lips_shade(sample: PatchSample) -> Shade | None:
    region = measure_lips(sample.patch, sample.mask, sample.mouth_w)
    return None if region is None else shade_of_real_lips(region)


def features(sample: PatchSample, origin=(0, 0)):
    return basis_features(sample.patch, sample.mask, sample.mouth_w, origin)


def lip_region_of(sample: PatchSample) -> np.ndarray:
    """Bool mask of the lips plus a small margin (where losses and the discriminator look)."""
    return dilate(sample.mask > 0.05, max(2, int(0.04 * sample.mouth_w)))


def outer_lip_points(sample: PatchSample) -> np.ndarray:
    return sample.landmarks[list(LIPS_OUTER)]


def linear_luma() -> np.ndarray:
    return LUMA.astype(np.float32)
