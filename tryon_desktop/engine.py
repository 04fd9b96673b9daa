"""TryOnEngine: frame + look -> made-up frame. Effects are peers: lipstick and outfit.

    perceive  face landmarks (MediaPipe, smoothed over time) always; the garment mask (the project's own
              segmenter) only when an active effect needs it or the mask overlay is on; on a stream its
              network runs on the helper thread beside the tracker, the last frame's faces as its prior, and
              this frame's faces are cut out afterwards (GARMENT_OVERLAP; `garment` times what is left after
              the tracker)
    effects   in a fixed order (outfit, then lipstick), each: prepare (find and measure its regions),
              generate (make them up), blend (feathered composite inside each region's box only)

Timings: `track` and `garment` for perception, `<effect>.align|generate|blend` per effect, and `align`,
`generate`, `blend` summed over effects, plus `total`.

Plain Python + numpy + onnxruntime + mediapipe: no Qt, no torch. Every front end (GUI worker,
tryon-render, tryon-bench, self-test, tests) calls this same class. Frames are BGR uint8 (OpenCV order).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.background import HELPER, lower_priority
from tryon_desktop.core.blend import composite_in_box
from tryon_desktop.core.looks import Look, OutfitSwatch, Shade
from tryon_desktop.core.masks import FACE_OVAL, lip_box, mouth_opening
from tryon_desktop.core.smoothing import LandmarkSmoother
from tryon_desktop.effects.base import FACES, GARMENT, Effect, FaceInfo, Scene, face_ovals
from tryon_desktop.effects.lipstick import (  # noqa: F401  (re-exported: the engine's public names)
    DEFAULT_LIPSTICK_MANIFEST,
    LipstickBackend,
    LipstickEffect,
    ReferenceLipstick,
    load_lipstick_backend,
)
from tryon_desktop.effects.outfit import OutfitEffect
from tryon_desktop.errors import InputError

log = logging.getLogger(__name__)

STAGES = ("track", "align", "generate", "blend")
EFFECT_ORDER = ("outfit", "lipstick")
MASK_TINT_BGR = np.array([60, 220, 60], np.float32)  # the overlay's green
# Module switch: on a stream, the garment network runs on the helper thread while the face tracker runs,
# its prior drawn from the last frame's faces (this frame's are cut out afterwards); False: one after the other.
GARMENT_OVERLAP = True
PRIOR_MAX_GAP_S = 0.5  # the last frame's faces are this frame's prior only this close in time
# A photo's garment mask (GarmentPerception._photo_mask):
TEACHER_AGREE = 0.3  # a teacher mask it does not trust itself is taken where it overlaps the live one this much
TEACHER_KEEP_HOLES = 0.1  # inside the live garment's outline (convex hull), live probabilities below this stay
HOLE_SAME = 15.0  # ... unless its colour (8-bit Lab distance) goes on from it into the teacher's garment ...
HOLE_SHARED = 0.5  # ... on this share of the hole's own pixels of that colour or more: a print or a stripe the
# network half missed goes on past the hole, an object on the garment does not; skin always stays:
HOLE_SKIN = 0.3  # a piece with this share of skin-coloured pixels or more, and twice the whole garment's
TEACHER_FACE_GROW = 0.4  # round each face (grown this much) the teacher mask is never above the live one
SKIN_COLOURED = 0.6  # the teacher's torso core this much "maybe skin" (its `weak_frac`): a skin-coloured garment,
TEACHER_INSIDE = 0.97  # ... and its garment this much inside the live one while covering less than
TEACHER_COVERS = 0.8  # ... this share of it: the teacher took garment for skin, and the live mask is used
BEARD_EVERY = 6  # a stream asks whether a beard may grow under each chin (`dark_under_chin`) every this many frames
STILL_FRAMES = 3  # identical frames in a row that make a stream a still picture (it then gets a photo's mask)


@dataclass
class FrameResult:
    frame: np.ndarray  # the made-up frame (a new array; the input is never modified)
    faces: list[FaceInfo]
    timings_ms: dict[str, float]  # track, garment, <effect>.<stage>, align, generate, blend, total
    renderer: str  # lipstick backend that made it up: "gan", "reference", or "none" when no lipstick is worn
    no_face: bool = False
    look: Look | None = None
    notes: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # per effect: a per-frame message, e.g. "no garment found"
    garment_mask: np.ndarray | None = None  # float32 (h, w) at the segmenter's resolution, when computed


def as_look(look: Look | Shade | OutfitSwatch | None) -> Look:
    if look is None:
        return Look()
    if isinstance(look, Shade):
        return Look(lipstick=look)
    if isinstance(look, OutfitSwatch):
        return Look(outfit=look)
    if isinstance(look, Look):
        return look
    raise TypeError(f"expected a Look, Shade or OutfitSwatch, got {type(look).__name__}")


def check_frame(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", None)
        raise InputError(f"engine expects an HxWx3 uint8 BGR frame, got shape {shape} dtype {dtype}")
    if frame.shape[0] < 16 or frame.shape[1] < 16:
        raise InputError(f"frame too small: {frame.shape[1]}x{frame.shape[0]}")
    return frame


class GarmentPerception:
    """The garment mask, loaded on first use: by process() when an effect or the overlay needs it, or by
    describe() (the app describes every effect at start, so a snapshot can name the mask's model).

    model: "auto" (the shipped model), a manifest path, or None (no garment mask: the outfit passes through).
    A missing or altered model leaves a notice for the user instead of failing.
    """

    skin_cut = True  # the SkinCut step (the evaluations' --no-skin-cut turns it off, to compare)
    body_fill = True  # the BodyFill step (vision/body_fill.py; --no-body-fill turns it off, to compare)
    photo_teacher = True  # a photo's mask from the careful teacher where it agrees (see `_photo_mask`); a switch

    def __init__(self, model: str | Path | None = "auto", providers: list[str] | None = None,
                 video: bool = True) -> None:
        self.model, self.providers = model, providers
        self.video = video
        self.segmenter = None
        self.notice: str | None = None
        self._loaded = False
        self._head_finder = None  # a still-photo face tracker for small faces (_cut_small_face)
        self.small_face: np.ndarray | None = None  # (478, 2) landmarks of the last photo's small face
        self._teacher = None  # the photo mask's GarmentTeacher (made on the first photo; False: not available)
        self.photo_source: str | None = None  # the last photo's mask: "teacher" or "live" (None: a stream's)
        self._still: dict = {}  # a stream's still picture: its key, frames seen, careful-mask job and mask
        self._careful: GarmentPerception | None = None  # the photo-mode perception that makes a still's mask
        self._careful_job: threading.Thread | None = None  # its last job (the still may have changed since)
        self._beards: tuple[int, list] | None = None  # a stream's `dark_under_chin` answers and their age (frames)
        from tryon_desktop.vision.body_fill import BodyFill
        from tryon_desktop.vision.garment_mask import SkinCut

        self._skin = SkinCut()
        self._body = BodyFill()

    def load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.model is None:
            self.notice = "garment mask turned off: outfits are not shown"
            return
        from tryon_desktop.vision.garment_mask import load_garment_segmenter

        self.segmenter, self.notice = load_garment_segmenter(self.model, providers=self.providers)
        if self.notice:
            log.warning(self.notice)

    def __call__(self, frame: np.ndarray, timestamp: float, faces: list[FaceInfo],
                 careful: bool = True) -> np.ndarray | None:
        """careful: a photo's mask may use the teacher (False when the mask is only wanted to find a small
        face for the lipstick)."""
        self.load()
        if self.segmenter is None:
            return None
        polys = face_ovals(faces)
        prob = self.segmenter.segment(frame, timestamp=timestamp, face_polygons=polys)
        self.small_face = None
        if not polys and not self.video:
            prob, polys = self._cut_small_face(frame, prob)
        self.photo_source = None
        if not self.video and self.photo_teacher and careful:
            # a photo: the teacher's careful mask where it answers (`_photo_mask`, which reads the network's
            # own mask); the body fill, the person mask standing in for the teacher, only where it does not
            live = self._cut_skin(frame, self._cut_hair(frame, prob, polys), polys)
            taught = self._photo_mask(frame, live, polys)
            if taught is not live:
                self.photo_source = "teacher"
                return taught
            self.photo_source = "live"
        if polys and self.body_fill:
            from tryon_desktop.vision.garment_mask import cut_faces

            prob = cut_faces(self._fill_body(frame, prob, polys), polys, (frame.shape[1], frame.shape[0]), frame)
        prob = self._cut_skin(frame, self._cut_hair(frame, prob, polys), polys)
        if self.video:
            prob = self._still_mask(frame, faces, prob)
        return prob

    def _still_mask(self, frame: np.ndarray, faces: list[FaceInfo], prob: np.ndarray) -> np.ndarray:
        """A stream that shows the same picture frame after frame (a photo chosen as the app's source) gets
        a photo's careful mask (`_photo_mask`): after `STILL_FRAMES` identical frames it is made once on a
        thread of its own (a second, photo-mode GarmentPerception: 1-3 s, the live mask meanwhile) and
        used for as long as the picture stays the same. A camera's frames are never identical."""
        if not self.photo_teacher:
            return prob
        import hashlib

        key = (frame.shape, hashlib.blake2b(np.ascontiguousarray(frame[::7, ::7]).tobytes(), digest_size=16).digest())
        st = self._still
        self.photo_source = None
        if st.get("key") != key:
            self._still = {"key": key, "count": 1}
            return prob
        st["count"] += 1
        if st.get("mask") is not None:
            self.photo_source = st["out"].get("source")
            return st["mask"]
        job = st.get("job")
        busy = self._careful_job is not None and self._careful_job.is_alive()  # (a picture shown before this one)
        if job is None and st["count"] >= STILL_FRAMES and not busy:
            if self._careful is None:
                self._careful = GarmentPerception(self.model, self.providers, video=False)
                self._careful.body_fill = self.body_fill
            out: dict = {}
            careful, still = self._careful, frame.copy()

            def run() -> None:
                lower_priority()  # (the live mask meanwhile: no frame waits for this one)
                try:
                    out["mask"] = careful(still, 0.0, faces)
                    out["source"] = careful.photo_source
                except Exception as exc:  # (the live mask stays; said once in the log)
                    log.warning("still picture: its careful garment mask failed (%s)", exc)

            job = threading.Thread(target=run, name="tryon-still-mask", daemon=True)
            st["job"], st["out"] = job, out
            self._careful_job = job  # one at a time: the careful perception's models are not for two threads
            job.start()
        elif job is not None and not job.is_alive():
            mask = st["out"].get("mask")
            st["mask"] = mask if mask is not None and st["out"].get("source") == "teacher" else prob
            self.photo_source = st["out"].get("source")
            return st["mask"]
        return prob

    def _photo_mask(self, frame: np.ndarray, prob: np.ndarray, polys: list) -> np.ndarray:
        """A photo's mask: the garment teacher's (`vision/garment_teacher.py`, the slow careful mask the live
        network was trained on: 0.5-3 s a photo) where it found a garment and either trusts its own answer or
        agrees with the live network's (mask IoU >= `TEACHER_AGREE`); the live network's mask elsewhere.
        Inside the live garment's outline the live network's holes are kept (`TEACHER_KEEP_HOLES`) where they
        are an object on the garment or skin (`_objects`), and
        round each face (grown well past the face's own cut) it is never above the live mask, which keeps
        faces clear. Only photos: a stream has no time for it. Without mediapipe's solutions API (Python
        3.13) or its pose and selfie models (the packaged build), the live mask, with a log line."""
        from tryon_desktop.vision.garment_mask import face_exclusion

        if self._teacher is None:
            try:
                from tryon_desktop.vision.garment_teacher import GarmentTeacher

                self._teacher = GarmentTeacher()
            except Exception as exc:  # (mediapipe without the solutions API, models left out of a build)
                log.info("photo garment mask: the careful teacher is not available (%s); using the live mask", exc)
                self._teacher = False
        if not self._teacher:
            return prob
        try:
            res = self._teacher(frame)
        except Exception as exc:
            log.warning("photo garment mask: the teacher failed (%s); using the live mask", exc)
            return prob
        if not res.mask.any():
            return prob
        mh, mw = prob.shape
        taught = cv2.resize(res.mask, (mw, mh), interpolation=cv2.INTER_AREA)
        a, b = taught > 0.5, prob > 0.5
        both = float(np.count_nonzero(a & b))
        agree = both / max(float(np.count_nonzero(a | b)), 1.0)
        if not (res.confident or agree >= TEACHER_AGREE):
            return prob
        if (res.debug.get("weak_frac", 0.0) > SKIN_COLOURED and both >= TEACHER_INSIDE * float(np.count_nonzero(a))
                and both < TEACHER_COVERS * float(np.count_nonzero(b))):
            # a beige or blush top: to the teacher's skin model most of the torso is maybe skin, and it cut the
            # garment's sides as skin (a centre strip left); the live network, which does not go by the cheeks'
            # colour, found the whole top
            log.info("photo garment mask: the teacher took a skin-coloured garment for skin; using the live mask")
            return prob
        # inside the live garment's outline, what the live network is sure is not garment stays out: a name
        # badge, a row of medal ribbons, a gap under an arm (the teacher's mask is smooth over them)
        outline = np.zeros((mh, mw), np.uint8)
        contours, _ = cv2.findContours(b.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.fillPoly(outline, [cv2.convexHull(c) for c in contours if len(c) >= 3], 1)
        keep = self._objects(frame, (outline > 0) & (prob < TEACHER_KEEP_HOLES), taught, polys)
        taught = np.where(keep, prob, taught)
        near = face_exclusion(polys, (frame.shape[1], frame.shape[0]), (mh, mw), grow=TEACHER_FACE_GROW)
        if near is not None:
            taught = np.where(near > 0, np.minimum(taught, prob), taught)
        return taught.astype(np.float32)

    @staticmethod
    def _objects(frame: np.ndarray, holes: np.ndarray, taught: np.ndarray, polys: list) -> np.ndarray:
        """Of the live network's sure holes in the teacher's garment (bool, the mask's size), those that are an
        object on the garment or skin in front of it: each piece whose colour goes on from it into the
        teacher's garment (`HOLE_SAME`, `HOLE_SHARED`: the region of that colour joined to the piece) is a
        print, a stripe or a fold the network half missed, and goes back to the teacher; an object's colour
        stops at its edge (a white name badge on a dark jacket stays out, however near the white shirt is).
        Skin-coloured pieces (the faces' cheeks' colour: a hand, an arm, the neck in a V) always stay, even
        where the teacher's edge runs over more of the same skin; without a face to sample skin on, every
        hole does."""
        from tryon_desktop.vision.garment_mask import SKIN_MAYBE, ColourModel, cheek_pixels, skin_distance

        mh, mw = holes.shape
        inside = holes & (taught > 0.5)
        cheeks = [px for px in (cheek_pixels(frame, p) for p in polys) if px is not None]
        n, labels = cv2.connectedComponents(inside.astype(np.uint8), connectivity=8)
        if n <= 1 or not cheeks:  # (no face: no skin colour to tell a hand by; all holes stay)
            return holes
        lab = cv2.cvtColor(cv2.resize(frame, (mw, mh), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2Lab)
        lab = lab.astype(np.float32)
        near_skin = skin_distance(ColourModel(np.concatenate(cheeks)), lab) < SKIN_MAYBE
        garment = (taught > 0.5) & ~holes
        garment_skin = np.count_nonzero(near_skin & garment) / max(np.count_nonzero(garment), 1)
        out = holes.copy()
        for i in range(1, n):
            piece = labels == i
            # skin: more of the piece than of the whole garment (a hand blurred over a print is half print; a
            # beige top on pale skin is all "skin", and its holes are garment)
            share = np.count_nonzero(near_skin & piece) / np.count_nonzero(piece)
            if share >= HOLE_SKIN and share > 2.0 * garment_skin:
                continue
            colour = np.median(lab[piece], axis=0)
            same = (np.linalg.norm(lab - colour, axis=-1) < HOLE_SAME).astype(np.uint8)
            # the region of the piece's colour joined to it: where it goes on into the teacher's garment past
            # the piece, a print or a stripe goes on (a badge's white stops at its edge)
            _, joined = cv2.connectedComponents(same | piece.astype(np.uint8), connectivity=8)
            region = np.isin(joined, np.unique(joined[piece]))
            own = np.count_nonzero(region & piece & (same > 0))
            if np.count_nonzero(region & garment) >= HOLE_SHARED * max(own, 1):
                out[piece] = False
        return out

    def start(self, frame: np.ndarray, timestamp: float, prior_faces: list[np.ndarray]) -> Callable[[], np.ndarray] | None:
        """A stream's garment network pass (all but the face cut) on the effects' shared helper thread, with
        `prior_faces` (the last frame's face ovals) as its prior, so it runs while the caller tracks this
        frame's faces (MediaPipe and onnxruntime let go of Python's lock). Returns a function that waits for
        it, for `finish`; None when there is nothing to run there (no model, or a segmenter without that
        split): call self instead. The skin cut runs there too, after the network, with the same faces (it
        only samples the cheeks' colour on them, and refits that every few frames)."""
        self.load()
        uncut = getattr(self.segmenter, "segment_uncut", None)
        if uncut is None:
            return None
        return HELPER.submit(partial(self._uncut, uncut, frame, timestamp, prior_faces))

    def _uncut(self, uncut: Callable, frame: np.ndarray, timestamp: float, prior_faces: list) -> np.ndarray:
        prob = self._fill_body(frame, uncut(frame, timestamp, prior_faces), prior_faces)
        return self._cut_skin(frame, prob, prior_faces)

    def _fill_body(self, frame: np.ndarray, prob: np.ndarray, polys: list) -> np.ndarray:
        """The person's clothing below each face that the network missed, added (`BodyFill`); off when
        `body_fill` is False or the person mask is not available."""
        seen = getattr(self.segmenter, "seen", None)
        if self.body_fill and polys and seen is not None:
            colours = getattr(self.segmenter, "seen_colours", None) if seen.shape[:2] == prob.shape else None
            prob = self._body(seen, prob, frame, polys, video=self.video, colours=colours)
        return prob

    def finish(self, pending: Callable[[], np.ndarray], frame: np.ndarray, faces: list[FaceInfo]) -> np.ndarray:
        """`start`'s pass with this frame's faces cut out (and the hair over them, as self() does)."""
        from tryon_desktop.vision.garment_mask import cut_faces

        prob = pending()
        self.small_face = None
        polys = face_ovals(faces)
        prob = cut_faces(prob, polys, (frame.shape[1], frame.shape[0]), frame, beards=self._beards_of(frame, polys))
        return self._still_mask(frame, faces, self._cut_hair(frame, prob, polys))

    def _beards_of(self, frame: np.ndarray, polys: list) -> list:
        """`dark_under_chin` for each face of a stream, worked out afresh every `BEARD_EVERY` frames and
        whenever the number of faces changes (a beard does not come and go between frames), else the last
        answers."""
        from tryon_desktop.vision.garment_mask import dark_under_chin

        kept = self._beards
        if kept is not None and kept[0] < BEARD_EVERY - 1 and len(kept[1]) == len(polys):
            self._beards = (kept[0] + 1, kept[1])
            return kept[1]
        answers = [dark_under_chin(frame, p) for p in polys]
        self._beards = (0, answers)
        return answers

    def _cut_hair(self, frame: np.ndarray, prob: np.ndarray, polys: list) -> np.ndarray:
        """The hair lying on the garment taken out by its colours, sampled round each face (`cut_hair`)."""
        from tryon_desktop.vision.garment_mask import cut_hair, scale_polygons

        seen = getattr(self.segmenter, "seen", None)
        if polys and seen is not None:
            colours = getattr(self.segmenter, "seen_colours", None) if seen.shape[:2] == prob.shape else None
            prob = cut_hair(seen, prob, scale_polygons(polys, (frame.shape[1], frame.shape[0]), prob.shape),
                            colours=colours)
        return prob

    def set_body_fill(self, on: bool) -> None:
        """Switch the body fill on or off for this perception (the app's "Whole garment" toggle; the class
        attribute is every perception's default). Its memory is dropped either way, and a still picture's
        mask is made again with the new setting."""
        on = bool(on)
        if on == self.body_fill:
            return
        self.body_fill = on
        self._body.reset()
        self._still = {}
        if self._careful is not None:
            self._careful.set_body_fill(on)

    def body_fill_available(self) -> bool:
        """Whether the body fill runs here (switched on, and its person mask loads: mediapipe's solutions API
        and the selfie model; not on Python 3.13's mediapipe)."""
        return bool(self.body_fill and self._body.available)

    def _cut_skin(self, frame: np.ndarray, prob: np.ndarray, polys: list) -> np.ndarray:
        """The bare skin (neck, arms, hands) lying on the garment taken out by its colour, sampled on the
        faces' cheeks (`SkinCut`); off when `skin_cut` is False."""
        seen = getattr(self.segmenter, "seen", None)
        if self.skin_cut and polys and seen is not None:
            prob = self._skin(seen, prob, frame, polys, video=self.video)
        return prob

    def _cut_small_face(self, frame: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, list]:
        """A full-length photo: the face is too small for the tracker's pass over the whole frame, so
        nothing cut it out of the garment mask (and long hair next to it reads as garment). Look again on
        a crop above the garment, enlarged, and cut the face found there (returned too, for the hair cut).
        Photos only: on a live stream the face fills enough of a webcam's frame, and this would cost a
        tracker pass per frame. The face's landmarks are kept in `small_face` for the lipstick."""
        from tryon_desktop.vision.garment_mask import cut_faces

        box = head_region(prob, frame.shape[1], frame.shape[0])
        if box is None:
            return prob, []
        x0, y0, x1, y1 = box
        crop = frame[y0:y1, x0:x1]
        k = max(1.0, 384.0 / max(crop.shape[:2]))
        if k > 1.0:
            crop = cv2.resize(crop, (round(crop.shape[1] * k), round(crop.shape[0] * k)), interpolation=cv2.INTER_CUBIC)
        if self._head_finder is None:
            from tryon_desktop.vision.face_tracker import FaceTracker

            self._head_finder = FaceTracker(max_faces=1, video=False)
        found = self._head_finder.track(crop)
        if not found:
            return prob, []
        landmarks = found[0].landmarks / k + np.array([x0, y0], np.float32)
        poly = landmarks[list(FACE_OVAL)]
        self.small_face = landmarks
        return cut_faces(prob.copy(), [poly], (frame.shape[1], frame.shape[0])), [poly]

    def close(self) -> None:
        if self._head_finder is not None:
            self._head_finder.close()
            self._head_finder = None
        if self._teacher:
            self._teacher.close()
        self._teacher = None
        job = self._careful_job
        if job is not None:
            job.join(timeout=10.0)  # (a careful mask being made: let it finish before its models close)
        self._careful_job = None
        self._still = {}
        if self._careful is not None:
            self._careful.close()
            self._careful = None
        self._body.close()

    def describe(self) -> dict:
        self.load()
        seg = self.segmenter
        if seg is None:
            return {"renderer": "none", "version": "", "sha256": "", "provider": ""}
        man = getattr(seg, "manifest", None)
        if self.photo_source == "teacher":
            renderer = "student + teacher (a photo)"
        else:  # the body fill, once it has made a person mask (describing makes none: it costs nothing)
            renderer = "student + body fill" if self.body_fill and self._body.loaded else "student"
        return {"renderer": renderer, "version": str(getattr(man, "version", "") or ""),
                "sha256": str(getattr(man, "sha256", "") or ""), "provider": str(getattr(seg, "provider", ""))}

    def reset(self) -> None:
        self._skin.reset()
        self._body.reset()
        self._still = {}
        self._beards = None
        if self.segmenter is not None:
            self.segmenter.reset()


def head_region(prob: np.ndarray, frame_w: int, frame_h: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) in frame pixels where a head above the garment would be: centred on the top of the
    garment's mask (its neckline), as wide as the garment's shoulders, reaching up about one shoulder width;
    None without a garment or when there is no room above it."""
    ys, xs = np.nonzero(prob > 0.5)
    if len(xs) < 16:
        return None
    sx, sy = frame_w / prob.shape[1], frame_h / prob.shape[0]
    top = ys.min()
    upper = ys <= top + max(2, int(0.15 * (ys.max() - top + 1)))
    cx = float(np.median(xs[upper]) + 0.5) * sx
    gw = float(np.percentile(xs, 95) - np.percentile(xs, 5) + 1) * sx
    gy = float(top) * sy
    x0, x1 = int(max(0, cx - 0.6 * gw)), int(min(frame_w, cx + 0.6 * gw))
    y0, y1 = int(max(0, gy - 1.0 * gw)), int(min(frame_h, gy + 0.25 * gw))
    if x1 - x0 < 24 or y1 - y0 < 24 or gy < 8:
        return None
    return x0, y0, x1, y1


def draw_mask_overlay(frame: np.ndarray, mask: np.ndarray | None, strength: float = 0.45) -> None:
    """Tint the garment mask green over `frame` in place and outline it, so a user can see what the
    outfit effect will change."""
    if mask is None:
        return
    a = (np.clip(mask, 0.0, 1.0) * strength)[..., None]
    frame[:] = np.clip(frame.astype(np.float32) * (1.0 - a) + MASK_TINT_BGR * a + 0.5, 0, 255).astype(np.uint8)
    contours, _ = cv2.findContours((mask > 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(frame, contours, -1, (40, 255, 40), max(1, frame.shape[1] // 640), cv2.LINE_AA)


class TryOnEngine:
    """Frame + look -> FrameResult. One instance per video stream (it keeps tracking state)."""

    def __init__(self, model: str | Path | None = "auto", max_faces: int = 2, video: bool = True,
                 smoothing: bool = True, providers: list[str] | None = None, tracker=None,
                 garment_model: str | Path | None = "auto", outfit_model: str | Path | None = "auto") -> None:
        from tryon_desktop.vision.face_tracker import FaceTracker

        self.tracker = tracker if tracker is not None else FaceTracker(max_faces=max_faces, video=video)
        self.video = video
        self.smoother = LandmarkSmoother() if (smoothing and video) else None
        self.garment = GarmentPerception(garment_model, providers, video=video)
        self.effects: dict[str, Effect] = {"outfit": OutfitEffect(outfit_model, providers, video=video),
                                           "lipstick": LipstickEffect(model, providers)}
        self._t0 = time.perf_counter()
        self._last_faces: tuple[tuple, float, list[np.ndarray]] | None = None  # (frame shape, time, face ovals)

    def _prior_faces(self, shape: tuple, t: float) -> list[np.ndarray] | None:
        """The last frame's face ovals, when they can stand in for this frame's as the garment network's
        prior: a stream (the same frame size, a little earlier) on which faces were seen. None otherwise
        (the first frame, after a reset or a jump in time, no face last time): the garment mask waits for
        the tracker."""
        last = self._last_faces
        if last is None or last[0] != shape or not last[2] or not (0.0 <= t - last[1] <= PRIOR_MAX_GAP_S):
            return None
        return last[2]

    # ---- what made it: the lipstick backend's names are kept for the front ends that show them ----------
    @property
    def lipstick(self):
        return self.effects["lipstick"].backend

    @lipstick.setter
    def lipstick(self, backend) -> None:
        self.effects["lipstick"].backend = backend

    @property
    def notice(self) -> str | None:
        return self.effects["lipstick"].notice

    @property
    def renderer_name(self) -> str:
        return self.lipstick.name

    @property
    def provider(self) -> str:
        return self.lipstick.provider

    def describe(self) -> dict[str, dict]:
        """Per effect (and the garment mask): name, version, sha256 and provider of what makes it."""
        out = {k: e.describe().to_dict() for k, e in self.effects.items()}
        out["garment_mask"] = self.garment.describe()
        return out

    def notices(self, look: Look | None = None) -> list[str]:
        """Lasting messages for the user about the effects `look` wears (all effects when look is None)."""
        look = as_look(look) if look is not None else None
        out = []
        for kind in EFFECT_ORDER:
            eff = self.effects[kind]
            if look is not None and not eff.active(look):
                continue
            if eff.notice:
                out.append(eff.notice)
            if GARMENT in eff.needs:
                self.garment.load()
                if self.garment.notice:
                    out.append(self.garment.notice)
        return out

    def set_body_fill(self, on: bool) -> None:
        """The garment mask's body fill on or off (`GarmentPerception.set_body_fill`)."""
        setter = getattr(self.garment, "set_body_fill", None)  # (tests put simpler stand-ins here)
        if setter is not None:
            setter(on)

    def reset(self) -> None:
        """Forget temporal state (call when the source changes): landmark filter, garment mask smoothing,
        and every effect's own memory."""
        if self.smoother is not None:
            self.smoother.reset()
        self._last_faces = None
        self.garment.reset()
        for eff in self.effects.values():
            eff.reset()

    def close(self) -> None:
        self.tracker.close()
        close = getattr(self.garment, "close", None)  # (tests put simpler stand-ins here)
        if close is not None:
            close()
        for eff in self.effects.values():
            eff.close()

    def __enter__(self) -> TryOnEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def process(self, frame: np.ndarray, look: Look | Shade | OutfitSwatch | None, timestamp: float | None = None,
                garment_mask: bool = False, show_mask: bool = False) -> FrameResult:
        """garment_mask: compute the garment mask even if no effect needs it (it comes back in the result);
        show_mask: also draw it over the made-up frame (tryon-render --show-mask)."""
        check_frame(frame)
        look = as_look(look)
        timings = dict.fromkeys(STAGES, 0.0)
        t_start = time.perf_counter()
        t = timestamp if timestamp is not None else t_start - self._t0
        active = [self.effects[k] for k in EFFECT_ORDER if self.effects[k].active(look)]
        needs = set().union(*(e.needs for e in active)) if active else set()

        garment_wanted = GARMENT in needs or garment_mask or show_mask
        pending = None  # the garment network's pass, running beside the tracker (GARMENT_OVERLAP)
        if garment_wanted and GARMENT_OVERLAP and self.video and timestamp is not None:
            prior = self._prior_faces(frame.shape, t)
            start = getattr(self.garment, "start", None)  # (tests put simpler stand-ins here)
            if prior is not None and start is not None:
                pending = start(frame, t, prior)

        # Faces are always tracked: the HUD's "no face" and every front end's face count rely on them.
        try:
            faces = self.tracker.track(frame)
            landmarks = [f.landmarks for f in faces]
            if self.smoother is not None and landmarks:
                landmarks = self.smoother(landmarks, t)
        except BaseException:
            if pending is not None:  # nothing left reading the caller's frame when this raises
                try:
                    pending()
                except Exception:
                    pass
            raise
        infos = [FaceInfo(landmarks=lm, box=lip_box(lm, frame.shape), mouth_open=mouth_opening(lm)) for lm in landmarks]
        if self.video:
            self._last_faces = (frame.shape, t, face_ovals(infos))
        t1 = time.perf_counter()
        timings["track"] = (t1 - t_start) * 1000.0

        scene = Scene(frame=frame, timestamp=t, faces=infos)
        # A photo with no face found may be a full-length shot whose face is too small for the tracker:
        # the garment mask shows where the head is, and the garment stage looks there again.
        small_face_search = not infos and not self.video and FACES in needs
        if pending is not None:
            scene.garment = self.garment.finish(pending, frame, infos)
            scene.garment_notice = self.garment.notice
            timings["garment"] = (time.perf_counter() - t1) * 1000.0
        elif garment_wanted or small_face_search:
            # (only looking for a small face for the lipstick: no need for a photo's careful mask)
            scene.garment = (self.garment(frame, t, infos) if garment_wanted
                             else self.garment(frame, t, infos, careful=False))
            scene.garment_notice = self.garment.notice
            small = getattr(self.garment, "small_face", None)
            if not infos and small is not None:
                infos = [FaceInfo(landmarks=small, box=lip_box(small, frame.shape), mouth_open=mouth_opening(small))]
                scene.faces = infos
            timings["garment"] = (time.perf_counter() - t1) * 1000.0
        if scene.garment is not None:
            # a letterboxed video's black bars are never garment (the network runs a dark garment into them)
            from tryon_desktop.vision.garment_mask import clear_bars, letterbox

            scene.bars = letterbox(frame)
            scene.garment = clear_bars(scene.garment, (frame.shape[1], frame.shape[0]), scene.bars)

        out = frame.copy()
        status: dict[str, str] = {}
        for eff in active:
            ta = time.perf_counter()
            items = eff.prepare(out, scene, look)
            tg = time.perf_counter()
            made = [eff.generate(item, look) for item in items]
            tb = time.perf_counter()
            for m in made:
                if m is not None:
                    composite_in_box(out, m.region, m.alpha, m.box)
            te = time.perf_counter()
            for stage, ms in (("align", tg - ta), ("generate", tb - tg), ("blend", te - tb)):
                timings[f"{eff.kind}.{stage}"] = ms * 1000.0
                timings[stage] += ms * 1000.0
            if getattr(eff, "status", None):
                status[eff.kind] = eff.status
        if show_mask:
            draw_mask_overlay(out, scene.garment_full())
        timings["total"] = (time.perf_counter() - t_start) * 1000.0
        return FrameResult(frame=out, faces=infos, timings_ms=timings,
                           renderer=self.lipstick.name if look.lipstick is not None else "none",
                           no_face=not infos, look=look, notes=self.notices(look) if active else [],
                           status=status, garment_mask=scene.garment)
