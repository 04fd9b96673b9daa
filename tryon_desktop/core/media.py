"""Reading and writing images and videos safely.

Reads validate what they get (empty, truncated, undecodable, odd bit depths and channel counts) and
raise InputError with a one-line message. Writes go to a temporary file beside the target and are
renamed into place, so a crash or a full disk never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.errors import InputError, OutputError

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm"}
MAX_PIXELS = 120_000_000  # a 12K x 10K photo; beyond that we refuse rather than exhaust memory


def demo_photo_path() -> Path:
    """A face photo that always ships with our dependencies (matplotlib comes with mediapipe)."""
    import matplotlib

    return Path(matplotlib.__file__).resolve().parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"


def kind_of(path: str | Path) -> str:
    if Path(path).is_dir():
        raise InputError(f"{Path(path)} is a folder: give an image or a video file")
    ext = Path(path).suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext in VIDEO_EXTS:
        return "video"
    supported = ", ".join(sorted(IMAGE_EXTS | VIDEO_EXTS))
    raise InputError(f"unsupported file type {ext or '(none)'!r} for {Path(path).name}: use one of {supported}")


def _check_file(path: Path) -> int:
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty (0 bytes)")
    return size


def _looks_truncated(data: bytes, ext: str) -> bool:
    if ext in (".jpg", ".jpeg"):
        return b"\xff\xd9" not in data[-4096:]
    if ext == ".png":
        return b"IEND" not in data[-64:]
    return False


@dataclass
class Image:
    bgr: np.ndarray  # HxWx3 uint8, what the engine works on
    alpha: np.ndarray | None  # HxW uint8 when the file had an alpha channel (kept on write)
    note: str | None = None  # what conversion happened, for the user


def to_bgr8(img: np.ndarray, name: str = "image") -> Image:
    """Any decoded OpenCV image -> 8-bit BGR (+ alpha kept aside), saying what was converted."""
    notes = []
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
        notes.append("16-bit converted to 8-bit")
    elif img.dtype in (np.float32, np.float64):
        scale = 255.0 if float(np.nanmax(img)) <= 1.0 else 1.0
        img = np.clip(np.nan_to_num(img) * scale + 0.5, 0, 255).astype(np.uint8)
        notes.append("floating-point image converted to 8-bit")
    elif img.dtype != np.uint8:
        raise InputError(f"{name}: unsupported pixel type {img.dtype}")
    alpha = None
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        notes.append("grayscale image: made-up colour is drawn on a grey picture")
    elif img.ndim == 3 and img.shape[2] == 4:
        alpha = img[:, :, 3].copy()
        img = np.ascontiguousarray(img[:, :, :3])
    elif img.ndim == 3 and img.shape[2] == 2:
        alpha = img[:, :, 1].copy()
        img = cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    elif not (img.ndim == 3 and img.shape[2] == 3):
        raise InputError(f"{name}: unsupported channel layout {img.shape}")
    return Image(bgr=np.ascontiguousarray(img), alpha=alpha, note="; ".join(notes) or None)


def read_image(path: str | Path) -> Image:
    path = Path(path)
    _check_file(path)
    ext = path.suffix.lower()
    if ext not in IMAGE_EXTS:
        kind_of(path)  # raises the unsupported-type message
        raise InputError(f"{path.name} is a video, not an image")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if _looks_truncated(data, ext):
        raise InputError(f"{path.name} is truncated (the file ends before the image does)")
    buf = np.frombuffer(data, np.uint8)
    # Check the size from the header before decoding the pixels of a huge file.
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if img is None:
        raise InputError(f"cannot decode {path.name}: the file is corrupt or not a {ext[1:].upper()} image")
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise InputError(f"{path.name} is too large ({img.shape[1]}x{img.shape[0]}); the limit is "
                         f"{MAX_PIXELS // 1_000_000} megapixels")
    return to_bgr8(img, path.name)


def check_output_path(output: str | Path, inputs: list[str | Path]) -> Path:
    out = Path(output)
    for inp in inputs:
        try:
            if out.exists() and Path(inp).exists() and out.samefile(inp):
                raise OutputError(f"refusing to overwrite the input {inp}: choose another output name")
        except OSError:
            pass
        if out.resolve() == Path(inp).resolve():
            raise OutputError(f"refusing to overwrite the input {inp}: choose another output name")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise OutputError(f"output folder does not exist: {parent}")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"output folder is not writable: {parent}")
    return out


def _os_error_message(exc: OSError, target: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"disk full while writing {target.name}: nothing was written"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to write {target}"
    return f"cannot write {target}: {exc.strerror or exc}"


def _umask_mode() -> int:
    """The mode a plain open() would give a new file (mkstemp's private 0600 surprises users)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write bytes to target via a temporary file in the same folder and an atomic rename."""
    target = Path(target)
    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.resolve().parent)
        with os.fdopen(fd, "wb") as f:
            fd = None
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise OutputError(_os_error_message(exc, target)) from None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def encode_image(bgr: np.ndarray, ext: str, alpha: np.ndarray | None = None) -> bytes:
    ext = ext.lower()
    if ext not in IMAGE_EXTS:
        raise OutputError(f"cannot write images as {ext or '(no extension)'}: use .png or .jpg")
    img = bgr
    if alpha is not None and ext in (".png", ".webp", ".tif", ".tiff"):
        img = np.dstack([bgr, alpha])
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if ext in (".jpg", ".jpeg") else []
    ok, buf = cv2.imencode(ext, img, params)
    if not ok:
        raise OutputError(f"could not encode the image as {ext}")
    return buf.tobytes()


def write_image(target: str | Path, bgr: np.ndarray, alpha: np.ndarray | None = None) -> None:
    target = Path(target)
    atomic_write_bytes(target, encode_image(bgr, target.suffix, alpha))


@dataclass
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int  # as the container claims; may be 0 or wrong


def open_video(path: str | Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() not in VIDEO_EXTS:
        kind_of(path)
        raise InputError(f"{path.name} is an image, not a video")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"cannot open video {path.name}: the file is corrupt or in an unsupported codec")
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        raise InputError(f"video {path.name} has no readable frames (corrupt or truncated)")
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    fps = cap.get(cv2.CAP_PROP_FPS)
    if not (1.0 <= fps <= 240.0):
        fps = 30.0
    info = VideoInfo(width=first.shape[1], height=first.shape[0], fps=float(fps),
                     frames=max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))))
    return cap, info


class AtomicVideoWriter:
    """cv2.VideoWriter into a temporary file, renamed onto the target only by commit()."""

    FOURCC = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "mp4v"}

    def __init__(self, target: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.target = Path(target)
        ext = self.target.suffix.lower()
        if ext not in self.FOURCC:
            raise OutputError(f"cannot write video as {ext or '(no extension)'}: use .mp4 or .avi")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.stem}.", suffix=ext, dir=self.target.resolve().parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.size = size
        self.frames = 0
        self._w = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter_fourcc(*self.FOURCC[ext]), fps, size)
        if not self._w.isOpened():
            self.abort()
            raise OutputError(f"cannot create video {self.target.name}: no encoder for {ext}")

    def write(self, frame: np.ndarray) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        self._w.write(frame)
        self.frames += 1

    def commit(self) -> None:
        self._w.release()
        try:
            if self.tmp.stat().st_size == 0 or self.frames == 0:
                raise OutputError(f"no frames were written to {self.target.name}")
            with open(self.tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(self.tmp, _umask_mode())
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self.abort()
            raise OutputError(_os_error_message(exc, self.target)) from None
        except OutputError:
            self.abort()
            raise

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._w.release()
        with contextlib.suppress(OSError):
            self.tmp.unlink()
