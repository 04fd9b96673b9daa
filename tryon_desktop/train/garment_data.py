"""Training data for the garment-mask student: the teacher's cache, webcam-like augmentation, batches.

The cache (written by the offline teacher, tryon_desktop.vision.garment_teacher) is a folder:
    images/<id>.jpg   photo or video frame, longest side <= 640
    masks/<id>.png    uint8 0-255 soft upper-body-garment probability, same size (all 0: "mark nothing")
    index.json        [{"id", "source", "frame", "real", "confident", "reason"}, ...]
    DONE              written last: the cache is complete

Each training sample is one cache image seen through a random 16:9 "webcam": a crop and scale (upper-body
framing, head and shoulders only, cut at the chest, person small or off-centre, the whole photo
letterboxed), a small roll, a mirror flip, a new background behind the person (mediapipe's selfie mask,
computed once per cache image), recoloured garments and open-jacket colour splits, skin-coloured
"hands" in front of the garment (mask zeroed there), then the camera: exposure, white balance, gamma,
contrast, blur (motion, defocus), sensor noise, low resolution and JPEG.

numpy + cv2 (+ mediapipe for person masks, optional): no torch in this module.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.errors import InputError
from tryon_desktop.vision.garment_mask import IN_H, IN_W, PAD_VALUE, Letterbox, face_prior

log = logging.getLogger(__name__)

CW, CH = 2 * IN_W, 2 * IN_H  # geometry and compositing run on a 2x canvas, then shrink (INTER_AREA)
HOLDOUT_FRACTION = 0.08


@dataclass
class CacheItem:
    id: str
    source: str
    frame: int | None
    real: bool
    confident: bool
    reason: str
    image: np.ndarray  # uint8 (h, w, 3) BGR
    mask: np.ndarray  # uint8 (h, w) garment probability * 255
    person: np.ndarray | None = None  # uint8 (h, w) person probability * 255 (selfie mask), if computed
    garment_box: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 of mask > 127
    person_box: tuple[int, int, int, int] | None = None
    weight: float = 1.0  # loss weight (teacher confidence)
    ignore_below: float = 1.0  # rows below this fraction of the height carry no loss (collars under a face crop)
    faces: list[np.ndarray] | None = None  # face-oval outlines (N, 2) in image pixels, as the app's tracker finds them

    @property
    def group(self) -> str:
        """Source group for balancing: a video file, or a photo's folder."""
        return self.source if self.frame is not None else str(Path(self.source).parent)

    @property
    def split_key(self) -> str:
        """Held-out unit: a photo, or ~1.5 s of one video (neighbouring frames are near-duplicates)."""
        return f"{self.source}#{self.frame // 45}" if self.frame is not None else self.id


@dataclass
class GarmentCache:
    root: Path
    items: list[CacheItem]
    holdout: np.ndarray  # bool per item
    stats: dict

    def __len__(self) -> int:
        return len(self.items)

    def usable(self) -> np.ndarray:
        return np.array([it.weight > 0 for it in self.items], bool)

    def train_indices(self) -> np.ndarray:
        idx = np.flatnonzero(~self.holdout & self.usable())
        return idx if len(idx) else np.flatnonzero(self.usable())

    def val_indices(self) -> np.ndarray:
        idx = np.flatnonzero(self.holdout & self.usable())
        return idx if len(idx) else np.flatnonzero(self.usable())[:4]


def _box(m: np.ndarray, thr: int = 127) -> tuple[int, int, int, int] | None:
    ys, xs = np.nonzero(m > thr)
    if len(xs) < 16:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def label_policy(it: CacheItem) -> tuple[float, float]:
    """(loss weight, ignore_below) for an item, from the teacher's own verdict.

    * confident masks: full weight;
    * a mask the teacher was not sure of but drew anyway (e.g. no face found, generic skin model): 0.7;
    * an empty mask on a face-only photo ("no shoulders in view"): a true "mark nothing" for face, hair
      and skin, but a collar or shirt often shows along the bottom edge: the bottom 30% carries no loss;
    * an empty mask the teacher gave up on for a body photo or frame (suit "torso not visible", beige tee
      "no sure garment pixels"): an abstention, not a negative: weight 0 (not trained on, not validated).
    """
    if it.confident:
        return 1.0, 1.0
    if it.garment_box is not None:
        return 0.7, 1.0
    if it.source.startswith("faces/"):
        return 1.0, 0.7
    return 0.0, 1.0


def is_held_out(key: str, fraction: float = HOLDOUT_FRACTION) -> bool:
    h = int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return h < fraction


def read_index(root: Path) -> list[dict]:
    path = root / "index.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"garment cache index not found: {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"garment cache index {path} is not valid JSON: {exc}") from None
    if isinstance(entries, dict):
        entries = entries.get("items", entries.get("entries", []))
    if not isinstance(entries, list):
        raise InputError(f"garment cache index {path} must be a list of entries")
    return entries


def person_masks(images: list[np.ndarray], progress: bool = False) -> list[np.ndarray] | None:
    """mediapipe selfie (general) person probability per image, uint8; None without mediapipe."""
    try:
        import mediapipe as mp

        from tryon_desktop.vision.face_tracker import _native_stderr_muted, _quiet_native_logs
    except ImportError:
        return None
    if not hasattr(mp, "solutions"):  # mediapipe for Python 3.13+ has only the Tasks API: no background swaps
        log.warning("person masks need mediapipe's solutions API (Python 3.10-3.12): training without background swaps")
        return None
    _quiet_native_logs()
    out = []
    with _native_stderr_muted():
        seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    try:
        for k, img in enumerate(images):
            m = seg.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).segmentation_mask
            out.append(np.clip(m * 255.0 + 0.5, 0, 255).astype(np.uint8))
            if progress and k % 200 == 199:
                log.info("person masks: %d / %d", k + 1, len(images))
    finally:
        seg.close()
    return out


def face_outlines(images: list[np.ndarray], progress: bool = False) -> list[list[np.ndarray]] | None:
    """The app's face tracker (still-photo mode, up to 4 faces) on each image: face-oval outlines per image,
    float32 (N, 2) pixels; None without mediapipe."""
    try:
        from tryon_desktop.core.masks import FACE_OVAL
        from tryon_desktop.vision.face_tracker import FaceTracker
        tracker = FaceTracker(max_faces=4, video=False)
    except Exception as exc:  # noqa: BLE001 (mediapipe missing or unusable: train without priors)
        log.warning("face outlines need the face tracker (%s): training without face priors", exc)
        return None
    out = []
    try:
        for k, img in enumerate(images):
            out.append([np.asarray(f.landmarks[list(FACE_OVAL)], np.float32) for f in tracker.track(img)])
            if progress and k % 200 == 199:
                log.info("face outlines: %d / %d", k + 1, len(images))
    finally:
        tracker.close()
    return out


def _load_faces(items: list[CacheItem], face_cache: Path, progress: bool) -> None:
    """Fill items' faces from face_cache (JSON {id: [[[x, y], ...], ...]}), computing what is missing."""
    known: dict = {}
    if face_cache.exists():
        try:
            known = json.loads(face_cache.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            known = {}
    todo = [it for it in items if it.id not in known]
    if todo:
        found = face_outlines([it.image for it in todo], progress)
        if found is None:
            return
        for it, polys in zip(todo, found, strict=True):
            known[it.id] = [np.round(p, 2).tolist() for p in polys]
        tmp = face_cache.with_name(face_cache.name + ".tmp")
        tmp.write_text(json.dumps(known), encoding="utf-8")
        tmp.replace(face_cache)
    for it in items:
        it.faces = [np.asarray(p, np.float32).reshape(-1, 2) for p in known.get(it.id, [])]


def load_cache(root: str | Path, with_person: bool = True, person_cache: str | Path | None = None,
               progress: bool = False, face_cache: str | Path | None = None) -> GarmentCache:
    """Read the whole cache into memory (it is small: hundreds to a few thousand images <= 640 px)."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"garment cache folder not found: {root}")
    entries = read_index(root)
    items: list[CacheItem] = []
    bad = 0
    for e in entries:
        iid = str(e["id"])
        img = cv2.imread(str(root / "images" / f"{iid}.jpg"), cv2.IMREAD_COLOR)
        m = cv2.imread(str(root / "masks" / f"{iid}.png"), cv2.IMREAD_GRAYSCALE)
        if img is None or m is None or img.shape[:2] != m.shape[:2] or min(img.shape[:2]) < 32:
            bad += 1
            continue
        frame = e.get("frame")
        items.append(CacheItem(id=iid, source=str(e.get("source", iid)), frame=None if frame is None else int(frame),
                               real=bool(e.get("real", True)), confident=bool(e.get("confident", True)),
                               reason=str(e.get("reason", "")), image=img, mask=m, garment_box=_box(m)))
    if not items:
        raise InputError(f"garment cache {root} holds no readable image + mask pairs ({bad} unreadable)")
    persons = None
    if with_person:
        pc = Path(person_cache) if person_cache else None
        if pc is not None and pc.exists():
            try:
                with np.load(pc) as z:
                    if all(it.id in z.files and z[it.id].shape == it.mask.shape for it in items):
                        persons = [z[it.id] for it in items]
            except (OSError, ValueError):
                persons = None
        if persons is None:
            persons = person_masks([it.image for it in items], progress)
            if persons is not None and pc is not None:
                tmp = pc.with_name(pc.stem + ".tmp.npz")
                np.savez_compressed(tmp, **{it.id: p for it, p in zip(items, persons, strict=True)})
                tmp.replace(pc)
    if persons is not None:
        for it, p in zip(items, persons, strict=True):
            it.person = p
            it.person_box = _box(p)
    if face_cache is not None:
        _load_faces(items, Path(face_cache), progress)
    for it in items:
        it.weight, it.ignore_below = label_policy(it)
    abstained = sum(it.weight == 0 for it in items)
    holdout = np.array([is_held_out(it.split_key) for it in items], bool)
    if holdout.sum() == 0 and len(items) >= 12:  # tiny caches: still hold something out
        holdout[np.argsort([hashlib.md5(it.split_key.encode()).hexdigest() for it in items])[:1]] = True
    groups: dict[str, dict] = {}
    for it, h in zip(items, holdout, strict=True):
        g = groups.setdefault(it.group, {"items": 0, "held_out": 0, "empty_masks": 0, "not_confident": 0})
        g["items"] += 1
        g["held_out"] += int(h)
        g["empty_masks"] += int(it.garment_box is None)
        g["not_confident"] += int(not it.confident)
        g["not_used"] = g.get("not_used", 0) + int(it.weight == 0)
    stats = {"cache": str(root), "items": len(items), "unreadable": bad, "held_out": int(holdout.sum()),
             "abstained_not_used": abstained,
             "empty_masks": sum(it.garment_box is None for it in items), "real": sum(it.real for it in items),
             "person_masks": persons is not None, "groups": groups}
    return GarmentCache(root=root, items=items, holdout=holdout, stats=stats)


def sampling_weights(cache: GarmentCache, indices: np.ndarray) -> np.ndarray:
    """Each source group weighs sqrt(its size): a 300-frame video does not drown 20 photos."""
    counts: dict[str, int] = {}
    for i in indices:
        g = cache.items[i].group
        counts[g] = counts.get(g, 0) + 1
    w = np.array([1.0 / math.sqrt(counts[cache.items[i].group]) for i in indices])
    return w / w.sum()


# ---------------------------------------------------------------- backgrounds


def _low_freq(rng: np.random.Generator, h: int, w: int, cells: tuple[int, int], amp: float) -> np.ndarray:
    g = rng.normal(0.0, amp, (cells[1], cells[0], 3)).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)


def random_background(rng: np.random.Generator, cache: GarmentCache | None = None, h: int = CH, w: int = CW) -> np.ndarray:
    """Procedural room-like backgrounds, or a person-free crop of another cache image."""
    kind = rng.random()
    if cache is not None and kind < 0.35:
        for _ in range(4):
            it = cache.items[int(rng.integers(len(cache)))]
            ih, iw = it.image.shape[:2]
            ch = int(ih * rng.uniform(0.25, 0.7))
            cw = min(iw, int(ch * w / h))
            ch = int(cw * h / w)
            if ch < 16:
                continue
            y, x = int(rng.integers(0, ih - ch + 1)), int(rng.integers(0, iw - cw + 1))
            if it.person is not None:
                if float(it.person[y:y + ch, x:x + cw].mean()) > 8.0:
                    continue
            elif float(it.mask[y:y + ch, x:x + cw].mean()) > 2.0:
                continue
            crop = it.image[y:y + ch, x:x + cw]
            bg = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR)
            return cv2.flip(bg, 1) if rng.random() < 0.5 else bg
    base = rng.uniform(20, 235, 3).astype(np.float32)
    bg = np.empty((h, w, 3), np.float32)
    bg[:] = base
    # a gradient (window light) and low-frequency blotches
    ang = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(ang) * np.linspace(0, 1, w, dtype=np.float32)[None, :]
            + np.sin(ang) * np.linspace(0, 1, h, dtype=np.float32)[:, None])[..., None]
    bg += ramp * rng.uniform(-70, 70, 3).astype(np.float32)
    bg += _low_freq(rng, h, w, (int(rng.integers(2, 8)), int(rng.integers(2, 6))), float(rng.uniform(5, 35)))
    if kind < 0.8:  # furniture: shelves, doors, frames, windows
        for _ in range(int(rng.integers(1, 7))):
            x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
            x1, y1 = x0 + int(rng.integers(w // 12, w // 2)), y0 + int(rng.integers(h // 12, h))
            col = rng.uniform(0, 255, 3)
            cv2.rectangle(bg, (x0, y0), (x1, y1), col.tolist(), -1)
            if rng.random() < 0.3:
                cv2.rectangle(bg, (x0, y0), (x1, y1), (col * 0.5).tolist(), int(rng.integers(1, 5)))
    if rng.random() < 0.5:
        k = int(rng.integers(1, 4)) * 2 + 1
        bg = cv2.GaussianBlur(bg, (k, k), 0)
    return np.clip(bg, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- geometry


def choose_window(item: CacheItem, rng: np.random.Generator) -> tuple[float, float, float]:
    """A 16:9 camera window on the source image: (centre x, centre y, height) in source pixels."""
    ih, iw = item.image.shape[:2]
    gb, pb = item.garment_box, item.person_box
    r = rng.random()
    if gb is not None and r < 0.7:
        top = pb[1] if pb is not None and pb[1] < gb[1] else max(0.0, gb[1] - 0.35 * (gb[3] - gb[1]))
        head = max(gb[1] - top, 0.08 * (gb[3] - gb[1]), 12.0)  # head + neck height, from the top of the person
        px = 0.5 * (gb[0] + gb[2]) if pb is None else 0.5 * (pb[0] + pb[2])
        if r < 0.35:  # upper body, webcam distance
            hgt = head * rng.uniform(2.0, 4.5)
            y0 = top - head * rng.uniform(0.1, 0.9)
        elif r < 0.6:  # head and shoulders only, or cut at the chest
            hgt = head * rng.uniform(1.35, 2.1)
            y0 = top - head * rng.uniform(0.05, 0.45)
        else:  # far away, small or off-centre
            hgt = head * rng.uniform(4.5, 10.0)
            y0 = top - hgt * rng.uniform(0.02, 0.35)
        cx = px + rng.uniform(-0.3, 0.3) * hgt * 16 / 9
        return cx, y0 + hgt / 2, hgt
    if r < 0.85:  # the whole photo letterboxed, a little zoom
        s = Letterbox.fit(iw, ih, 16, 9).scale
        hgt = 9 / s * rng.uniform(0.85, 1.1)
        return iw / 2 + rng.uniform(-0.05, 0.05) * iw, ih / 2 + rng.uniform(-0.05, 0.05) * ih, hgt
    hgt = ih * rng.uniform(0.35, 1.3)
    return rng.uniform(0.2, 0.8) * iw, rng.uniform(0.25, 0.75) * ih, hgt


def window_affine(cx: float, cy: float, hgt: float, angle_deg: float, flip: bool, out_w: int = CW,
                  out_h: int = CH) -> np.ndarray:
    s = out_h / hgt
    M = cv2.getRotationMatrix2D((cx, cy), angle_deg, s)
    M[0, 2] += out_w / 2 - cx
    M[1, 2] += out_h / 2 - cy
    if flip:
        M[0] = -M[0]
        M[0, 2] += out_w
    return M


# ---------------------------------------------------------------- appearance


def _skin_bgr(rng: np.random.Generator) -> np.ndarray:
    lab = np.array([[[rng.uniform(30, 88), rng.uniform(6, 24), rng.uniform(10, 32)]]], np.float32)
    return (cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)[0, 0] * 255.0).clip(0, 255)


def paste_hands(img: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> None:
    """Skin-coloured hands / forearms (palm ellipse + fingers, shaded) over the garment; target zeroed."""
    h, w = target.shape
    ys, xs = np.nonzero(target > 0.5)
    for _ in range(int(rng.integers(1, 3))):
        if len(xs) and rng.random() < 0.85:
            k = int(rng.integers(len(xs)))
            cx, cy = float(xs[k]), float(ys[k])
        else:
            cx, cy = rng.uniform(0, w), rng.uniform(h * 0.3, h)
        size = h * rng.uniform(0.07, 0.2)
        alpha = np.zeros((h, w), np.float32)
        ang = rng.uniform(0, 360)
        cv2.ellipse(alpha, (int(cx), int(cy)), (int(size * 0.55), int(size * 0.7)), ang, 0, 360, 1.0, -1, cv2.LINE_AA)
        t = math.radians(ang - 90)
        for _ in range(int(rng.integers(0, 5))):  # fingers
            fa = t + rng.uniform(-0.6, 0.6)
            fx, fy = cx + math.cos(fa) * size * 0.9, cy + math.sin(fa) * size * 0.9
            cv2.ellipse(alpha, (int(fx), int(fy)), (int(size * 0.42), max(1, int(size * 0.12))),
                        math.degrees(fa), 0, 360, 1.0, -1, cv2.LINE_AA)
        if rng.random() < 0.4:  # the forearm leading to it
            fa = t + math.pi + rng.uniform(-0.5, 0.5)
            ex, ey = cx + math.cos(fa) * size * 3.0, cy + math.sin(fa) * size * 3.0
            cv2.line(alpha, (int(cx), int(cy)), (int(ex), int(ey)), 1.0, max(2, int(size * 0.7)), cv2.LINE_AA)
        alpha = cv2.GaussianBlur(alpha, (3, 3), 0)
        col = _skin_bgr(rng).astype(np.float32)
        shade = 1.0 + _low_freq(rng, h, w, (3, 3), 0.08)[..., :1] + 0.02 * rng.standard_normal((h, w, 1), np.float32)
        hand = np.clip(col * shade, 0, 255)
        a = alpha[..., None]
        img[:] = (img * (1 - a) + hand * a).astype(np.uint8)
        target *= 1.0 - alpha


def paste_object(img: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> None:
    """A non-skin object held in front (phone, mug, book): not garment."""
    h, w = target.shape
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.4, 1.0) * h
    bw, bh = rng.uniform(0.04, 0.15) * w, rng.uniform(0.06, 0.3) * h
    alpha = np.zeros((h, w), np.float32)
    box = ((cx, cy), (bw, bh), rng.uniform(-30, 30))
    pts = cv2.boxPoints(box).astype(np.int32)
    cv2.fillPoly(alpha, [pts], 1.0, cv2.LINE_AA)
    col = rng.uniform(0, 255, 3).astype(np.float32)
    a = alpha[..., None]
    img[:] = (img * (1 - a) + col * a).astype(np.uint8)
    target *= 1.0 - alpha


def recolour_region(img: np.ndarray, weight: np.ndarray, rng: np.random.Generator) -> None:
    """Shift hue / saturation / value inside a soft region (a garment of another colour, same folds)."""
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 180)) % 180
    if rng.random() < 0.5:
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.3, 2.5) + rng.uniform(-20, 60), 0, 255)
    v = hsv[..., 2]
    mode = rng.random()
    if mode < 0.3:  # darker (black garment) or lighter (white garment), keeping the folds' contrast
        gain = rng.uniform(0.25, 0.7)
        hsv[..., 2] = v * gain
    elif mode < 0.6:
        hsv[..., 2] = 255 - (255 - v) * rng.uniform(0.25, 0.7)
    new = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    a = weight[..., None]
    img[:] = (img * (1 - a) + new * a + 0.5).astype(np.uint8)


def open_jacket(img: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> None:
    """A vertical band down the garment's middle in another colour: the shirt under an open jacket."""
    ys, xs = np.nonzero(target > 0.5)
    if len(xs) < 50:
        return
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    cx = rng.uniform(0.4, 0.6) * (x0 + x1)
    half_top = rng.uniform(0.03, 0.12) * (x1 - x0)
    half_bot = half_top * rng.uniform(0.6, 2.0)
    band = np.zeros(target.shape, np.float32)
    pts = np.array([[cx - half_top, y0], [cx + half_top, y0], [cx + half_bot, y1], [cx - half_bot, y1]], np.int32)
    cv2.fillPoly(band, [pts], 1.0, cv2.LINE_AA)
    recolour_region(img, band * target, rng)


def _motion_kernel(rng: np.random.Generator) -> np.ndarray:
    n = int(rng.integers(3, 10))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0
    M = cv2.getRotationMatrix2D(((n - 1) / 2, (n - 1) / 2), rng.uniform(0, 180), 1.0)
    k = cv2.warpAffine(k, M, (n, n))
    return k / max(float(k.sum()), 1e-6)


def camera(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Webcam look on a uint8 BGR image: optics, exposure and white balance, noise, tone curve, JPEG."""
    if strength <= 0:
        return img
    p = lambda x: rng.random() < x * strength  # noqa: E731
    x = img
    if p(0.15):
        x = cv2.filter2D(x, -1, _motion_kernel(rng))
    elif p(0.2):
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.4))
    if p(0.15):  # low-resolution sensor / digital zoom
        f = rng.uniform(1.5, 3.0)
        small = cv2.resize(x, (max(8, int(x.shape[1] / f)), max(8, int(x.shape[0] / f))), interpolation=cv2.INTER_AREA)
        x = cv2.resize(small, (x.shape[1], x.shape[0]), interpolation=cv2.INTER_LINEAR)
    f = x.astype(np.float32) * (1.0 / 255.0)
    lin = f * f  # gamma 2 as the sensor-side curve: cheap, close enough for augmentation
    gain = math.exp(rng.uniform(-0.9, 0.6)) if p(0.8) else 1.0
    wb = np.exp(rng.normal(0, 0.12, 3)).astype(np.float32) if p(0.7) else np.ones(3, np.float32)
    lin = lin * (gain * wb).astype(np.float32)
    if p(0.6):  # shot + read noise, a little chroma noise
        sigma = rng.uniform(0.002, 0.03)
        lin = lin + rng.standard_normal(lin.shape, np.float32) * np.float32(sigma) * np.sqrt(np.maximum(lin, 0) + 0.02)
    f = np.sqrt(np.clip(lin, 0, 1))
    if p(0.5):
        g = rng.uniform(0.7, 1.4)
        f = f ** g
    if p(0.4):
        c = rng.uniform(0.7, 1.3)
        f = (f - 0.5) * c + 0.5
    if p(0.3):
        grey = f.mean(2, keepdims=True)
        f = grey + (f - grey) * rng.uniform(0.3, 1.5)
    out = np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if p(0.45):
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 92))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out


# ---------------------------------------------------------------- samples


def _care_map(it: CacheItem) -> np.ndarray | None:
    if it.ignore_below >= 1.0:
        return None
    care = np.ones(it.mask.shape, np.float32)
    care[int(it.ignore_below * care.shape[0]):] = 0.0
    return care


PRIOR_DROP = 0.15  # share of samples whose faces the tracker "lost": the network must work without a prior
PRIOR_INSIDE = 0.75  # a face less inside the window than this is one the tracker would not find


def sample_prior(it: CacheItem, M: np.ndarray, rng: np.random.Generator | None = None, aug: float = 1.0) -> np.ndarray:
    """The face prior (vision.garment_mask.face_prior) of an item seen through the 2x3 map M (image -> input
    pixels). With rng: dropped now and then, faces cut by the window edge left out, and each outline moved
    and scaled a little as the tracker's outline wobbles."""
    faces = it.faces or []
    if not faces or (rng is not None and rng.random() < PRIOR_DROP * aug):
        return face_prior([], M)
    keep = []
    for p in faces:
        q = p @ M[:, :2].T.astype(np.float32) + M[:, 2].astype(np.float32)
        inside = float(((q[:, 0] >= 0) & (q[:, 0] < IN_W) & (q[:, 1] >= 0) & (q[:, 1] < IN_H)).mean())
        if inside < PRIOR_INSIDE:
            continue
        if rng is not None and aug > 0:
            c = p.mean(0)
            fw = float(p[:, 0].max() - p[:, 0].min())
            p = (p - c) * np.float32(1.0 + rng.normal(0, 0.03 * aug)) + c + rng.normal(0, 0.03 * aug * fw, 2).astype(np.float32)
        keep.append(p)
    return face_prior(keep, M)


def augmented_sample(cache: GarmentCache, idx: int, rng: np.random.Generator, aug: float = 1.0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(image uint8 (IN_H, IN_W, 3) BGR, target float32 (IN_H, IN_W) in [0, 1], per-pixel loss weight
    float32 (IN_H, IN_W), face prior float32 (IN_H, IN_W): all 0 when the item's faces are unknown)."""
    it = cache.items[idx]
    care = _care_map(it)
    if aug <= 0:
        img, tgt, prior = letterboxed(it)
        wmap = np.full(tgt.shape, it.weight, np.float32)
        if care is not None:
            box = Letterbox.fit(it.image.shape[1], it.image.shape[0])
            wmap[box.y0:box.y0 + box.h_in, box.x0:box.x0 + box.w_in] *= cv2.resize(care, (box.w_in, box.h_in))
        return img, tgt, wmap, prior
    cx, cy, hgt = choose_window(it, rng)
    M = window_affine(cx, cy, hgt, rng.normal(0, 4.0) if rng.random() < 0.5 else 0.0, rng.random() < 0.5)
    # the photo and its mask warp onto the 2x canvas and shrink with INTER_AREA (as the app shrinks frames);
    # the coverage and person maps warp straight to the network's size
    img = cv2.warpAffine(it.image, M, (CW, CH), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    img = cv2.resize(img, (IN_W, IN_H), interpolation=cv2.INTER_AREA)
    M1 = M * np.float64(IN_W / CW)
    tgt = cv2.warpAffine(it.mask, M, (CW, CH), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    tgt = cv2.resize(tgt.astype(np.float32), (IN_W, IN_H), interpolation=cv2.INTER_AREA) * np.float32(1.0 / 255.0)
    ih, iw = it.mask.shape
    valid = cv2.warpAffine(np.ones((ih, iw), np.float32), M1, (IN_W, IN_H), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT)
    wmap = np.full((IN_H, IN_W), it.weight, np.float32)
    if care is not None:  # outside the photo the new background is surely "not garment": full weight there
        wmap *= cv2.warpAffine(care, M1, (IN_W, IN_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=1.0)
    swap = it.person is not None and rng.random() < 0.35 * aug
    if swap:
        person = cv2.warpAffine(it.person, M1, (IN_W, IN_H), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT).astype(np.float32) * np.float32(1.0 / 255.0)
        person = cv2.GaussianBlur(np.clip((person - 0.5) * 3.0 + 0.5, 0, 1), (3, 3), 0)
        alpha = valid * person
    else:
        alpha = valid
    if swap or valid.min() < 0.999:
        if rng.random() < 0.3 and not swap:
            bg = np.full((IN_H, IN_W, 3), PAD_VALUE, np.uint8)  # the run-time letterbox fill
        else:
            bg = random_background(rng, cache, IN_H, IN_W)
        a = alpha[..., None]
        img = (img * a + bg * (1 - a) + 0.5).astype(np.uint8)
        tgt = tgt * alpha
    has_garment = float(tgt.max()) > 0.5
    if has_garment and rng.random() < 0.35 * aug:
        recolour_region(img, np.clip(tgt * 1.5 - 0.25, 0, 1), rng)
    if has_garment and rng.random() < 0.15 * aug:
        open_jacket(img, tgt, rng)
    if has_garment and rng.random() < 0.3 * aug:
        paste_hands(img, tgt, rng)
    if rng.random() < 0.08 * aug:
        paste_object(img, tgt, rng)
    img = camera(img, rng, aug)
    return img, np.clip(tgt, 0.0, 1.0), wmap, sample_prior(it, M1, rng, aug)


def letterboxed(it: CacheItem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The whole image as the app would feed it (Letterbox, the run-time code), its target and face prior."""
    ih, iw = it.image.shape[:2]
    box = Letterbox.fit(iw, ih)
    img = box.place(it.image)
    m = np.zeros((IN_H, IN_W), np.float32)
    m[box.y0:box.y0 + box.h_in, box.x0:box.x0 + box.w_in] = cv2.resize(
        it.mask.astype(np.float32) * (1.0 / 255.0), (box.w_in, box.h_in), interpolation=cv2.INTER_AREA)
    return img, m, sample_prior(it, box.affine())


def to_chw01(bgr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(bgr[..., ::-1].transpose(2, 0, 1), dtype=np.float32) * np.float32(1.0 / 255.0)


# ---------------------------------------------------------------- stand-in and test caches


def write_cache(dest: str | Path, samples: list[tuple[str, dict, np.ndarray, np.ndarray]]) -> Path:
    """Write (id, entry, image, mask uint8) samples in the teacher's cache layout, DONE last."""
    dest = Path(dest)
    (dest / "images").mkdir(parents=True, exist_ok=True)
    (dest / "masks").mkdir(parents=True, exist_ok=True)
    index = []
    for iid, entry, img, m in samples:
        h, w = img.shape[:2]
        s = min(1.0, 640.0 / max(h, w))
        if s < 1.0:
            img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
            m = cv2.resize(m, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(dest / "images" / f"{iid}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        cv2.imwrite(str(dest / "masks" / f"{iid}.png"), m)
        index.append({"id": iid, **entry})
    (dest / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    (dest / "DONE").write_text("", encoding="utf-8")
    return dest


def build_standin_cache(data_root: str | Path, dest: str | Path) -> Path:
    """A cache from the hand-labelled and model-labelled garment maps in the shared data (for development
    before the teacher's cache exists): clothseg (1 upper, 3 full body) and CIHP (5, 6, 7)."""
    root = Path(data_root)
    samples = []
    for folder, ids in (("bodies/train/clothseg", (1, 3)), ("bodies/train/cihp", (5, 6, 7))):
        for parse in sorted((root / folder).glob("*_parse.png")):
            img_path = parse.with_name(parse.name.replace("_parse.png", ".jpg"))
            img = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
            lab = cv2.imread(str(parse), cv2.IMREAD_UNCHANGED)
            if img is None or lab is None or lab.shape[:2] != img.shape[:2]:
                continue
            m = np.isin(lab, ids).astype(np.uint8) * 255
            iid = f"{Path(folder).name}_{img_path.stem}"
            samples.append((iid, {"source": f"{folder}/{img_path.name}", "frame": None, "real": True,
                                  "confident": True, "reason": "stand-in label map"}, img, m))
    if not samples:
        raise InputError(f"no labelled garment maps under {root}/bodies/train/{{clothseg,cihp}}")
    return write_cache(dest, samples)


def synthetic_cache(dest: str | Path) -> Path:
    """A tiny cache from package-shipped photos (always present), for smoke tests: grace_hopper.jpg with
    her uniform (the lower part of the photo) as the garment, and a face-only crop with an empty mask."""
    from tryon_desktop.train.smoke_data import package_faces

    samples = []
    for k, path in enumerate(package_faces()):
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        h, w = img.shape[:2]
        m = np.zeros((h, w), np.uint8)
        pts = np.array([[0, h], [0, int(0.78 * h)], [int(0.25 * w), int(0.68 * h)], [int(0.75 * w), int(0.68 * h)],
                        [w, int(0.78 * h)], [w, h]], np.int32)
        cv2.fillPoly(m, [pts], 255)
        m = cv2.GaussianBlur(m, (7, 7), 0)
        samples.append((f"pkg{k}", {"source": f"package/{path.name}", "frame": None, "real": True,
                                    "confident": True, "reason": "smoke"}, img, m))
        face = img[int(0.1 * h):int(0.55 * h), int(0.25 * w):int(0.75 * w)]
        samples.append((f"pkg{k}_face", {"source": f"package/{path.name}", "frame": None, "real": True,
                                         "confident": True, "reason": "face only"}, face.copy(),
                        np.zeros(face.shape[:2], np.uint8)))
    return write_cache(dest, samples)
