"""Reading and writing images and videos safely.

Reads validate what they get (empty, truncated, undecodable, odd bit depths and channel counts) and
raise InputError with a one-line message. Writes go to a temporary file beside the target and are
renamed into place, so a crash or a full disk never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.errors import InputError, OutputError

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm"}
MAX_PIXELS = 120_000_000  # a 12K x 10K photo; beyond that we refuse rather than exhaust memory
IMAGE_FORMATS = "JPEG, PNG, BMP, WebP or TIFF"


def quiet_third_party_logs() -> None:
    """Keep OpenCV's and FFmpeg's own chatter ("moov atom not found", "[ WARN:0@0.04] ...") off the user's
    terminal: the app says what went wrong in its own words. Must run before the first video is opened
    (OpenCV reads OPENCV_FFMPEG_LOGLEVEL once, when its FFmpeg backend starts). A developer who wants the
    chatter sets OPENCV_FFMPEG_LOGLEVEL / OPENCV_LOG_LEVEL, which are left alone."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    if "OPENCV_LOG_LEVEL" not in os.environ:
        with contextlib.suppress(Exception):
            cv2.setLogLevel(1)  # fatal errors only


quiet_third_party_logs()


def demo_photo_path() -> Path:
    """A face photo that always ships with our dependencies (matplotlib comes with mediapipe)."""
    import matplotlib

    return Path(matplotlib.__file__).resolve().parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"


def sniff(head: bytes) -> str | None:
    """What a file's first bytes say it is: 'jpeg', 'png', 'bmp', 'webp', 'tiff', 'gif' (unsupported), 'video',
    or None. Decides by content, so a JPEG saved under a .png name is still a JPEG."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\0", b"MM\0*"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "video"  # MP4/MOV/M4V, Matroska/WebM, AVI
    return None


IMAGE_SNIFFS = {"jpeg", "png", "bmp", "webp", "tiff"}


def _head(path: Path, n: int = 32) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError:
        return b""


def kind_of(path: str | Path) -> str:
    """'image' or 'video': by content for an existing file (a photo named .png that is a JPEG is an image),
    else by extension."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder: give an image or a video file")
    if path.is_file():
        found = sniff(_head(path))
        if found in IMAGE_SNIFFS:
            return "image"
        if found == "video":
            return "video"
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext in VIDEO_EXTS:
        return "video"
    supported = ", ".join(sorted(IMAGE_EXTS | VIDEO_EXTS))
    raise InputError(f"unsupported file type {ext or '(none)'!r} for {path.name}: use one of {supported}")


def _check_file(path: Path) -> int:
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path.name} is empty (0 bytes)")
    return size


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the JPEG's end-of-image marker, found by walking its segments (not by looking at the
    file's last bytes: phone "motion photos" carry a video after it); None when the data ends first."""
    n, i = len(data), 2
    while i < n:
        if data[i] != 0xFF:  # stray bytes between segments: libjpeg skips them, so do we
            i = data.find(b"\xff", i)
            if i < 0:
                return None
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return None
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return i
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # no length field
            continue
        if i + 2 > n:
            return None
        i += int.from_bytes(data[i:i + 2], "big")
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    return None
                nxt = data[j + 1]
                if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:  # stuffed byte or restart marker: still scan data
                    i = j + 2
                elif nxt == 0xFF:
                    i = j + 1
                else:
                    i = j
                    break
    return None


def _png_end(data: bytes) -> int | None:
    """Offset just past the PNG's IEND chunk (walking the chunks); None when the data ends first."""
    n, pos = len(data), 8
    while pos + 8 <= n:
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= n else None
    return None


def _looks_truncated(data: bytes, fmt: str | None) -> bool:
    """Whether the file ends before the image does, judged by its content (`fmt` from sniff())."""
    if fmt == "jpeg":
        return _jpeg_end(data) is None
    if fmt == "png":
        return _png_end(data) is None
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
    """Decode an image file, deciding by content, not by extension. Raises InputError with one plain line."""
    path = Path(path)
    _check_file(path)
    ext = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    fmt = sniff(data[:32])
    if fmt not in IMAGE_SNIFFS:
        if fmt == "video" or (fmt is None and ext in VIDEO_EXTS):
            raise InputError(f"{path.name} is a video, not an image")
        if ext not in IMAGE_EXTS:
            kind_of(path)  # raises the unsupported-type message
            raise InputError(f"{path.name} is not a supported image: use a {IMAGE_FORMATS} picture")
        raise InputError(f"{path.name} is not an image: its content is not a {IMAGE_FORMATS} picture")
    if _looks_truncated(data, fmt):
        raise InputError(f"{path.name} is truncated (the file ends before the image does)")
    buf = np.frombuffer(data, np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if img is None:
        raise InputError(f"cannot decode {path.name}: the {fmt.upper()} data is corrupt")
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


def create_temp_beside(target: str | Path, suffix: str = ".tmp", prefix: str | None = None) -> tuple[int, Path]:
    """A new, empty temporary file in `target`'s folder, opened for writing: (fd, path).

    Created with mode 0666 so the kernel applies the user's umask, as for any file a program saves (0644
    with the usual umask 022): tempfile.mkstemp's private 0600 would follow a renamed snapshot or video
    and surprise the user when another account or a web server cannot read their picture."""
    target = Path(target)
    folder = target.resolve().parent if target.parent.exists() else target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = folder / f"{prefix or '.' + target.stem + '.'}{secrets.token_hex(4)}{suffix}"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write bytes to target via a temporary file in the same folder and an atomic rename."""
    target = Path(target)
    fd, tmp = None, None
    try:
        fd, tmp = create_temp_beside(target)
        with os.fdopen(fd, "wb") as f:
            fd = None
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
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
    found = sniff(_head(path))
    if found in IMAGE_SNIFFS:
        raise InputError(f"{path.name} is an image, not a video")
    if path.suffix.lower() not in VIDEO_EXTS and found != "video":
        kind_of(path)
        raise InputError(f"{path.name} is an image, not a video")
    quiet_third_party_logs()
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"cannot open video {path.name}: the file is corrupt, truncated or in an unsupported codec")
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
        try:
            fd, tmp = create_temp_beside(self.target, suffix=ext)
        except OSError as exc:
            raise OutputError(_os_error_message(exc, self.target)) from None
        os.close(fd)
        self.tmp = tmp
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
