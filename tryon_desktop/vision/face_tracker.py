"""Face tracking with MediaPipe FaceMesh (refined: 478 landmarks), in pixel coordinates.

Uses the legacy `mediapipe.solutions` API of mediapipe 0.10.21, whose models ship inside the wheel,
so nothing is downloaded at run time. Where that API is missing (mediapipe >= 0.10.30, the only releases for
Python 3.13), the same two models, shipped in assets/models/mediapipe/, run through the Tasks API instead
(vision/face_tasks.py). TRYON_FACE_BACKEND=solutions|tasks (or backend=) picks one by hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

N_LANDMARKS = 478
# Module switch: a stream that may show several faces tracks one with a one-face graph and looks for more
# every PROBE_EVERY frames with the face detector alone (`ProbingFaceMesh`); False: the several-face graph,
# whose detector then runs on every frame while fewer faces than its maximum are in view.
PROBE = True


@dataclass
class TrackedFace:
    landmarks: np.ndarray  # (478, 2) float32, frame pixels (x, y)


def _quiet_native_logs() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def _native_stderr_muted():
    """Mute fd 2 while mediapipe's graph starts: its C++ code prints absl/TFLite chatter ("Created
    TensorFlow Lite XNNPACK delegate", "Feedback manager requires ...") that no env var silences and that
    users take for errors. TRYON_DEBUG=1 keeps it."""
    if os.environ.get("TRYON_DEBUG") or not hasattr(os, "dup"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


BACKENDS = ("solutions", "tasks")


def _pick_backend(mp, asked: str | None) -> str:
    """'solutions' (mediapipe 0.10.21's own FaceMesh) when it is there, else 'tasks' (shipped models)."""
    asked = asked or os.environ.get("TRYON_FACE_BACKEND") or None
    if asked is not None and asked not in BACKENDS:
        raise ValueError(f"unknown face tracker backend {asked!r}; use one of {', '.join(BACKENDS)}")
    has_solutions = hasattr(getattr(mp, "solutions", None), "face_mesh")
    if asked == "solutions" and not has_solutions:
        raise RuntimeError(f"mediapipe {getattr(mp, '__version__', '?')} has no mp.solutions (0.10.21 is the "
                           "last release with it); use the 'tasks' face tracker backend")
    return asked or ("solutions" if has_solutions else "tasks")


class FaceTracker:
    """Finds up to `max_faces` faces per frame.

    video=True uses MediaPipe's tracking mode (landmarks from the last frame seed the next: faster,
    steadier; several faces: `ProbingFaceMesh`); video=False treats each frame as an unrelated photo. Frames
    larger than `track_max_side` on their long side are tracked on a downscaled copy and the landmarks scaled
    back: by default 1280 on a stream (a 1280x720 webcam frame is tracked as it is: MediaPipe warps the face's
    region out of it at the landmark model's size whatever the frame's, and shrinking it first cost more, 0.8
    ms, than it saved) and 960 for photos (as every photo evaluation in the README was measured).
    """

    def __init__(self, max_faces: int = 2, video: bool = True, track_max_side: int | None = None,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 backend: str | None = None) -> None:
        _quiet_native_logs()
        with _native_stderr_muted():
            import mediapipe as mp  # heavy import, kept here so `import tryon_desktop.core` stays light

        self.backend = _pick_backend(mp, backend)
        self.max_faces = max_faces
        self.video = video
        self.track_max_side = track_max_side if track_max_side is not None else (1280 if video else 960)
        with _native_stderr_muted():
            self._mesh = self._make_mesh(mp, min_detection_confidence, min_tracking_confidence)
            self._warm_up()

    def _warm_up(self) -> None:
        """Run both models once on a face, then on a blank frame (so no tracking state is left).

        mediapipe prints its start-up chatter from its own threads shortly after the first face is
        processed; doing that here, muted, keeps it off the user's terminal and takes the first-frame
        cost (~30 ms) out of the live stream."""
        from tryon_desktop.core.media import demo_photo_path

        try:
            face = cv2.imread(str(demo_photo_path()))
        except Exception:  # a missing demo photo only costs us the warm-up
            face = None
        if face is None:
            return
        rgb = cv2.cvtColor(face, cv2.COLOR_BGR2RGB)
        for graph in getattr(self._mesh, "graphs", lambda: [self._mesh])():
            graph.process(rgb)
            graph.process(_BLANK)
        time.sleep(0.15)

    def _make_mesh(self, mp, min_detection_confidence, min_tracking_confidence):
        if self.backend == "tasks":
            from tryon_desktop.vision.face_tasks import TasksFaceMesh

            return TasksFaceMesh(static_image_mode=not self.video, max_num_faces=self.max_faces,
                                 min_detection_confidence=min_detection_confidence,
                                 min_tracking_confidence=min_tracking_confidence)
        def mesh(n: int):
            return mp.solutions.face_mesh.FaceMesh(
                static_image_mode=not self.video,
                max_num_faces=n,
                refine_landmarks=True,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )

        if self.video and self.max_faces > 1 and PROBE:
            try:
                probe = mp.solutions.face_detection.FaceDetection(
                    model_selection=0, min_detection_confidence=min_detection_confidence)
            except Exception as exc:  # (a build without the detector's graph: every frame looks, as before)
                log.info("face tracker: no face detector to look for more faces (%s); the %d-face graph "
                         "looks on every frame", exc, self.max_faces)
            else:
                return ProbingFaceMesh(mesh(1), mesh(self.max_faces), probe)
        return mesh(self.max_faces)

    @property
    def probing(self) -> bool:
        """Whether one face is tracked by a one-face graph while more are looked for now and then (a stream
        that may show several faces: `ProbingFaceMesh`, or the Tasks backend's own way of doing the same)."""
        return bool(getattr(self._mesh, "probing", False))

    def close(self) -> None:
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def track(self, frame_bgr: np.ndarray) -> list[TrackedFace]:
        h, w = frame_bgr.shape[:2]
        scale = 1.0
        small = frame_bgr
        if max(h, w) > self.track_max_side:
            scale = self.track_max_side / max(h, w)
            # bilinear down to half size (a quarter of the area average's cost at 1280x720 -> 960x540, whose
            # ratio is not a whole number: OpenCV's slow general path; the landmarks move by less than 1 LSB
            # of sensor noise moves them), the area average further down (where bilinear would alias)
            small = cv2.resize(frame_bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                               interpolation=cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        result = self._mesh.process(rgb)
        faces: list[TrackedFace] = []
        sh, sw = small.shape[:2]
        for face in result.multi_face_landmarks or []:
            pts = landmark_array(face, sw, sh)
            if len(pts) != N_LANDMARKS:
                continue
            faces.append(TrackedFace(landmarks=pts / scale if scale != 1.0 else pts))
        return faces


# One landmark as MediaPipe's face mesh serialises it: a length-delimited submessage (field 1, 15 bytes) of
# x, y, z, each a 32-bit float (fields 1, 2, 3). Its solutions set no other field.
_LANDMARK = np.dtype([("key", "u1"), ("size", "u1"), ("kx", "u1"), ("x", "<f4"), ("ky", "u1"), ("y", "<f4"),
                      ("kz", "u1"), ("z", "<f4")])
_LANDMARK_KEYS = {"key": 0x0A, "size": 15, "kx": 0x0D, "ky": 0x15, "kz": 0x1D}


def landmark_array(face, width: int, height: int) -> np.ndarray:
    """(n, 2) float32 pixel coordinates of a NormalizedLandmarkList: read from its serialised bytes in one
    go when every landmark is laid out as `_LANDMARK` (a tenth of the cost of reading 478 landmark objects
    in Python, the same numbers), else landmark by landmark."""
    try:
        raw = np.frombuffer(face.SerializeToString(), dtype=_LANDMARK)
        if len(raw) == len(face.landmark) and all(bool(np.all(raw[k] == v)) for k, v in _LANDMARK_KEYS.items()):
            return np.stack([raw["x"].astype(np.float64) * width, raw["y"].astype(np.float64) * height],
                            1).astype(np.float32)
    except (AttributeError, ValueError, TypeError):  # (not a protobuf message, or other bytes)
        pass
    return np.array([(p.x * width, p.y * height) for p in face.landmark], dtype=np.float32)


_BLANK = np.zeros((64, 64, 3), np.uint8)  # a frame with no face: a tracking graph fed it forgets its faces


class ProbingFaceMesh:
    """MediaPipe's FaceMesh for a stream that may show up to N faces, at the cost of one while one is in view.

    A FaceMesh graph in tracking mode asked for N faces runs its face detector on every frame while it tracks
    fewer than N (1.7 ms a frame at 1280x720 on this CPU, with one face in view); the faces it already tracks
    keep their regions from the last landmarks, so a one-face graph gives the same landmarks. So one face is
    tracked by a one-face graph, and every PROBE_EVERY frames the face detector alone (no landmarks) looks
    for a face the tracked ones do not cover. When it finds one, the N-face graph takes over; it hands back
    after RELEASE_AFTER frames in a row with one face or none. Each graph is fed a blank frame when it hands
    over, so the next one to run starts from a detection, not from face regions it held seconds before. A new
    second face is picked up within PROBE_EVERY frames (half a second at 30 fps); while none shows, the probe
    costs about 0.1 ms a frame."""

    PROBE_EVERY = 15
    RELEASE_AFTER = 30
    probing = True

    def __init__(self, one, many, probe) -> None:
        self._one = one
        self._many_mesh = many
        self._probe = probe
        self.many = False  # the N-face graph is the one tracking
        self._frame = 0
        self._short = 0

    def _new_face(self, rgb: np.ndarray, faces) -> bool:
        """Whether the detector sees a face whose centre lies outside every tracked face's landmark box."""
        found = self._probe.process(rgb).detections or []
        boxes = []
        for f in faces:
            pts = landmark_array(f, 1, 1)
            boxes.append((*pts.min(0), *pts.max(0)))
        for det in found:
            b = det.location_data.relative_bounding_box
            cx, cy = b.xmin + 0.5 * b.width, b.ymin + 0.5 * b.height
            if not any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in boxes):
                return True
        return False

    def process(self, rgb: np.ndarray):
        self._frame += 1
        if self.many:
            res = self._many_mesh.process(rgb)
            self._short = self._short + 1 if len(res.multi_face_landmarks or []) < 2 else 0
            if self._short > self.RELEASE_AFTER:
                self.many = False
                self._many_mesh.process(_BLANK)
            return res
        res = self._one.process(rgb)
        faces = res.multi_face_landmarks or []
        # (with no face tracked, the one-face graph runs its own detector on every frame)
        if faces and self._frame % self.PROBE_EVERY == 0 and self._new_face(rgb, faces):
            self.many, self._short = True, 0
            self._one.process(_BLANK)
            return self._many_mesh.process(rgb)
        return res

    def graphs(self) -> list:
        """Every graph, for the tracker's warm-up (each is fed a face, then a blank frame)."""
        return [self._one, self._many_mesh, self._probe]

    def close(self) -> None:
        for g in (self._one, self._many_mesh, self._probe):
            if g is not None:
                g.close()
        self._one = self._many_mesh = self._probe = None
