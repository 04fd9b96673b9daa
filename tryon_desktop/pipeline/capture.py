"""Frame sources (camera, video file, image, built-in demo) and the capture thread.

The capture thread stamps each frame with time.perf_counter() the moment it leaves the source and
drops it into a latest-frame-wins slot. Cameras pace themselves; files, images and the demo are paced
to their frame rate here. A camera that stops delivering is closed and reopened about once a second.
Problems are reported as `PipelineEvent`s on a queue that the GUI drains; nothing here raises into Qt.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.media import IMAGE_EXTS, VIDEO_EXTS
from tryon_desktop.core.media import demo_photo_path as _shipped_demo_photo
from tryon_desktop.errors import InputError
from tryon_desktop.pipeline.slots import LatestSlot, Packet

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = IMAGE_EXTS
VIDEO_SUFFIXES = VIDEO_EXTS | {".wmv"}
RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080))
DEFAULT_RESOLUTION = (1280, 720)
MAX_IMAGE_SIDE = 1920
RECONNECT_INTERVAL_S = 1.0


@dataclass
class PipelineEvent:
    """Something the user should hear about. `key` names an i18n string; `args` fill it in."""

    level: str  # "info", "warning" or "error"
    key: str
    args: dict = field(default_factory=dict)
    source_id: int = -1


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str


def list_cameras() -> list[CameraInfo]:
    """Cameras by name. Linux reads /sys/class/video4linux (capture nodes only); elsewhere 'Camera N'."""
    if sys.platform.startswith("linux"):
        return _linux_cameras(Path("/sys/class/video4linux"))
    found = []
    for i in range(3):  # other platforms give no names without extra packages; probe a few indices
        cap = cv2.VideoCapture(i)
        try:
            if cap.isOpened():
                found.append(CameraInfo(i, f"Camera {i}"))
        finally:
            cap.release()
    return found


def _linux_cameras(root: Path) -> list[CameraInfo]:
    cams = []
    if not root.is_dir():
        return cams
    for node in sorted(root.glob("video*"), key=lambda p: int("".join(c for c in p.name if c.isdigit()) or 0)):
        digits = "".join(c for c in node.name if c.isdigit())
        if not digits:
            continue
        try:
            # A UVC camera shows two nodes; the second (index 1) carries metadata, not pictures.
            if (node / "index").exists() and (node / "index").read_text().strip() not in ("", "0"):
                continue
            name = (node / "name").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            name = ""
        cams.append(CameraInfo(int(digits), name or f"Camera {digits}"))
    return cams


class FrameSource:
    """A source of BGR uint8 frames. `read` returns None when no frame came (end or failure)."""

    kind = "base"
    live = False  # True: read() blocks at the device's own rate; False: the capture thread paces it
    fps = 30.0
    label = ""

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None: ...

    @property
    def size(self) -> tuple[int, int]:
        return (0, 0)


def _imread_any(path: Path) -> np.ndarray | None:
    # np.fromfile + imdecode copes with non-ASCII paths where cv2.imread does not (Windows)
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


class ImageSource(FrameSource):
    kind = "image"

    def __init__(self, path: str | os.PathLike, fps: float = 30.0) -> None:
        self.path = Path(path)
        self.fps = fps
        self.label = self.path.name
        self._frame: np.ndarray | None = None

    def open(self) -> None:
        if not self.path.is_file():
            raise InputError(f"no such file: {self.path}")
        try:
            img = _imread_any(self.path)
        except OSError as exc:
            raise InputError(f"cannot read {self.path.name}: {exc.strerror or exc}") from None
        if img is None or img.ndim != 3 or min(img.shape[:2]) < 16:
            raise InputError(f"{self.path.name} is not a readable image (corrupt or unsupported)")
        scale = MAX_IMAGE_SIDE / max(img.shape[:2])
        if scale < 1.0:
            img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        self._frame = np.ascontiguousarray(img)

    def read(self) -> np.ndarray | None:
        return self._frame

    @property
    def size(self):
        return (0, 0) if self._frame is None else (self._frame.shape[1], self._frame.shape[0])


class _VideoCaptureSource(FrameSource):
    """A source reading from a cv2.VideoCapture held in `_cap`."""

    _cap: cv2.VideoCapture | None = None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @property
    def size(self):
        if self._cap is None:
            return (0, 0)
        return (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))


class VideoFileSource(_VideoCaptureSource):
    kind = "video"

    def __init__(self, path: str | os.PathLike, loop: bool = True) -> None:
        self.path = Path(path)
        self.loop = loop
        self.label = self.path.name
        self._cap: cv2.VideoCapture | None = None
        self._first: np.ndarray | None = None
        self.frames_read = 0

    def open(self) -> None:
        if not self.path.is_file():
            raise InputError(f"no such file: {self.path}")
        cap = cv2.VideoCapture(str(self.path))
        ok, frame = (cap.read() if cap.isOpened() else (False, None))
        if not ok or frame is None or frame.ndim != 3:
            cap.release()
            raise InputError(f"{self.path.name} is not a playable video (corrupt or unsupported)")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if 1.0 <= fps <= 240.0 else 30.0
        self._cap, self._first = cap, frame

    def read(self) -> np.ndarray | None:
        if self._first is not None:
            frame, self._first = self._first, None
            self.frames_read += 1
            return frame
        if self._cap is None:
            return None
        ok, frame = self._cap.read()
        if not ok and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        if not ok:
            return None
        self.frames_read += 1
        return frame

class CameraSource(_VideoCaptureSource):
    kind = "camera"
    live = True

    def __init__(self, index: int, resolution: tuple[int, int] = DEFAULT_RESOLUTION, name: str = "") -> None:
        self.index = int(index)
        self.resolution = resolution
        self.label = name or f"Camera {self.index}"
        self._cap: cv2.VideoCapture | None = None

    def open(self) -> None:
        if sys.platform.startswith("linux"):
            api = cv2.CAP_V4L2
        elif sys.platform == "win32":
            api = cv2.CAP_DSHOW  # MSMF is slow to open and drops to 5 fps at 1080p
        elif sys.platform == "darwin":
            api = cv2.CAP_AVFOUNDATION
        else:
            api = cv2.CAP_ANY
        cap = cv2.VideoCapture(self.index, api)
        if not cap.isOpened():
            cap.release()
            raise InputError(f"camera {self.index} cannot be opened (unplugged or in use)")
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.resolution[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.resolution[1])
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # hold no backlog in the driver either
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise InputError(f"camera {self.index} gives no pictures")
        self._cap = cap

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            return None
        ok, frame = self._cap.read()
        return frame if ok and frame is not None else None

def demo_photo_path() -> Path | None:
    """The shipped demo portrait (core.media), or None when it is missing: the demo then shows a plain card."""
    try:
        p = _shipped_demo_photo()
        return p if p.is_file() else None
    except Exception:  # matplotlib missing or broken
        return None


class DemoSource(FrameSource):
    """A portrait with gentle synthetic head motion, so the app shows something live with no camera."""

    kind = "demo"
    label = "Demo"

    def __init__(self, resolution: tuple[int, int] = DEFAULT_RESOLUTION, fps: float = 30.0,
                 motion: bool = True) -> None:
        self.resolution = (int(resolution[0]), int(resolution[1]))
        self.fps = fps
        self.motion = motion
        self._canvas: np.ndarray | None = None
        self._n = 0

    def open(self) -> None:
        w, h = self.resolution
        path = demo_photo_path()
        photo = _imread_any(path) if path is not None else None
        if photo is None:
            canvas = np.zeros((h, w, 3), np.uint8)
            canvas[:] = np.linspace(40, 90, w, dtype=np.uint8)[None, :, None]
            self._canvas = canvas
            return
        # Background: the photo itself, stretched and blurred, so the frame is full without black bars.
        bg = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
        bg = cv2.GaussianBlur(bg, (0, 0), sigmaX=max(w, h) / 40)
        bg = (bg.astype(np.float32) * 0.55).astype(np.uint8)
        scale = h / photo.shape[0]
        pw = int(round(photo.shape[1] * scale))
        fg = cv2.resize(photo, (pw, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        x0 = (w - pw) // 2
        if x0 >= 0:
            bg[:, x0:x0 + pw] = fg
        else:
            bg[:] = fg[:, -x0:-x0 + w]
        self._canvas = bg

    def read(self) -> np.ndarray | None:
        if self._canvas is None:
            return None
        t = self._n / self.fps
        self._n += 1
        if not self.motion:
            return self._canvas
        h, w = self._canvas.shape[:2]
        angle = 2.0 * math.sin(2 * math.pi * t / 6.3)
        scale = 1.0 + 0.02 * math.sin(2 * math.pi * t / 4.1)
        m = cv2.getRotationMatrix2D((w / 2, h * 0.45), angle, scale)
        m[0, 2] += 0.012 * w * math.sin(2 * math.pi * t / 5.0)
        m[1, 2] += 0.010 * h * math.sin(2 * math.pi * t / 3.7)
        return cv2.warpAffine(self._canvas, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    @property
    def size(self):
        return self.resolution


def parse_source(spec: str | int | None, resolution: tuple[int, int] = DEFAULT_RESOLUTION) -> FrameSource:
    """'0'/'1'/int -> camera, 'demo' -> demo, a path -> image or video (by suffix, else tried as video)."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "demo")):
        return DemoSource(resolution)
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        names = {c.index: c.name for c in _safe_list_cameras()}
        return CameraSource(index, resolution, names.get(index, ""))
    path = Path(str(spec)).expanduser()
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoFileSource(path)


def _safe_list_cameras() -> list[CameraInfo]:
    try:
        return list_cameras()
    except Exception:  # enumeration is a convenience; never let it break opening a source
        log.exception("camera enumeration failed")
        return []


class CaptureThread(threading.Thread):
    """Reads a FrameSource into a LatestSlot until stopped. Never raises; reports via events."""

    def __init__(self, source: FrameSource, slot: LatestSlot, events: queue.Queue, source_id: int) -> None:
        super().__init__(name=f"capture-{source_id}", daemon=True)
        self.source = source
        self.slot = slot
        self.events = events
        self.source_id = source_id
        self._halt = threading.Event()
        self.frames = 0
        self.failed = False  # the source could not be opened at all (not a camera): caller falls back
        self.opened = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def _event(self, level: str, key: str, **args) -> None:
        self.events.put(PipelineEvent(level, key, args, self.source_id))

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a bug in a source: report it, keep the app alive
            log.exception("capture thread crashed")
            self._event("error", "capture_crashed", error=str(exc))
            self.failed = True
        finally:
            try:
                self.source.close()
            except Exception:
                log.exception("closing the source failed")
            self.opened.set()

    def _open(self) -> bool:
        try:
            self.source.open()
            return True
        except InputError as exc:
            log.warning("cannot open source: %s", exc)
            self._last_error = str(exc)
            return False
        except Exception as exc:
            log.exception("cannot open source")
            self._last_error = str(exc)
            return False

    def _reconnect(self, lost: bool) -> bool:
        """Camera only: retry about once a second until it is back or we are stopped."""
        attempt = 0
        self._event("warning", "camera_lost" if lost else "camera_unavailable", name=self.source.label)
        while not self._halt.is_set():
            attempt += 1
            self.source.close()
            if self._halt.wait(RECONNECT_INTERVAL_S):
                return False
            if self._open():
                self._event("info", "camera_back", name=self.source.label)
                return True
            if attempt % 5 == 1:
                self._event("warning", "camera_reconnecting", name=self.source.label, attempt=attempt)
        return False

    def _run(self) -> None:
        self._last_error = ""
        if not self._open():
            if self.source.kind == "camera":
                self.opened.set()
                if not self._reconnect(lost=False):
                    return
            else:
                self.failed = True
                self._event("error", "source_failed", name=self.source.label, error=self._last_error)
                return
        self.opened.set()
        period = 1.0 / max(1.0, float(self.source.fps))
        next_t = time.perf_counter()
        index = 0
        while not self._halt.is_set():
            if not self.source.live:
                delay = next_t - time.perf_counter()
                if delay > 0 and self._halt.wait(delay):
                    break
                # fell more than a frame behind (machine busy): re-anchor instead of bursting
                now = time.perf_counter()
                next_t = max(next_t + period, now - period)
            frame = self.source.read()
            t_capture = time.perf_counter()
            if frame is None:
                if self.source.kind == "camera":
                    if not self._reconnect(lost=True):
                        break
                    continue
                self._event("error", "source_ended", name=self.source.label)
                break
            self.slot.put(Packet(frame=frame, t_capture=t_capture, index=index, source_id=self.source_id))
            index += 1
            self.frames = index
