"""Face mesh through MediaPipe's Tasks API, from model files we ship: the backend for mediapipe >= 0.10.30.

mediapipe 0.10.21 is the last release with the legacy `mp.solutions` API and its models inside the wheel,
and it has no wheel for Python 3.13. Newer releases (0.10.30+, 1.x) have only the Tasks API, whose
`face_landmarker.task` bundle is normally downloaded. We download nothing: assets/models/mediapipe/ ships the
two Apache-2.0 model files that `mp.solutions.face_mesh` itself runs (copied unchanged from the 0.10.21 wheel,
sha256 in manifest.json), and this module turns them into a FaceLandmarker bundle in memory:

- face_detector.tflite: face_detection_short_range.tflite as is (the same BlazeFace model that the official
  bundle ships, with the same metadata).
- face_landmarks_detector.tflite: face_landmark_with_attention.tflite with a few ops appended to its graph.
  The Tasks graph reads exactly two outputs, [478 x (x, y, z) landmarks, face flag], while the attention
  model has seven (mesh 468x3, lips 80x2, eyes 2 x 71x2, irises 2 x 5x2, face flag) that the legacy graph
  merged in its LandmarksRefinementCalculator. The appended CONCATENATION/GATHER/MEAN ops do that merge
  inside the model (same index tables; iris z = mean z of its eye's 16 contour points), so the Tasks graph
  gets the 478 landmarks that `FaceMesh(refine_landmarks=True)` gives (median difference ~0.01% of the face
  width on the demo photo). The weights are untouched.

`TasksFaceMesh` mimics the part of `mp.solutions.face_mesh.FaceMesh` that face_tracker.FaceTracker uses
(`process(rgb)` -> `.multi_face_landmarks[i].landmark[j].x/.y`, `close()`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tryon_desktop.errors import ModelError
from tryon_desktop.paths import MODELS_DIR

FACE_MODELS_DIR = MODELS_DIR / "mediapipe"
MANIFEST_NAME = "manifest.json"
N_MESH = 468
N_LANDMARKS = 478

# The legacy refinement's index tables (mediapipe/modules/face_landmark/tensors_to_face_landmarks_with_attention
# .pbtxt in 0.10.x): model output row j of each region goes to mesh landmark TABLE[j].
LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409,
        78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415,
        76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302, 303, 304, 408,
        62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292, 183, 42, 41, 38, 12, 268, 271, 272, 407)
LEFT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173,
            130, 25, 110, 24, 23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190,
            226, 31, 228, 229, 230, 231, 232, 233, 244, 113, 225, 224, 223, 222, 221, 189,
            35, 124, 46, 53, 52, 65, 143, 111, 117, 118, 119, 120, 121, 128, 245,
            156, 70, 63, 105, 66, 107, 55, 193)
RIGHT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398,
             359, 255, 339, 254, 253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414,
             446, 261, 448, 449, 450, 451, 452, 453, 464, 342, 445, 444, 443, 442, 441, 413,
             265, 353, 276, 283, 282, 295, 372, 340, 346, 347, 348, 349, 350, 357, 465,
             383, 300, 293, 334, 296, 336, 285, 417)
LEFT_IRIS = (468, 469, 470, 471, 472)
RIGHT_IRIS = (473, 474, 475, 476, 477)
IRIS_Z_AVG = 16  # the first 16 eye points (lower + upper contour) give the iris its z

# Attention-model outputs in order, with their float counts: mesh, lips, left eye, right eye, irises, flag.
_ATTN_OUTPUT_SIZES = (N_MESH * 3, len(LIPS) * 2, len(LEFT_EYE) * 2, len(RIGHT_EYE) * 2, 10, 10, 1)


class FaceModelError(ModelError):
    """A shipped face model is missing, altered, or not what this code expects. Never fixed by a download."""


@dataclass(frozen=True)
class FaceModelFiles:
    detector: Path
    landmarks: Path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_models(model_dir: Path | None = None) -> FaceModelFiles:
    """Check the shipped face models against manifest.json (presence, size, sha256); return their paths."""
    d = Path(model_dir) if model_dir is not None else FACE_MODELS_DIR
    man_path = d / MANIFEST_NAME
    hint = ("the app never downloads models; reinstall tryon-desktop, or restore assets/models/mediapipe/ "
            "from the repository (tools/fetch_mediapipe_face_models.py rebuilds it from the mediapipe==0.10.21 wheel)")
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except FileNotFoundError:
        raise FaceModelError(f"face model manifest missing: {man_path} ({hint})") from None
    except (ValueError, KeyError, TypeError) as e:
        raise FaceModelError(f"face model manifest {man_path} is unreadable: {e} ({hint})") from None
    paths = {}
    for role in ("detector", "landmarks"):
        entry = next((f for f in files if f.get("role") == role), None)
        if entry is None:
            raise FaceModelError(f"face model manifest {man_path} names no '{role}' file ({hint})")
        p = d / entry["file"]
        if not p.is_file():
            raise FaceModelError(f"face model file missing: {p} ({hint})")
        if p.stat().st_size != entry["size_bytes"] or _sha256(p) != entry["sha256"]:
            raise FaceModelError(f"face model file {p.name} is corrupt or altered: its sha256 does not match "
                                 f"{man_path.name} ({entry['sha256'][:12]}...) ({hint})")
        paths[role] = p
    return FaceModelFiles(detector=paths["detector"], landmarks=paths["landmarks"])


def _refine_index() -> np.ndarray:
    """For each of the 478x3 output floats, its position in [mesh, lips, eyes, irises (flat), zL, zR]."""
    src = np.zeros((N_LANDMARKS, 3), np.int32)
    src[:N_MESH] = np.arange(N_MESH * 3).reshape(N_MESH, 3)
    off = N_MESH * 3
    for table in (LIPS, LEFT_EYE, RIGHT_EYE):
        for j, k in enumerate(table):
            src[k, :2] = (off + 2 * j, off + 2 * j + 1)
        off += 2 * len(table)
    z_left, z_right = off + 20, off + 21
    for iris, z in ((LEFT_IRIS, z_left), (RIGHT_IRIS, z_right)):
        for j, k in enumerate(iris):
            src[k] = (off + 2 * j, off + 2 * j + 1, z)
        off += 2 * len(iris)
    return src.reshape(-1)


def patch_attention_model(tflite: bytes) -> bytes:
    """The attention face-mesh model with its seven outputs merged into the two the Tasks graph reads."""
    import flatbuffers  # a dependency of every mediapipe release
    from mediapipe.tasks.metadata import schema_py_generated as S

    model = S.ModelT.InitFromObj(S.Model.GetRootAsModel(tflite, 0))
    if len(model.subgraphs) != 1:
        raise FaceModelError("face landmark model: expected one subgraph")
    g = model.subgraphs[0]
    outs = [int(i) for i in g.outputs]
    sizes = tuple(int(np.prod(g.tensors[i].shape)) for i in outs)
    if sizes != _ATTN_OUTPUT_SIZES or [len(g.tensors[i].shape) for i in outs] != [4] * 7:
        raise FaceModelError(f"face landmark model: unexpected outputs {sizes}; "
                             f"expected face_landmark_with_attention.tflite {_ATTN_OUTPUT_SIZES}")

    def buffer(arr: np.ndarray | None = None) -> int:
        b = S.BufferT()
        b.data = None if arr is None else np.frombuffer(arr.tobytes(), np.uint8)
        model.buffers.append(b)
        return len(model.buffers) - 1

    def tensor(name: str, shape, ttype=S.TensorType.FLOAT32, data: np.ndarray | None = None) -> int:
        t = S.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), np.array(shape, np.int32), ttype, buffer(data)
        g.tensors.append(t)
        return len(g.tensors) - 1

    def opcode(code: int) -> int:
        for i, oc in enumerate(model.operatorCodes):
            if max(oc.builtinCode, oc.deprecatedBuiltinCode) == code:
                return i
        oc = S.OperatorCodeT()
        oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), 1
        model.operatorCodes.append(oc)
        return len(model.operatorCodes) - 1

    def op(code: int, ins, outs_, opts_type: int, opts) -> None:
        o = S.OperatorT()
        o.opcodeIndex = opcode(code)
        o.inputs, o.outputs = np.array(ins, np.int32), np.array(outs_, np.int32)
        o.builtinOptionsType, o.builtinOptions = opts_type, opts
        g.operators.append(o)

    def concat(ins, n: int, name: str) -> int:
        t = tensor(name, [1, 1, 1, n])
        c = S.ConcatenationOptionsT()
        c.axis = 3
        op(S.BuiltinOperator.CONCATENATION, ins, [t], S.BuiltinOptions.ConcatenationOptions, c)
        return t

    def gather(x: int, idx, name: str) -> int:
        it = tensor(name + "_index", [len(idx)], S.TensorType.INT32, np.asarray(idx, np.int32))
        t = tensor(name, [1, 1, 1, len(idx)])
        go = S.GatherOptionsT()
        go.axis = 3
        op(S.BuiltinOperator.GATHER, [x, it], [t], S.BuiltinOptions.GatherOptions, go)
        return t

    def mean(x: int, name: str) -> int:
        axis = tensor(name + "_axis", [1], S.TensorType.INT32, np.array([3], np.int32))
        t = tensor(name, [1, 1, 1, 1])
        r = S.ReducerOptionsT()
        r.keepDims = True
        op(S.BuiltinOperator.MEAN, [x, axis], [t], S.BuiltinOptions.ReducerOptions, r)
        return t

    flat = concat(outs[:6], sum(_ATTN_OUTPUT_SIZES[:6]), "refine_concat")
    z_left = mean(gather(flat, [3 * k + 2 for k in LEFT_EYE[:IRIS_Z_AVG]], "left_iris_z_src"), "left_iris_z")
    z_right = mean(gather(flat, [3 * k + 2 for k in RIGHT_EYE[:IRIS_Z_AVG]], "right_iris_z_src"), "right_iris_z")
    ext = concat([flat, z_left, z_right], sum(_ATTN_OUTPUT_SIZES[:6]) + 2, "refine_ext")
    landmarks = gather(ext, _refine_index(), "face_landmarks_478")
    g.outputs = np.array([landmarks, outs[6]], np.int32)
    # The metadata describes the seven old outputs; the Tasks graph reads only its input part (the [0, 1]
    # normalisation), so it stays as is.

    _align_buffers(S, model)
    b = flatbuffers.Builder(len(tflite) + (1 << 16))
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _align_buffers(S, model) -> None:
    """Pack constant buffers 16-byte aligned (TFLite otherwise copies each unaligned one, with a warning)."""

    class _Aligned(S.BufferT):
        def Pack(self, builder):  # noqa: N802 (flatbuffers' name)
            data = None
            if self.data is not None and len(self.data):
                payload = np.asarray(self.data, np.uint8).tobytes()
                builder.StartVector(1, len(payload), 16)
                builder.head = builder.head - len(payload)
                builder.Bytes[builder.head:builder.head + len(payload)] = payload
                data = builder.EndVector()
            S.BufferStart(builder)
            if data is not None:
                S.BufferAddData(builder, data)
            S.BufferAddOffset(builder, self.offset)
            S.BufferAddSize(builder, self.size)
            return S.BufferEnd(builder)

    for b in model.buffers:
        b.__class__ = _Aligned


_ZIP_ALIGN = 64


def _aligned_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A stored (uncompressed) zip whose members' data start at multiples of _ZIP_ALIGN.

    The Tasks runtime reads each model in place from the bundle; an unaligned one is copied with a warning."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            header = 30 + len(name.encode()) + 4  # local file header + name + our extra field's own header
            pad = (-(buf.tell() + header)) % _ZIP_ALIGN
            info.extra = (0xD935).to_bytes(2, "little") + pad.to_bytes(2, "little") + bytes(pad)  # zipalign's id
            z.writestr(info, data)
    return buf.getvalue()


@functools.lru_cache(maxsize=2)
def _bundle_for(model_dir: Path, stamp: tuple) -> bytes:
    files = verify_models(model_dir)
    landmarks = patch_attention_model(files.landmarks.read_bytes())
    return _aligned_zip([("face_detector.tflite", files.detector.read_bytes()),
                         ("face_landmarks_detector.tflite", landmarks)])


def build_landmarker_bundle(model_dir: Path | None = None) -> bytes:
    """The FaceLandmarker `.task` bundle (a zip) built from the shipped, verified model files (~0.3 s;
    kept for the process, keyed by the files' size and mtime)."""
    d = Path(model_dir if model_dir is not None else FACE_MODELS_DIR).resolve()
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(d.glob("*")) if p.is_file())
    return _bundle_for(d, stamp)


def tasks_available() -> bool:
    """Whether the installed mediapipe has the Tasks FaceLandmarker this backend needs."""
    try:
        from mediapipe.tasks.python import vision  # noqa: F401
        from mediapipe.tasks.python.core.base_options import BaseOptions  # noqa: F401
        from mediapipe.tasks.metadata import schema_py_generated  # noqa: F401
    except Exception:
        return False
    return hasattr(vision, "FaceLandmarker")


class _Landmarks:
    __slots__ = ("landmark",)

    def __init__(self, landmark) -> None:
        self.landmark = landmark


class _Result:
    __slots__ = ("multi_face_landmarks",)

    def __init__(self, faces) -> None:
        self.multi_face_landmarks = faces or None


class TasksFaceMesh:
    """`mp.solutions.face_mesh.FaceMesh(refine_landmarks=True)` on the Tasks FaceLandmarker.

    static_image_mode=False runs the landmarker in VIDEO mode (the last frame's landmarks give the next
    frame's face region, as the legacy graph does). With num_faces == 1 the Tasks graph also runs a one-euro
    filter on the landmarks (min_cutoff 0.05 Hz, beta 80), which the legacy FaceMesh does not; the app smooths
    landmarks itself. The filter's weight for the new value is 1 / (1 + 1 / (2 pi min_cutoff dt)), so each
    call advances the timestamp by _VIDEO_STEP_MS (~2.8 hours) rather than the real frame time: the filter
    then keeps < 0.04% of the previous position, i.e. it is off, and the int64 microsecond clock lasts
    ~9e8 frames."""

    _VIDEO_STEP_MS = 10_000_000
    PROBE_EVERY = 15  # frames between looks for more faces while one is tracked
    RELEASE_AFTER = 30  # frames with fewer faces before going back to tracking one

    def __init__(self, static_image_mode: bool = False, max_num_faces: int = 1,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 model_dir: Path | None = None) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        self._mp = mp
        self._video = not static_image_mode
        self._max = int(max_num_faces)
        bundle = build_landmarker_bundle(model_dir)

        def make(num_faces: int):
            options = vision.FaceLandmarkerOptions(
                base_options=BaseOptions(model_asset_buffer=bundle),
                running_mode=vision.RunningMode.VIDEO if self._video else vision.RunningMode.IMAGE,
                num_faces=num_faces,
                min_face_detection_confidence=min_detection_confidence,
                # The legacy graph's min_tracking_confidence is its landmark model's face-presence threshold.
                min_face_presence_confidence=min_tracking_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            return vision.FaceLandmarker.create_from_options(options)

        self._landmarker = make(self._max)
        # In video, a Tasks landmarker asked for N faces runs its detector on every frame while it tracks
        # fewer than N, and takes the face's region from the detector instead of the last landmarks: more
        # jitter than the legacy graph, which keeps tracking. So one face is tracked by a one-face landmarker
        # (exactly the legacy behaviour), the N-face one looks for more every PROBE_EVERY frames and takes
        # over while there are more.
        self._single = make(1) if (self._video and self._max > 1) else None
        self._many = False
        self._frame = 0
        self._short = 0
        self._ts_ms = 0

    @property
    def probing(self) -> bool:
        """Whether one face is tracked by a one-face landmarker while more are looked for now and then."""
        return self._single is not None

    def _faces(self, result) -> list:
        return [_Landmarks(face) for face in result.face_landmarks if len(face) == N_LANDMARKS]

    def process(self, rgb: np.ndarray) -> _Result:
        if self._landmarker is None:
            raise ValueError("TasksFaceMesh is closed")
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if not self._video:
            return _Result(self._faces(self._landmarker.detect(image)))
        self._ts_ms += self._VIDEO_STEP_MS
        self._frame += 1
        if self._single is None:
            return _Result(self._faces(self._landmarker.detect_for_video(image, self._ts_ms)))
        if self._many:
            faces = self._faces(self._landmarker.detect_for_video(image, self._ts_ms))
            self._short = self._short + 1 if len(faces) < 2 else 0
            if self._short > self.RELEASE_AFTER:
                self._many = False
            return _Result(faces)
        faces = self._faces(self._single.detect_for_video(image, self._ts_ms))
        if self._frame % self.PROBE_EVERY == 0 or not faces:
            more = self._faces(self._landmarker.detect_for_video(image, self._ts_ms))
            if len(more) > max(1, len(faces)):
                self._many, self._short = True, 0
                return _Result(more)
        return _Result(faces)

    def close(self) -> None:
        if self._single is not None:
            self._single.close()
            self._single = None
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None
