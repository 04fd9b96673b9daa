"""Snapshots (PNG + look in text chunks + JSON sidecar) and MP4 recording, all written atomically.

Every file is written under a temporary name in the target folder and moved into place with
os.replace, so a full disk or a crash leaves no partial snapshot or video behind. Nothing here runs
unless the user asks for it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.media import create_temp_beside
from tryon_desktop.errors import OutputError

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def text_chunk(key: str, value: str) -> bytes:
    """tEXt when the value is Latin-1 (what most viewers show), iTXt (UTF-8) otherwise."""
    k = key.encode("latin-1")[:79]
    try:
        return _chunk(b"tEXt", k + b"\0" + value.encode("latin-1"))
    except UnicodeEncodeError:
        return _chunk(b"iTXt", k + b"\0\0\0" + b"\0" + b"\0" + value.encode("utf-8"))


def png_with_text(png: bytes, texts: dict[str, str]) -> bytes:
    """Insert text chunks right after IHDR of an encoded PNG."""
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    ihdr_len = struct.unpack(">I", png[8:12])[0]
    end = 8 + 12 + ihdr_len
    extra = b"".join(text_chunk(k, v) for k, v in texts.items())
    return png[:end] + extra + png[end:]


def read_png_text(data: bytes) -> dict[str, str]:
    """The tEXt/iTXt chunks of a PNG (used by tests and by the snapshot strip)."""
    out: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"tEXt":
            k, _, v = body.partition(b"\0")
            out[k.decode("latin-1")] = v.decode("latin-1")
        elif kind == b"iTXt":
            k, _, rest = body.partition(b"\0")
            rest = rest[2:]  # compression flag and method
            _lang, _, rest = rest.partition(b"\0")
            _tkey, _, text = rest.partition(b"\0")
            out[k.decode("latin-1")] = text.decode("utf-8")
        elif kind == b"IEND":
            break
        pos += 12 + length
    return out


def _plain_os_error(exc: OSError, target: Path) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError(f"the disk is full: nothing was written to {target.parent}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"cannot write to {target.parent}: permission denied")
    return OutputError(f"cannot write {target.name}: {exc.strerror or exc}")


def folder_problem(folder: str | os.PathLike) -> str | None:
    """Why snapshots cannot be saved in `folder`, checked without creating anything: None when they can,
    else 'is_file' (a file has that name), 'not_writable' (exists, no permission), 'cannot_create' (a
    parent is a file or is not writable) or 'empty' (no folder given)."""
    if not str(folder).strip():
        return "empty"
    path = Path(folder).expanduser()
    if path.exists():
        if not path.is_dir():
            return "is_file"
        return None if os.access(path, os.W_OK | os.X_OK) else "not_writable"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return "cannot_create"
    return None


def atomic_write(target: Path, data: bytes) -> None:
    """Write bytes to `target` via a temp file in the same folder and os.replace; no partial file on error."""
    fd, tmp = create_temp_beside(target, suffix=target.suffix, prefix=".tmp-")  # the umask applies, not 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@dataclass
class Snapshot:
    png: Path
    sidecar: Path
    meta: dict
    thumbnail: np.ndarray | None = None  # small BGR image for the strip


def snapshot_meta(look, model: dict, mirrored: bool, size: tuple[int, int], when: datetime | None = None) -> dict:
    """Everything a snapshot or recording says about itself: the whole look (every effect) and, per effect
    worn, what made it (from model_info: each effect's describe()). The flat shade keys repeat the lipstick
    for readers of earlier snapshots."""
    from tryon_desktop import __version__

    when = when or datetime.now(timezone.utc).astimezone()
    shade = getattr(look, "lipstick", None)
    outfit = getattr(look, "outfit", None)
    effects = model.get("effects") or {}
    worn = {kind: effects.get(kind, {}) for kind, on in (("lipstick", shade), ("outfit", outfit)) if on is not None}
    if outfit is not None and effects.get("garment_mask"):
        worn["garment_mask"] = effects["garment_mask"]
    return {
        "app": f"tryon-desktop {__version__}",
        "time": when.isoformat(timespec="seconds"),
        "look": look.to_dict() if hasattr(look, "to_dict") else None,
        "models": worn,
        "shade": shade.name if shade else None,
        "hex": shade.hex if shade else None,
        "finish": shade.finish.value if shade else None,
        "opacity": round(float(shade.opacity), 3) if shade else None,
        "family": shade.family if shade else None,
        "outfit": outfit.name if outfit else None,
        "model": {"renderer": model.get("renderer", ""), "version": model.get("version", ""),
                  "sha256": model.get("sha256", ""), "provider": model.get("provider", "")},
        "mirrored": bool(mirrored),
        "width": int(size[0]),
        "height": int(size[1]),
    }


def save_snapshot(frame: np.ndarray, folder: str | os.PathLike, meta: dict, stem: str | None = None) -> Snapshot:
    """Save `frame` (BGR uint8) as PNG with `meta` in text chunks, plus a JSON sidecar. Raises OutputError."""
    folder = Path(folder)
    stem = stem or "tryon-" + datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
    png_path = folder / f"{stem}.png"
    json_path = folder / f"{stem}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _plain_os_error(exc, png_path) from None
    ok, enc = cv2.imencode(".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OutputError("the frame could not be encoded as PNG")
    texts = {
        "Title": "tryon-desktop snapshot: " + (" + ".join(x for x in (meta.get("shade"), meta.get("outfit")) if x) or "bare"),
        "Software": str(meta.get("app", "tryon-desktop")),
        "Creation Time": str(meta.get("time", "")),
        "tryon:look": json.dumps(meta, ensure_ascii=False, sort_keys=True),
    }
    for key in ("shade", "hex", "finish", "opacity", "outfit"):
        if meta.get(key) is not None:
            texts[f"tryon:{key}"] = str(meta[key])
    model = meta.get("model") or {}
    texts["tryon:model_version"] = str(model.get("version", ""))
    texts["tryon:model_sha256"] = str(model.get("sha256", ""))
    for kind, info in (meta.get("models") or {}).items():
        texts[f"tryon:{kind}_model"] = f"{info.get('renderer', '')} {info.get('version', '')} sha256:{info.get('sha256', '')}"
    data = png_with_text(enc.tobytes(), texts)
    sidecar = (json.dumps(dict(meta, image=png_path.name), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    try:
        atomic_write(json_path, sidecar)
        try:
            atomic_write(png_path, data)
        except BaseException:
            json_path.unlink(missing_ok=True)  # no orphan sidecar
            raise
    except OSError as exc:
        raise _plain_os_error(exc, png_path) from None
    h, w = frame.shape[:2]
    th = 72
    thumb = cv2.resize(frame, (max(1, int(w * th / h)), th), interpolation=cv2.INTER_AREA)
    return Snapshot(png=png_path, sidecar=json_path, meta=meta, thumbnail=thumb)


def recent_snapshots(folder: str | os.PathLike, limit: int, thumb_height: int = 72) -> list[Snapshot]:
    """The newest `limit` snapshots (tryon-*.png) already in `folder`, newest first, with thumbnails and
    their look (from the JSON sidecar, else the PNG's text chunks). Unreadable files are skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for png in folder.glob("tryon-*.png"):
        try:
            found.append((png.stat().st_mtime, png.name, png))
        except OSError:
            continue
    found.sort(reverse=True)
    out: list[Snapshot] = []
    for _, _, png in found:
        if len(out) >= limit:
            break
        try:
            data = png.read_bytes()
        except OSError:
            continue
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_2)
        if img is None or img.size == 0:
            continue
        h, w = img.shape[:2]
        thumb = cv2.resize(img, (max(1, int(w * thumb_height / h)), thumb_height), interpolation=cv2.INTER_AREA)
        sidecar = png.with_suffix(".json")
        meta: dict = {}
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            try:
                meta = json.loads(read_png_text(data).get("tryon:look", "{}"))
            except ValueError:
                meta = {}
        if not isinstance(meta, dict):
            meta = {}
        out.append(Snapshot(png=png, sidecar=sidecar, meta=meta, thumbnail=thumb))
    return out


class VideoRecorder(threading.Thread):
    """Encodes pushed frames to MP4 (mp4v) at `fps`, in its own thread, into a temp file renamed on stop.

    Frames are placed by their capture time: when the stream runs slower than `fps` a frame is repeated,
    when faster one is skipped, so the video plays back at the speed it was lived.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int]) -> None:
        super().__init__(name="recorder", daemon=True)
        self.path = Path(path)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.frames_written = 0
        self.frames_pushed = 0
        self.dropped = 0
        self.error: str | None = None
        self._t0: float | None = None
        self._writer = None
        self._stopping = threading.Event()
        self.t_last: float | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = create_temp_beside(self.path, suffix=".mp4", prefix=".rec-")  # umask applies, not 0600
            os.close(fd)
        except OSError as exc:
            raise _plain_os_error(exc, self.path) from None
        self._tmp = tmp
        writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, self.size)
        if not writer.isOpened():
            self._tmp.unlink(missing_ok=True)
            raise OutputError(f"cannot start a video in {self.path.parent}")
        self._writer = writer

    def push(self, frame: np.ndarray, t: float, mirrored: bool = False) -> bool:
        """Queue a frame (never blocks the caller). False when the encoder is behind and it was dropped."""
        if self._stopping.is_set():
            return False
        try:
            self.queue.put_nowait((frame, t, mirrored))
            self.frames_pushed += 1
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def stop(self) -> None:
        """Ask the encoder to finish (never blocks): frames already queued are still written."""
        self._stopping.set()

    def run(self) -> None:
        try:
            while True:
                try:
                    frame, t, mirrored = self.queue.get(timeout=0.05)
                except queue.Empty:
                    if self._stopping.is_set():
                        break
                    continue
                if self.error is None:
                    self._write(cv2.flip(frame, 1) if mirrored else frame, t)
        except Exception as exc:  # an encoder failure must not take the app down
            log.exception("recording failed")
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._finish()

    def _write(self, frame: np.ndarray, t: float) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        if self._t0 is None:
            self._t0 = t
        self.t_last = t
        due = int((t - self._t0) * self.fps + 1e-6) + 1  # frames that should exist up to this moment
        n = max(0, due - self.frames_written)
        if self.frames_written == 0:
            n = 1
        for _ in range(min(n, int(self.fps * 2))):  # after a long stall repeat at most 2 s
            self._writer.write(frame)
            self.frames_written += 1

    def _finish(self) -> None:
        try:
            if self._writer is not None:
                self._writer.release()
            if self.error is None and self.frames_written > 0:
                # cv2 reports no write errors: a file that did not get its size is a failed one (disk full)
                size = self._tmp.stat().st_size
                if size == 0:
                    raise OSError(errno.ENOSPC, "the video file is empty")
                os.replace(self._tmp, self.path)
            else:
                self._tmp.unlink(missing_ok=True)
        except OSError as exc:
            self.error = str(_plain_os_error(exc, self.path))
            log.error("recording failed: %s", self.error)
            self._tmp.unlink(missing_ok=True)

    def expected_frames(self) -> int:
        """Frames a file of the written span holds at `fps` (what a player should count)."""
        if self._t0 is None or self.t_last is None:
            return 0
        return int((self.t_last - self._t0) * self.fps + 1e-6) + 1

    def finish(self, timeout: float = 5.0) -> Path | None:
        self.stop()
        self.join(timeout)
        return self.path if (self.error is None and self.path.exists()) else None


def recording_name(folder: str | os.PathLike) -> Path:
    return Path(folder) / ("tryon-" + time.strftime("%Y%m%d-%H%M%S") + ".mp4")
