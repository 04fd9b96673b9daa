"""Run the garment teacher over the TRAINING material and cache images + soft masks for the student.

    python tools/build_garment_cache.py --data ../shared/data --out runs/garment_cache [--lowres 300]

Inputs (never anything under */dev/):
  * every photo under bodies/train/** except bodies/train/cihp (kept for evaluation) and label files
    (`*_parse*.png`, `*_personmask.png`);
  * every `--video-step`-th frame of video/train/*.mp4;
  * faces/train/celebahq, and `--lowres` photos of faces/train/lowres (face-only photos teach "mark nothing").

Writes into --out:
  images/<id>.jpg   longest side <= 640, JPEG quality 92
  masks/<id>.png    uint8 0-255 soft garment mask, same size
  index.json        [{"id", "source" (relative to --data), "frame" (or null), "real", "confident", "reason",
                      "teacher"}]
  DONE              empty, written last (a training job waits for it)
Every file is written to a temporary name and renamed. Re-running resumes: ids whose image and mask
already exist are kept (pass --fresh to redo everything).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tryon_desktop.vision.garment_teacher import TEACHER_VERSION, GarmentTeacher  # noqa: E402

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MAX_SIDE = 640


def is_label_file(p: Path) -> bool:
    return "_parse" in p.stem or p.stem.endswith("_personmask")


def is_real(rel: str) -> bool:
    """False for the synthetic photos: echomimic (FLUX) and OOTDiffusion's model_*.jpg."""
    parts = rel.split("/")
    if "echomimic" in parts:
        return False
    if "ootd" in parts and parts[-1].startswith("model_"):
        return False
    return True


def make_id(rel: str, frame: int | None) -> str:
    stem = rel.rsplit(".", 1)[0]
    for prefix in ("bodies/train/", "video/train/", "faces/train/"):
        if stem.startswith(prefix):
            stem = prefix.split("/")[0] + "_" + stem[len(prefix):]
            break
    ident = re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_")
    if frame is not None:
        ident += f"_f{frame:05d}"
    return ident


def list_jobs(data: Path, lowres: int, video_step: int, seed: int = 0):
    """(rel_path, frame or None) in a fixed order."""
    jobs: list[tuple[str, int | None]] = []
    bodies = data / "bodies" / "train"
    if bodies.is_dir():
        for p in sorted(bodies.rglob("*")):
            if p.suffix.lower() not in IMAGE_EXTS or is_label_file(p):
                continue
            rel = p.relative_to(data).as_posix()
            if rel.startswith("bodies/train/cihp/") or "/dev/" in f"/{rel}":
                continue
            jobs.append((rel, None))
    vids = data / "video" / "train"
    if vids.is_dir():
        for p in sorted(vids.glob("*.mp4")):
            cap = cv2.VideoCapture(str(p))
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            cap.release()
            for f in range(0, max(n, 0), video_step):
                jobs.append((p.relative_to(data).as_posix(), f))
    celeb = data / "faces" / "train" / "celebahq"
    if celeb.is_dir():
        for p in sorted(celeb.rglob("*")):
            if p.suffix.lower() in IMAGE_EXTS:
                jobs.append((p.relative_to(data).as_posix(), None))
    low = data / "faces" / "train" / "lowres"
    if low.is_dir() and lowres > 0:
        files = sorted(p for p in low.rglob("*") if p.suffix.lower() in IMAGE_EXTS)
        rng = np.random.default_rng(seed)
        pick = sorted(rng.choice(len(files), size=min(lowres, len(files)), replace=False).tolist())
        jobs += [(files[i].relative_to(data).as_posix(), None) for i in pick]
    return [j for j in jobs if "/dev/" not in f"/{j[0]}"]


def write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def encode(ext: str, img: np.ndarray, params=()) -> bytes:
    ok, buf = cv2.imencode(ext, img, list(params))
    if not ok:
        raise RuntimeError(f"could not encode {ext}")
    return buf.tobytes()


class _Videos:
    """Sequential frame reader per clip (frames asked for in increasing order)."""

    def __init__(self, data: Path):
        self.data = data
        self.rel, self.cap, self.pos = None, None, 0

    def frame(self, rel: str, idx: int):
        if rel != self.rel or idx < self.pos:
            if self.cap is not None:
                self.cap.release()
            self.rel, self.cap, self.pos = rel, cv2.VideoCapture(str(self.data / rel)), 0
        img = None
        while self.pos <= idx:
            ok, img = self.cap.read()
            self.pos += 1
            if not ok:
                return None
        return img

    def close(self):
        if self.cap is not None:
            self.cap.release()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--lowres", type=int, default=300, help="how many faces/train/lowres photos")
    ap.add_argument("--video-step", type=int, default=8)
    ap.add_argument("--fresh", action="store_true", help="ignore what an earlier run left in --out")
    ap.add_argument("--limit", type=int, default=0, help="only the first N jobs (for a quick check)")
    args = ap.parse_args(argv)
    data, out = args.data.resolve(), args.out
    if not data.is_dir():
        print(f"error: data folder {data} does not exist", file=sys.stderr)
        return 2
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    done_flag = out / "DONE"
    if done_flag.exists():
        done_flag.unlink()  # this run is about to change the cache: the old DONE no longer holds
    old: dict[str, dict] = {}
    if not args.fresh and (out / "index.json").exists():
        try:
            old = {e["id"]: e for e in json.loads((out / "index.json").read_text())}
        except (OSError, ValueError, KeyError):
            old = {}

    jobs = list_jobs(data, args.lowres, args.video_step)
    if args.limit:
        jobs = jobs[:args.limit]
    print(f"{len(jobs)} frames to label (teacher v{TEACHER_VERSION}) -> {out}", flush=True)
    index: list[dict] = []
    videos = _Videos(data)
    t_start = time.perf_counter()
    n_conf = n_empty = 0
    with GarmentTeacher() as teacher:
        for k, (rel, frame) in enumerate(jobs):
            ident = make_id(rel, frame)
            img_p, mask_p = out / "images" / f"{ident}.jpg", out / "masks" / f"{ident}.png"
            prev = old.get(ident)
            if (prev is not None and prev.get("teacher") == TEACHER_VERSION and img_p.exists()
                    and mask_p.exists()):
                index.append(prev)
                continue
            img = cv2.imread(str(data / rel), cv2.IMREAD_COLOR) if frame is None else videos.frame(rel, frame)
            if img is None:
                print(f"  skip {rel} {frame}: unreadable", flush=True)
                continue
            h, w = img.shape[:2]
            s = min(1.0, MAX_SIDE / max(h, w))
            if s < 1.0:
                img = cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            try:
                res = teacher(img)
                mask, confident, reason = res.mask, res.confident, res.reason
            except Exception as exc:  # one bad frame must not stop the cache
                print(f"  teacher failed on {rel} {frame}: {exc!r}", flush=True)
                mask, confident, reason = np.zeros(img.shape[:2], np.float32), False, f"teacher error: {exc}"
            m8 = np.clip(np.round(mask * 255), 0, 255).astype(np.uint8)
            write_atomic(img_p, encode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92]))
            write_atomic(mask_p, encode(".png", m8))
            n_conf += bool(confident)
            n_empty += not m8.any()
            index.append({"id": ident, "source": rel, "frame": frame, "real": is_real(rel),
                          "confident": bool(confident), "reason": reason, "teacher": TEACHER_VERSION})
            if (k + 1) % 10 == 0 or k + 1 == len(jobs):
                el = time.perf_counter() - t_start
                print(f"[{k + 1}/{len(jobs)}] {el:.0f}s elapsed, {el / (k + 1):.2f}s/frame; "
                      f"confident {n_conf}, empty {n_empty}; last {ident}: {reason}", flush=True)
                write_atomic(out / "index.json", json.dumps(index, indent=1).encode())
    videos.close()
    write_atomic(out / "index.json", json.dumps(index, indent=1).encode())
    write_atomic(done_flag, b"")
    el = time.perf_counter() - t_start
    print(f"done: {len(index)} entries in {el:.0f}s ({sum(e['confident'] for e in index)} confident, "
          f"{sum(1 for e in index if not e['confident'])} not)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
