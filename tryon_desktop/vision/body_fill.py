"""Body fill: the person's own silhouette below each face, less skin, hair and face, added to the live
garment mask where the network missed it.

The garment network is small and learned from a teacher that was weakest on webcam framing (a head and
shoulders filling the frame): it often finds one side of a jacket and not the other, or a collar and not
the shirt under it. MediaPipe's person mask (the selfie segmenter that ships in the 0.10.21 wheel, the
256x144 "landscape" model, ~2-3 ms on this CPU at the mask's size) is reliable on exactly that framing.
Below a face, within a torso's reach, what the person mask covers is clothing unless it is the neck or
another bare skin, hair, or the face itself:

    fill = person x (not skin) x (not hanging hair) x (a colour of the garment found), in each face's torso
           region, outside the faces

- torso region: from half a face above the chin (a close-up's shoulders rise beside the face to about its
  mouth; the face itself, grown, is never filled) down `REACH` face heights, and `SIDE` face widths either
  side of the face's centre (sleeves included; a second person's clothes far to the side are not);
- skin: the face's own cheeks give a colour model (`garment_mask.cheek_pixels`, `skin_distance`); pixels
  within `SKIN_FAR` of it are not filled. When the clothing found below the face is itself skin-coloured (a
  beige top, a bare torso) colour cannot tell them apart and nothing is filled;
- hair: a band round the top of each head gives the hair's colours (against the background's);
  hair-coloured regions of the person (with the highlights between its strands; skin colours never count:
  an ear or a neck would join a dark jacket to the hair) joined to a ring round the top half of the head
  are hair hanging from it (`hanging_hair`), left out. A jacket's shoulder that only reaches the head
  beside the jaw is not;
- colour: a colour `GARMENT_LLR` rarer in the garment the network found than in the frame (hands, a
  necklace) is left out: the fill completes that garment in its own colours.

The fill is added as a probability of `LEVEL` (counted in the mask, below the network's "sure" level, so
it never feeds the colour models that settle the network's own undecided pixels) with the maximum:
it can only add garment, and only where the network found garment on `FOUND` of the body (it completes a
garment, it never makes one up). On a stream it is made every few frames and moved with the faces between
(`BodyFill`), and averaged over fresh fills (`MEMORY`), so its outline does not flicker with the person
mask's.

The same person mask also takes out what the network marked off the person (`off_person`): a patch of
garment with under `OFF_PERSON` of its pixels on the person (a textured wall beside a shoulder, a coat on a
chair behind) is dropped whole; a patch that is mostly on the person is kept whole, so the person mask's
own soft or late edge never trims the garment. A patch with the colours of the background the person mask is
sure of, over part of which the person mask is unsure, is the wall itself where a shoulder might be, and
goes too (`backdrop_patches`). Without mediapipe's solutions API (Python 3.13's mediapipe) it is off, and the
live mask is the network's alone (`available`).

numpy + cv2 + mediapipe only: no torch, no Qt.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

import cv2
import numpy as np

from tryon_desktop.vision.garment_mask import (
    MODEL_SAMPLES,
    SKIN_MAYBE,
    SKIN_SURE,
    ColourModel,
    cheek_pixels,
    clear_bars,
    colour_hist,
    colour_planes,
    dark_under_chin,
    grown_polygon,
    letterbox,
    scale_polygons,
    skin_distance,
    skin_lookup,
    skin_tables,
)

log = logging.getLogger(__name__)

TOP = -0.5  # face heights below the chin where the search starts (beside a close-up's face, shoulders reach its mouth)
REACH = 3.0  # face heights below the chin that clothing is looked for (chin to hips, about)
SIDE = 2.5  # face widths either side of the face's centre (shoulders and sleeves)
FACE_GROW = 1.1  # the face oval grown by this about its centre is never filled
HAIR_LLR = 1.0  # a colour this much likelier (log) in the hair band than off the person is the hair's
HAIR_LLR_WEAK = 0.0  # ... and a colour at least as likely there as off the person joins hair-coloured pixels into one
#                       piece (a glossy lock's highlights no longer cut hanging hair into pieces that look like clothing)
LEVEL = 0.75  # the fill's probability: inside the mask (> 0.5), under the refiner's sure level (0.8)
MEMORY = 0.5  # a stream's fill: this much of this frame's, the rest the last frame's
EVERY = 6  # a stream makes the fill afresh on every this many frames, moved with the faces in between
REFIT = 2  # ... and refits its skin, hair and garment colours on every this many fresh fills (12 frames)
SKIN_GARMENT = 2.0  # the clothing's median colour this close to the skin model (skin_distance): skin-coloured
PERSON = 0.5  # the person mask's level that counts as the person
SKIN_FAR = (SKIN_SURE + 0.5, SKIN_MAYBE)  # skin distance: not filled below the first, fully from the second
GARMENT_LLR = -1.0  # a colour this much rarer (log) in the garment the network found than in the frame is not
#                    filled: the fill completes that garment in its own colours (not hands, not a necklace)
FOUND = 0.15  # the network must have found garment on this share of the body below the faces: the fill
#               completes a garment, it never makes one up (a face close-up, hair at the frame's edge)
OFF_PERSON = 0.2  # a patch of the network's garment with less of its pixels than this on the person is dropped
OFF_PERSON_MARGIN = 0.05  # past the person mask by more than this many face widths (at least half a cell), the
#                          network's doubtful garment (under OFF_PERSON_SURE) fades out over as much again
#                          (at least a cell):
OFF_PERSON_SURE = 0.9  # a wall or fence of the garment's colour beside a shoulder is not the garment
OFF_PERSON_TRIM = True  # module switch: `trim_off_person` runs (False: only whole patches go, `off_person`)
BACKDROP_LIKE = 0.85  # a patch whose colours are the background's (Bhattacharyya coefficient of the two colour
#                     histograms, the background being what the person mask is sure is not the person) ...
BACKDROP_PERSON = 0.95  # ... and whose quarter least on the person is under this person level is the wall
#                        itself where a shoulder might be, and goes (`backdrop_patches`)
BACKDROP_OFF = 0.1  # the person mask's level under which a pixel is surely background
BACKDROP_MIN = 0.05  # ... and the share of the frame that must be so for the test to run
BACKDROP_HOLD = 30  # on a stream, where a patch went as the background, for this many frames one of the
#                    background's colours goes there even where the person mask is sure of it (its guessed
#                    shoulder comes and goes; the wall does not)
BACKDROP_HELD = 0.5  # ... when this share of the patch lies where one went


class BodyFill:
    """`fill(small_bgr, prob, frame_bgr, face_polygons, video)` -> prob with the body's clothing added (a new
    array) or prob itself (nothing to add). small_bgr: the frame at prob's size; face_polygons: face ovals
    in frame pixels (the last frame's are fine on a stream: only the chin line and the cheeks are read).

    On a stream (`video`) the person mask (most of the cost, 2-3 ms) is made on every `EVERY`-th frame, on a
    thread of its own beside the rest of the engine's work, and never waited for: once it is ready (a frame
    or two later) the fill is made afresh from it and this frame's colours, and in between the last fill is
    moved by how far the faces' centre moved (a head and shoulders move together), so it does not trail a
    moving body. Each fresh fill is averaged with the last one, moved the same way (`MEMORY`); the colour
    models are refitted on every `REFIT`-th fresh fill. A stream's first frame with a face (and the first
    after the faces were lost) waits for its person mask, made there and then, once: the rest never do.
    """

    def __init__(self) -> None:
        self._seg = None  # the selfie segmenter, made on first use; False: not available here
        self._ran = False  # a person mask was made (kept after close: what made the last results)
        self._lock = threading.Lock()  # one person mask at a time (the graph is not for two threads at once)
        self.reset()

    @property
    def available(self) -> bool:
        if self._seg is None:
            self._seg = self._make()
        return bool(self._seg)

    @property
    def loaded(self) -> bool:
        """Whether a person mask has been made here (without making one): the fill has run."""
        return self._ran

    @staticmethod
    def _make():
        """The selfie segmenter, made on the person masks' own thread (`_pool`): MediaPipe's graph starts its
        worker threads there, and they take that thread's lowered priority (a stream never waits for a person
        mask), or False when it is not available."""
        if threading.current_thread().name.startswith(_POOL_NAME):  # (already there: made here, not queued)
            return BodyFill._make_here()
        return _pool().submit(BodyFill._make_here).result()

    @staticmethod
    def _make_here():
        try:
            import mediapipe as mp

            if not hasattr(mp, "solutions"):
                log.info("body fill: mediapipe has no solutions API here; the live garment mask is the network's")
                return False
            seg = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=1)
            seg.process(np.zeros((32, 32, 3), np.uint8))
            return seg
        except Exception as exc:  # (a build without the selfie model, a broken install)
            log.warning("body fill: the person mask is not available (%s); the live garment mask is the network's", exc)
            return False

    def reset(self) -> None:
        self._forget_fill()
        self._centre = np.zeros(2, np.float32)  # the faces' centre at the last fresh fill, and frames since
        self._since = 0
        self._job = None  # a stream's next person mask, being made on its own thread: (future, faces' centre, faces)
        self._person: np.ndarray | None = None  # the last person mask and the faces' centre then (off_person)
        self._person_centre = np.zeros(2, np.float32)
        self._gone: np.ndarray | None = None  # where garment went off the person, the faces' centre then and
        self._gone_centre = np.zeros(2, np.float32)  # frames left (`BACKDROP_HOLD`)
        self._gone_left = 0

    def _forget_fill(self) -> None:
        """Drop the last fill and its colour models (not the person mask, which still places the person)."""
        self._last: np.ndarray | None = None  # the last fresh fill
        self._area = 0  # its pixels over one half
        self._colours: dict | None = None  # the fitted colour tables, their age (fresh fills) and faces
        self._age = 0
        self._faces = -1

    def close(self) -> None:
        with self._lock:  # (a person mask being made ahead finishes first)
            if self._seg:
                self._seg.close()
            self._seg = False  # closed: a person mask still queued finds nothing to run (and makes none)
        self._job = None

    def person(self, small_bgr: np.ndarray) -> np.ndarray | None:
        """float32 (h, w) person probability of the frame at small_bgr's size, or None when unavailable."""
        rgb = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2RGB)
        with self._lock:
            if not self.available:
                return None
            m = self._seg.process(rgb).segmentation_mask
            if m is None:
                return None
            self._ran = True
            return np.asarray(m, np.float32)

    def __call__(self, small_bgr: np.ndarray, prob: np.ndarray, frame_bgr: np.ndarray, face_polygons,
                 video: bool = False, colours: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        if not face_polygons:
            self.reset()
            return prob
        mh, mw = prob.shape
        if small_bgr.shape[:2] != (mh, mw):
            small_bgr, colours = cv2.resize(small_bgr, (mw, mh), interpolation=cv2.INTER_AREA), None
        if not video:
            fill = self._fresh(small_bgr, prob, frame_bgr, face_polygons, colours, False)
            out = prob if fill is None or not (fill > 0.5).any() else np.maximum(prob, fill)
            if self._person is None:
                return out
            return self._off_person(out, self._person, face_polygons, frame_bgr.shape, small_bgr, None)
        centre = faces_centre(face_polygons, (mw / frame_bgr.shape[1], mh / frame_bgr.shape[0]))
        self._since += 1
        job = self._job
        if job is None and self._person is None and self.available:
            # a stream's first frame with a face: its person mask made here, once (2-3 ms), so that no frame
            # goes out with the network's garment alone (a wall it takes for a shoulder would flash)
            job = self._job = (Future(), centre, len(face_polygons))
            job[0].set_result(self.person(small_bgr))
            self._since = 0
        if job is None and (self._last is None or self._since >= EVERY) and self.available:
            # the next person mask, made on a thread of its own beside the rest of the engine's work: the
            # fill is made afresh once it is ready (a frame or two later), moved by how far the faces moved
            self._job = (_pool().submit(self.person, small_bgr.copy()), centre, len(face_polygons))
            self._since = 0
        elif job is not None and job[0].done():
            self._job = None
            person = job[0].result()
            if person is not None and person.shape == (mh, mw) and job[2] == len(face_polygons):
                person = shifted(person, centre - job[1])
                kept = self._person
                if kept is not None and kept.shape == (mh, mw):
                    # averaged with the last one (moved with the faces), as the fill is: the person mask's edge
                    # wavers from one to the next, and `trim_off_person` follows it
                    person = cv2.addWeighted(person, MEMORY, shifted(kept, centre - self._person_centre), 1.0 - MEMORY, 0.0)
                self._person, self._person_centre = person, centre
                fill = self._fresh(small_bgr, prob, frame_bgr, face_polygons, colours, True, person)
                last = self._last if self._last is not None and self._last.shape == (mh, mw) else None
                if last is not None:
                    fill = cv2.addWeighted(fill, MEMORY, shifted(last, centre - self._centre), 1.0 - MEMORY, 0.0)
                self._last, self._centre, self._area = fill, centre, int(np.count_nonzero(fill > 0.5))
        person = self._person
        if person is not None and person.shape == (mh, mw):
            prob = self._off_person(prob, shifted(person, centre - self._person_centre), face_polygons, frame_bgr.shape,
                                    small_bgr, centre)
        last = self._last
        if last is None or last.shape != (mh, mw) or self._area == 0:
            return prob  # no fill yet, or the last one added nothing
        if np.count_nonzero(prob > 0.5) < FOUND * self._area:
            self._forget_fill()  # the network no longer finds the garment (the person left): nothing to complete
            return prob
        return np.maximum(prob, shifted(last, centre - self._centre))

    def _off_person(self, prob: np.ndarray, person: np.ndarray, face_polygons, frame_shape, small_bgr: np.ndarray,
                    centre: np.ndarray | None) -> np.ndarray:
        """`off_person`, then `trim_off_person` with its margin in the widest face's width (at the mask's
        scale; a face polygon that is not finite is left out, as everywhere `scale_polygons` is used). centre:
        a stream's faces' centre (None: a photo), where what went is kept for the next frames
        (`BACKDROP_HOLD`), moved with the faces."""
        held = None
        if centre is not None and self._gone_left > 0 and self._gone is not None and self._gone.shape == prob.shape:
            held = shifted(self._gone, centre - self._gone_centre) > 0.5
            self._gone_left -= 1
        out = off_person(prob, person, small_bgr, held)
        if centre is not None:
            gone = (prob > 0.5) & (out <= 0.0)
            if gone.any():
                self._gone, self._gone_centre, self._gone_left = gone.astype(np.float32), centre, BACKDROP_HOLD
        widths = [float(np.ptp(q[:, 0])) for q in scale_polygons(face_polygons, frame_shape[1::-1], prob.shape)]
        margin = OFF_PERSON_MARGIN * max(widths, default=0.0)
        return trim_off_person(out, person, margin)

    def _fresh(self, small_bgr, prob, frame_bgr, face_polygons, colours, video, person=None) -> np.ndarray | None:
        """A fill made now (the person mask made here when not given: a photo), or None without one."""
        mh, mw = prob.shape
        if person is None or person.shape != (mh, mw):
            person = self._person = self.person(small_bgr)  # (a photo's: off_person reads it next)
        if person is None:
            return None
        geo = Geometry.of(face_polygons, (mh, mw), frame_bgr.shape,
                          beards=[dark_under_chin(frame_bgr, p) is not False for p in face_polygons])
        if colours is None or colours[0].shape[:2] != (mh, mw):
            colours = colour_planes(small_bgr)
        lab = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2Lab)
        if not video or self._colours is None or self._age >= REFIT or self._faces != len(face_polygons):
            self._colours = fit_colours(frame_bgr, geo, lab, colours, person, prob)
            self._age, self._faces = 0, len(face_polygons)
        self._age += 1
        return body_fill(geo, lab, colours, person, prob, self._colours)


def person_mask_possible() -> bool:
    """Whether this mediapipe has the solutions API the person mask needs (without making the model: cheap,
    for the app to grey out its "Whole garment" switch where it cannot run, Python 3.13's mediapipe)."""
    try:
        import mediapipe as mp
    except Exception:
        return False
    return hasattr(mp, "solutions")


_POOL: list = []
_POOL_NAME = "tryon-person"


def _pool():
    """One thread for the person masks a stream makes ahead (shared: one stream at a time runs a fill)."""
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        from tryon_desktop.core.background import lower_priority

        # (a lowered priority: nothing waits for a stream's person mask; see BodyFill._make)
        _POOL.append(ThreadPoolExecutor(1, thread_name_prefix=_POOL_NAME, initializer=lower_priority))
    return _POOL[0]


def off_person(prob: np.ndarray, person: np.ndarray, small_bgr: np.ndarray | None = None,
               held: np.ndarray | None = None) -> np.ndarray:
    """prob without the garment patches that lie off the person: each connected region over one half with
    under `OFF_PERSON` of its pixels on the person (person > `PERSON`) goes, with its soft fringe (one cell
    round it, where no kept patch is); so does one that is the background itself (`backdrop_patches`, when
    small_bgr, the frame at prob's size, is given; held: where a patch went lately, on a stream). Returns
    prob itself when nothing goes, else a new array."""
    on = prob > 0.5
    if person.shape != prob.shape or not on.any():
        return prob
    n, labels, stats, _ = cv2.connectedComponentsWithStats(on.astype(np.uint8), connectivity=8)
    if n <= 1:
        return prob
    hits = np.bincount(labels[person > PERSON], minlength=n)[:n]
    drop = hits < OFF_PERSON * stats[:, cv2.CC_STAT_AREA]
    drop[0] = False
    if small_bgr is not None and small_bgr.shape[:2] == prob.shape:
        drop |= backdrop_patches(labels, stats[:, cv2.CC_STAT_AREA], on, person, small_bgr, ~drop, held)
    if not drop.any():
        return prob
    gone = cv2.dilate(drop[labels].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    gone &= ~(on & ~drop[labels])
    out = prob.copy()
    out[gone] = 0.0
    return out


def backdrop_patches(labels: np.ndarray, areas: np.ndarray, on: np.ndarray, person: np.ndarray,
                     small_bgr: np.ndarray, candidates: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
    """bool (n,): which of the garment's patches (labels, areas: `cv2.connectedComponentsWithStats` of `on`,
    n patches with label 0) are the background itself. In a close-up the person mask guesses a shoulder
    below the face where the frame shows only the wall, and the network can take that textured wall for a
    jacket (talkinghead1: a grey stone wall painted burgundy through a whole clip, the white collar beside it
    missed). Such a patch has the colours of
    the background the person mask is sure of (`BACKDROP_LIKE`, YCrCb histograms as the refiner's) and the
    person mask is unsure over part of it (`BACKDROP_PERSON`, its lower quarter); a white shirt before a
    white wall has the wall's colours too, but the person mask is sure of all of it, so it stays. On a stream
    the person mask's guessed shoulder comes and goes over the same wall (sure of it for half a second at a
    time): where a patch went lately (held, bool, the mask's size; `BACKDROP_HELD` of the patch there), the
    person mask's certainty does not save it. Only the `candidates` (bool (n,)) are looked at; label 0
    never goes."""
    n = len(areas)
    out = np.zeros(n, bool)
    # a patch's lower quarter under BACKDROP_PERSON: over a quarter of it is (one count for all patches)
    unsure = np.bincount(labels[on & (person < BACKDROP_PERSON)], minlength=n)[:n] > 0.25 * areas
    if held is not None:
        unsure |= np.bincount(labels[on & held], minlength=n)[:n] >= BACKDROP_HELD * areas
    unsure &= candidates
    unsure[0] = False
    ycc = h_back = None
    for i in np.flatnonzero(unsure):
        piece = labels == i
        if h_back is None:  # (the background's colours: only once a patch needs them)
            back = ((person < BACKDROP_OFF) & ~on).astype(np.float32)
            # a video's black bars are not the room (at the mask's size the frame is small_bgr)
            back = clear_bars(back, small_bgr.shape[1::-1], letterbox(small_bgr)) > 0.5
            if np.count_nonzero(back) < BACKDROP_MIN * back.size:
                return out
            ycc = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2YCrCb)
            h_back = colour_hist(ycc, back.astype(np.uint8))
        similar = float(np.sqrt(colour_hist(ycc, piece.astype(np.uint8)) * h_back).sum())
        out[i] = similar >= BACKDROP_LIKE
    return out


def trim_off_person(prob: np.ndarray, person: np.ndarray, margin: float) -> np.ndarray:
    """prob with its doubtful garment (under `OFF_PERSON_SURE`) off the person faded out: full within
    `margin` cells of the person mask (person > `PERSON`; at least half a cell), nothing past twice that (at
    least a cell more), linear between. The network's garment spills a few cells past a shoulder onto a
    background of the garment's own colour (a dark fence behind a grey coat), where no colour test can cut
    it; the person mask's edge there is clean. Its sure garment stays whatever the person mask says (a
    sleeve moved since the person mask was made, a garment the person mask missed). Returns prob itself when
    nothing changes, else a new array."""
    if not OFF_PERSON_TRIM or person.shape != prob.shape:
        return prob
    doubt = (prob > 0.0) & (prob < OFF_PERSON_SURE)
    off = person <= PERSON
    if not (doubt & off).any():
        return prob
    dist = cv2.distanceTransform(off.astype(np.uint8), cv2.DIST_L2, 3)
    m = max(float(margin), 0.5)
    r = max(m, 1.0)
    keep = np.clip((m + r - dist) / r, 0.0, 1.0)
    fade = doubt & (keep < 1.0)
    if not fade.any():
        return prob
    out = prob.copy()
    out[fade] *= keep[fade]
    return out


def faces_centre(face_polygons, scale: tuple[float, float]) -> np.ndarray:
    """The mean of the faces' centres, at the mask's scale (float32 (2,))."""
    cs = [np.asarray(p, np.float32).reshape(-1, 2).mean(0) for p in face_polygons]
    return (np.mean(cs, 0) * np.float32(scale)).astype(np.float32)


def shifted(m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """m moved by d = (dx, dy) pixels (bilinear; 0 comes in at the edges)."""
    if abs(float(d[0])) < 0.25 and abs(float(d[1])) < 0.25:
        return m  # (a quarter of a mask cell: the fill's soft edge does not see it)
    M = np.float32([[1, 0, d[0]], [0, 1, d[1]]])
    return cv2.warpAffine(m, M, (m.shape[1], m.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


class Geometry:
    """Where to look, at the mask's size, from the face ovals: `region` (each face's torso reach), `faces`
    (the ovals grown by FACE_GROW), `band` (round the top of each head: the hair's sample), `ring` (round
    the top half of each head: where hanging hair starts), `ovals` (the valid polygons, frame pixels)."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.region = np.zeros(shape, np.uint8)
        self.faces = np.zeros(shape, np.uint8)
        self.band = np.zeros(shape, np.uint8)
        self.ring = np.zeros(shape, np.uint8)
        self.ovals: list[np.ndarray] = []

    @classmethod
    def of(cls, face_polygons, shape: tuple[int, int], frame_shape, beards: list[bool] | None = None) -> Geometry:
        """beards: per face, whether a beard may grow under its chin (`garment_mask.dark_under_chin`, or
        not known): its ring reaches down to the jaw, so a beard hangs from the head as hair does."""
        mh, mw = shape
        g = cls(shape)
        scale = np.float32((mw / frame_shape[1], mh / frame_shape[0]))
        for k, poly in enumerate(face_polygons):
            p = np.asarray(poly, np.float32).reshape(-1, 2)
            if len(p) < 3 or not np.all(np.isfinite(p)):
                continue
            g.ovals.append(p)
            q = p * scale
            c = q.mean(0)
            (x0, y0), (x1, y1) = q.min(0), q.max(0)
            fw, fh = float(x1 - x0), float(y1 - y0)
            if fw < 2 or fh < 2:
                continue
            r0, r1 = int(max(0, y1 + TOP * fh)), int(min(mh, y1 + REACH * fh + 1))
            c0, c1 = int(max(0, c[0] - SIDE * fw)), int(min(mw, c[0] + SIDE * fw + 1))
            g.region[r0:r1, c0:c1] = 1
            g.faces |= grown_polygon(q, c, FACE_GROW, shape)
            around = grown_polygon(q, c, 1.45, shape) & (1 - grown_polygon(q, c, 1.08, shape))
            band_end = int(max(0.0, c[1] + 0.1 * fh))  # round the top of the head: the hair's sample
            g.band[:band_end] |= around[:band_end]
            # hair hangs from the top half of the head (what meets the ring only beside the jaw is a close-up's
            # shoulder, not hair); where a beard may grow, from the whole head down to the jaw
            ring_end = int(max(0.0, y1 - 0.05 * fh if beards is not None and beards[k] else c[1]))
            g.ring[:ring_end] |= around[:ring_end]
        return g


def fit_colours(frame_bgr: np.ndarray, geo: Geometry, lab: np.ndarray, colours: tuple[np.ndarray, np.ndarray],
                person: np.ndarray, prob: np.ndarray) -> dict | None:
    """The colour models the fill reads, or None (no skin sample on the cheeks: the neck cannot be told from
    a collar): "skin" (`skin_tables` of the cheeks' model), "skin_coloured" (the clothing below the faces
    looks like the skin: no fill), "hair" (per colour bin, the log-likelihood ratio of the head's band
    against the background, or None without a hair sample), "garment" (per colour bin, the log-likelihood
    ratio of the garment the network found, on the person, against the whole frame; None: too little found)."""
    cheeks = [px for px in (cheek_pixels(frame_bgr, p) for p in geo.ovals) if px is not None]
    skin_px = np.concatenate(cheeks) if cheeks else None
    if skin_px is None or len(skin_px) < 20:
        return None
    skin = ColourModel(skin_px[:: max(1, len(skin_px) // MODEL_SAMPLES)])
    tables = skin_tables(skin)
    on = person > PERSON
    clothes = (geo.region > 0) & (geo.faces == 0) & on & (skin_lookup(lab, tables) > SKIN_MAYBE)
    skin_coloured = True
    if int(clothes.sum()) >= 20:
        mid = np.median(lab[clothes][:: max(1, int(clothes.sum()) // MODEL_SAMPLES)], axis=0).astype(np.float32)
        skin_coloured = float(skin_distance(skin, mid.reshape(1, 1, 3))[0, 0]) < SKIN_GARMENT
    hair = None
    sample = (geo.band > 0) & on
    if int(sample.sum()) >= 30:
        ycc = colours[0]
        off = person < 0.2
        ref = off if int(off.sum()) >= 30 else np.ones(person.shape, bool)
        hair = np.log((colour_hist(ycc, sample.astype(np.uint8)) + 1e-4)
                      / (colour_hist(ycc, ref.astype(np.uint8)) + 1e-4)).astype(np.float32).ravel()
    found = ((prob > 0.8) & on).astype(np.uint8)
    if int(found.sum()) < 30:
        found = ((prob > 0.5) & on).astype(np.uint8)
    garment_llr = None
    if int(found.sum()) >= 30:
        garment_llr = np.log((colour_hist(colours[0], found) + 1e-4)
                             / (colour_hist(colours[0], np.ones(person.shape, np.uint8)) + 1e-4)).astype(np.float32).ravel()
    return {"skin": tables, "skin_coloured": skin_coloured, "hair": hair, "garment": garment_llr}


def body_fill(geo: Geometry, lab: np.ndarray, colours: tuple[np.ndarray, np.ndarray], person: np.ndarray,
              prob: np.ndarray, fitted: dict | None) -> np.ndarray:
    """float32 (h, w) at prob's size: LEVEL where the person's clothing lies below a face (module docstring),
    0 elsewhere (softened a little at its edges). person: the person probability at the same size; fitted:
    `fit_colours`'."""
    fill = np.zeros(prob.shape, np.float32)
    if fitted is None or fitted["skin_coloured"] or fitted["garment"] is None:
        return fill  # no skin sample; or skin-coloured clothing (a beige top, a bare torso): no telling them apart
    on = person > PERSON
    body = (geo.region > 0) & (geo.faces == 0) & on
    n_body = int(body.sum())
    if n_body < 20 or int(np.count_nonzero(prob[body] > 0.5)) < FOUND * n_body:
        return fill
    skin = skin_lookup(lab, fitted["skin"])
    keep = np.clip((skin - SKIN_FAR[0]) * (1.0 / (SKIN_FAR[1] - SKIN_FAR[0])), 0.0, 1.0)
    keep = keep * (fitted["garment"][colours[1]] > GARMENT_LLR)
    if fitted["hair"] is not None:
        keep = keep * (hanging_hair(fitted["hair"][colours[1]], on & (skin > SKIN_MAYBE), geo) == 0)
    fill[body] = LEVEL * keep[body]
    return cv2.GaussianBlur(fill, (0, 0), 0.7)


def hanging_hair(hair_llr: np.ndarray, on: np.ndarray, geo: Geometry) -> np.ndarray:
    """uint8 (h, w): the hair that hangs from the heads. hair_llr: each pixel's log-likelihood ratio of the
    head's band against the background; pixels on `on` (the person, less skin colours) at least as likely in
    the band as off the person (> `HAIR_LLR_WEAK`) form regions, and every region with a hair-coloured pixel
    (> `HAIR_LLR`) on the ring round the top half of a head is hair (its highlights and shaded strands go
    with it). Long hair over the shoulders hangs from the head in one piece; clothing of another colour is not
    joined to it; clothing of the hair's colour touching it goes with it (the fill then leaves that to the
    network)."""
    where = on & (geo.faces == 0)
    coloured = (hair_llr > HAIR_LLR) & where
    joined = (hair_llr > HAIR_LLR_WEAK) & where
    n, labels = cv2.connectedComponents(joined.astype(np.uint8), connectivity=8)
    if n <= 1:
        return np.zeros(on.shape, np.uint8)
    seeds = np.unique(labels[(geo.ring > 0) & coloured])
    seeds = seeds[seeds > 0]
    return np.isin(labels, seeds).astype(np.uint8)
