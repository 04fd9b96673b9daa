"""Offline garment-mask teacher: a slow, careful upper-body garment mask built from mediapipe parts.

No garment or human-parsing model is available offline, so this teacher labels frames for the live
student network from what mediapipe 0.10.21 ships plus classical vision:

1. person: the selfie segmentation (general 256x256 model) and pose's own segmentation of the one
   person it tracks (so a second person in the frame is dropped);
2. body geometry: pose "full" landmarks (shoulders, elbows, wrists, hips) give a torso / arms /
   neck prior. Chest-cut (webcam) framing, where pose loses the shoulders or they lie off the frame: the
   largest face gives the body instead, and when the person mask continues below the chin, the person
   below the chin (minus skin, hair joined to the head's hair, a beard, and the face) is the garment
   candidate; a close-up showing only neck and hair stays empty;
3. face: face mesh (refined) run on a head crop found by pose, so small faces in full-body photos are
   found too; its face oval, expanded, is never marked;
4. skin: a chroma model (Lab a*b*, lightness-bounded) calibrated on the face's own cheeks and forehead;
   bare arms, hands, neck and chest are removed with it;
5. hair: a colour model sampled above the forehead seeds "not garment" around the head;
6. refinement: cv2.grabCut seeded with sure-garment (torso core, not skin) and sure-not (background,
   face, hair, skin, legs when their colour differs) so the cut follows the real garment edge, then a
   guided filter for soft, edge-aware borders.

What "the garment" is (the reference masks' convention, eval_refs/garment/README.md): every upper-body garment
layer on torso and arms (an open jacket and the shirt under it both count), and a whole dress; not skirts,
shorts or trousers (cut at the hips when pose sees them), not jewellery (a choker is a band with neck skin
below it), not hair lying over it, never the face (a small margin is kept round the jaw). Version 4 also:
tells a dress from a top over a skirt or trousers by the same fabric (a*b* hue and chroma, lightness allowed to
differ) just below the hips and no bare waist between them; treats hips at the frame's bottom edge as out of
view (the top's hem hangs below the joints there); lets the collar and shoulders rise beside the jaw; never
takes hair joined to the head's hair as sure garment.

Bad input gives an all-zero mask and a reason rather than a wrong mask. numpy + cv2 + mediapipe only.
Input and output are full-frame: ``mask`` and ``person`` are float32 HxW in [0, 1].
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import cv2
import numpy as np

from tryon_desktop.errors import InputError

from tryon_desktop.vision.face_tracker import _native_stderr_muted, _quiet_native_logs
from tryon_desktop.vision.garment_mask import ColourModel as _ColourModel
from tryon_desktop.vision.garment_mask import skin_distance

log = logging.getLogger(__name__)

TEACHER_VERSION = "4.3"  # 4.1 (stop 33): round a hand, only sure skin is surely not garment; 4.2 (stop 34): PRIOR_REACH;
#                           4.3 (stop 35): a skin-coloured top told from skin by the bare forearms (`_skin_from_arms`)
PRIOR_REACH = 0.15  # grabCut may find garment this far (shoulder widths) beyond the body prior, inside the person:
#                     a loose sleeve bulges past the arm's line (4.1: 0.06 left a sweater's cuff and a jacket's
#                     sleeves out)
# A skin-coloured garment (blush, beige, nude) told from bare skin by the person's own bare forearms
# (`_skin_from_arms`): the torso's colour this far from the forearms' (8-bit Lab a, b) ...
ARM_TORSO_SEP = 4.0
ARM_TORSO_SPREAD = 1.5  # ... and this many times their spreads (robust, added in quadrature) apart
ARM_SAMPLE_MIN = 60  # forearm pixels needed for a sample

# pose landmark ids
NOSE, L_EYE, R_EYE, L_EAR, R_EAR, MOUTH_L, MOUTH_R = 0, 2, 5, 7, 8, 9, 10
L_SH, R_SH, L_EL, R_EL, L_WR, R_WR = 11, 12, 13, 14, 15, 16
L_PINKY, R_PINKY, L_INDEX, R_INDEX, L_THUMB, R_THUMB = 17, 18, 19, 20, 21, 22
L_HIP, R_HIP, L_KNEE, R_KNEE = 23, 24, 25, 26

# face mesh: oval outline in order, and skin sample spots (cheeks, forehead, chin sides)
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
SKIN_SPOTS = [205, 425, 50, 280, 118, 347, 101, 330, 151, 108, 337, 9]
FOREHEAD_TOP = 10
CHIN = 152


@dataclass
class TeacherResult:
    mask: np.ndarray  # float32 HxW [0,1] soft garment probability
    person: np.ndarray  # float32 HxW [0,1] selfie person mask
    confident: bool
    reason: str
    debug: dict = field(default_factory=dict, repr=False)


def _empty(shape, person, reason: str, debug=None) -> TeacherResult:
    return TeacherResult(np.zeros(shape, np.float32), person, False, reason, debug or {})


def down_guess(ls: np.ndarray, rs: np.ndarray) -> np.ndarray:
    """Unit vector perpendicular to the shoulder line, pointing down the image."""
    v = ls - rs
    v = v / max(float(np.linalg.norm(v)), 1e-3)
    d = np.array([-v[1], v[0]], np.float32)
    return d if d[1] >= 0 else -d


def _disk(r: float) -> np.ndarray:
    r = max(1, int(round(r)))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


class _HistModel:
    """A smoothed 3-D Lab histogram: per-pixel likelihood of a (possibly patterned) colour set."""

    BINS = (8, 16, 16)

    def __init__(self, lab_pixels: np.ndarray):
        px = lab_pixels.reshape(-1, 1, 3)
        hist = cv2.calcHist([px], [0, 1, 2], None, list(self.BINS), [0, 256, 0, 256, 0, 256])
        hist = hist.astype(np.float32)
        # smooth across neighbouring bins so near colours share likelihood
        for ax in range(3):
            hist = (hist + np.roll(hist, 1, ax) * 0.5 + np.roll(hist, -1, ax) * 0.5)
        self.hist = hist / max(float(hist.sum()), 1.0)

    def like(self, lab: np.ndarray) -> np.ndarray:
        idx = [(lab[..., i].astype(np.int32) * n) // 256 for i, n in enumerate(self.BINS)]
        return self.hist[idx[0], idx[1], idx[2]]


TEACHER_NEEDS = ("the garment teacher (training only) needs mediapipe 0.10.21's solutions API (selfie mask, pose, "
                 "face mesh): use Python 3.10 to 3.12 for it; the app itself runs on 3.13 too")


def _robust_ab(px: np.ndarray) -> tuple[np.ndarray, float]:
    """Median (a, b) of Lab pixels and their spread (1.4826 x the median distance from it)."""
    ab = px[:, 1:].astype(np.float32)
    med = np.median(ab, axis=0)
    return med, float(1.4826 * np.median(np.linalg.norm(ab - med, axis=1)))


def _skin_from_arms(face_skin, arm_px: np.ndarray, torso_px: np.ndarray, dbg: dict):
    """Tell a skin-coloured garment from skin by the person's own forearms: (mid, u, sep) or None. The
    face's skin model takes a blush or beige top for skin (a few units of a, b from the cheeks: within its
    spread). When the bare forearms are surely skin to that model, lie closer to the cheeks than the torso
    does, and the torso's colour stands clearly apart from theirs (`ARM_TORSO_SEP`, `ARM_TORSO_SPREAD`), the
    torso is a garment: a pixel past the midpoint between the forearms' and the torso's colour (mid, along
    the unit vector u from arms to torso, sep apart) is moved away from skin (`arm_side_distance`). A bare
    torso has the arms' colour, and long sleeves of the top's colour make arms that are not skin to the face:
    no change in either case."""
    if len(arm_px) < ARM_SAMPLE_MIN or len(torso_px) < 30:
        return None
    arm_d = skin_distance(face_skin, arm_px.reshape(-1, 1, 3)).ravel()
    a_med, a_sd = _robust_ab(arm_px)
    t_med, t_sd = _robust_ab(torso_px)
    c_med = np.asarray(face_skin.mean[1:], np.float32)
    sep = float(np.linalg.norm(t_med - a_med))
    dbg["arm_skin"] = {"arm_ab": a_med.round(1).tolist(), "torso_ab": t_med.round(1).tolist(), "sep": round(sep, 2),
                       "spread": [round(a_sd, 2), round(t_sd, 2)], "arm_is_skin": round(float(np.median(arm_d)), 2)}
    if (np.median(arm_d) >= 2.2 or sep < ARM_TORSO_SEP or sep < ARM_TORSO_SPREAD * float(np.hypot(a_sd, t_sd))
            or np.linalg.norm(a_med - c_med) >= np.linalg.norm(t_med - c_med)):
        return None
    dbg["arm_skin"]["used"] = True
    return (a_med + t_med) / 2.0, (t_med - a_med) / sep, sep


def arm_side_distance(skin_d: np.ndarray, lab: np.ndarray, split) -> np.ndarray:
    """skin_d with the pixels on the torso's side of `_skin_from_arms`'s split moved away from skin: by 3.5
    (no longer even "maybe skin") at the torso's own colour, by nothing at the midpoint and on the arms'
    side."""
    mid, u, sep = split
    ab = lab[..., 1:].astype(np.float32) - mid.astype(np.float32)
    beyond = np.maximum(ab[..., 0] * np.float32(u[0]) + ab[..., 1] * np.float32(u[1]), 0.0) / np.float32(0.5 * sep)
    return (skin_d + 3.5 * beyond).astype(np.float32)


class GarmentTeacher:
    """Slow, careful upper-body garment mask for one frame at a time (photos or unrelated video frames).

    Usage::

        with GarmentTeacher() as teacher:
            res = teacher(frame_bgr)   # res.mask float32 HxW in [0,1], res.confident, res.reason
    """

    def __init__(self, work_side: int = 640, grabcut_iters: int = 4) -> None:
        _quiet_native_logs()
        import mediapipe as mp

        if not hasattr(mp, "solutions"):
            raise InputError(TEACHER_NEEDS)
        with _native_stderr_muted():
            self._selfie = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
            self._pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                                enable_segmentation=True, min_detection_confidence=0.5)
            self._mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=3,
                                                         refine_landmarks=True, min_detection_confidence=0.4)
            # warm up while muted: the graphs print their start-up chatter on the first frame
            blank = np.zeros((64, 64, 3), np.uint8)
            self._selfie.process(blank)
            self._pose.process(blank)
            self._mesh.process(blank)
        self.work_side = work_side
        self.grabcut_iters = grabcut_iters

    def close(self) -> None:
        for name in ("_selfie", "_pose", "_mesh"):
            obj = getattr(self, name, None)
            if obj is not None:
                obj.close()
                setattr(self, name, None)

    def __enter__(self) -> GarmentTeacher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ perception parts
    def _landmarks(self, rgb: np.ndarray):
        with _native_stderr_muted():  # per-frame absl warnings ("NORM_RECT without IMAGE_DIMENSIONS")
            res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return None, None
        h, w = rgb.shape[:2]
        lm = np.array([(p.x * w, p.y * h, p.visibility) for p in res.pose_landmarks.landmark], np.float32)
        seg = res.segmentation_mask
        if seg is not None:
            seg = np.asarray(seg, np.float32)
        return lm, seg

    def _face(self, rgb: np.ndarray, lm: np.ndarray, sw: float):
        """Face mesh on a head crop around pose's head points; returns (478,2) work-pixel landmarks."""
        h, w = rgb.shape[:2]
        head = lm[[NOSE, L_EYE, R_EYE, L_EAR, R_EAR, MOUTH_L, MOUTH_R], :2]
        c = head.mean(axis=0)
        ear = float(np.linalg.norm(lm[L_EAR, :2] - lm[R_EAR, :2]))
        side = max(2.6 * ear, 0.9 * sw, 48.0)
        x0, y0 = int(round(c[0] - side / 2)), int(round(c[1] - side / 2))
        x1, y1 = int(round(c[0] + side / 2)), int(round(c[1] + side / 2))
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if cx1 - cx0 < 16 or cy1 - cy0 < 16:
            return None
        crop = rgb[cy0:cy1, cx0:cx1]
        scale = 384.0 / max(crop.shape[:2])
        crop_s = cv2.resize(crop, None, fx=scale, fy=scale,
                            interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        with _native_stderr_muted():
            res = self._mesh.process(np.ascontiguousarray(crop_s))
        best, best_d = None, 1e9
        ch, cw = crop_s.shape[:2]
        for face in res.multi_face_landmarks or []:
            pts = np.array([(p.x * cw, p.y * ch) for p in face.landmark], np.float32) / scale
            pts += (cx0, cy0)
            d = float(np.linalg.norm(pts[1] - lm[NOSE, :2]))
            if d < best_d:
                best, best_d = pts, d
        if best is None:
            return None
        fw = float(np.linalg.norm(best[234] - best[454]))
        if best_d > 0.6 * max(fw, 1.0):  # a face, but not this person's
            return None
        return best

    def _shoulders_from_face(self, rgb: np.ndarray, lm, person: np.ndarray | None = None):
        """(landmarks, face, other faces) with shoulders, elbows and hips guessed from the largest face, or None.

        Shoulder width is ~2.5 face widths and the shoulder line ~0.4 face heights below the chin. This is
        the chest-cut (webcam) framing: the shoulders may lie below or beside the frame edges, which is
        fine (the garment runs off the frame); what is required is that the person mask continues below
        the chin, i.e. there is something under the face that may be a garment."""
        h, w = rgb.shape[:2]
        with _native_stderr_muted():
            res = self._mesh.process(rgb)
        best, best_w = None, 0.0
        faces = []
        for f in res.multi_face_landmarks or []:
            pts = np.array([(p.x * w, p.y * h) for p in f.landmark], np.float32)
            fw_ = float(np.linalg.norm(pts[234] - pts[454]))
            faces.append((pts, fw_))
            if fw_ > best_w:
                best, best_w = pts, fw_
        if best is None or best_w < 20:
            return None
        # the other people's faces (centre x, width): the frame is split between the people by them
        others = [(float(p[FACE_OVAL, 0].mean()), fw_) for p, fw_ in faces if p is not best and fw_ >= 12]
        fh = float(np.linalg.norm(best[FOREHEAD_TOP] - best[CHIN]))
        chin = best[CHIN]
        cx = float(best[FACE_OVAL, 0].mean())
        # the person must continue below the chin (at least a band of ~0.12 face heights under the jaw)
        y0 = int(round(chin[1] + 0.05 * fh))
        y1 = int(round(min(h, chin[1] + 0.6 * fh)))
        if y1 - y0 < max(3, 0.04 * fh):
            return None
        if person is not None:
            x0, x1 = max(0, int(cx - 0.7 * best_w)), min(w, int(cx + 0.7 * best_w))
            band = person[y0:y1, x0:x1]
            if band.size == 0 or float((band > 0.5).mean()) < 0.4:
                return None
        y_sh = float(chin[1]) + 0.4 * fh
        half = 1.25 * best_w
        out = np.zeros((33, 3), np.float32) if lm is None else lm.copy()
        out[:, 2] = np.minimum(out[:, 2], 0.0)
        out[L_SH] = (cx + half, y_sh, 1.0)
        out[R_SH] = (cx - half, y_sh, 1.0)
        # elbows hang down from the shoulders; wrists unknown; hips far below (extrapolated later)
        out[L_EL] = (cx + 1.2 * half, y_sh + 1.1 * half, 0.25)
        out[R_EL] = (cx - 1.2 * half, y_sh + 1.1 * half, 0.25)
        out[L_WR] = out[L_EL]
        out[R_WR] = out[R_EL]
        out[NOSE] = (*best[1], 1.0)
        return out, best, others

    # ------------------------------------------------------------------ main
    def __call__(self, frame_bgr: np.ndarray) -> TeacherResult:
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.size == 0:
            raise ValueError("frame_bgr must be an HxWx3 uint8 array")
        frame_bgr = np.ascontiguousarray(frame_bgr, dtype=np.uint8)
        H, W = frame_bgr.shape[:2]
        scale = min(1.0, self.work_side / max(H, W))
        if scale < 1.0:
            img = cv2.resize(frame_bgr, (max(1, round(W * scale)), max(1, round(H * scale))),
                             interpolation=cv2.INTER_AREA)
        else:
            img = frame_bgr
        res = self._run(img)
        # back to full resolution
        person_full = cv2.resize(res.person, (W, H), interpolation=cv2.INTER_LINEAR) if scale < 1 else res.person
        if not res.mask.any():
            return TeacherResult(np.zeros((H, W), np.float32), np.clip(person_full, 0, 1), res.confident,
                                 res.reason, res.debug)
        if scale < 1.0:
            m = cv2.resize(res.mask, (W, H), interpolation=cv2.INTER_LINEAR)
            guide = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
            r = max(2, int(round(2 / scale)))
            m = cv2.ximgproc.guidedFilter(guide, m, r, 1e-3)
            m *= cv2.resize(res.debug["keep"], (W, H), interpolation=cv2.INTER_LINEAR)
            m = np.clip(m, 0, 1)
        else:
            m = res.mask
        m[m < 0.02] = 0
        return TeacherResult(m.astype(np.float32), np.clip(person_full, 0, 1).astype(np.float32), res.confident,
                             res.reason, res.debug)

    @staticmethod
    def _arm_pixels(lab: np.ndarray, lm: np.ndarray, vis: np.ndarray, sw: float, pmain: np.ndarray,
                    hand_mask: np.ndarray, face_mask: np.ndarray) -> np.ndarray:
        """Lab pixels (n, 3) along the forearms (the middle of elbow -> wrist, a thin line), on the person,
        off the hands and the face: bare skin when the sleeves are short, the sleeve when they are long."""
        h, w = lab.shape[:2]
        line = np.zeros((h, w), np.uint8)
        for el_i, wr_i in ((L_EL, L_WR), (R_EL, R_WR)):
            if vis[el_i] < 0.5 or vis[wr_i] < 0.5:
                continue
            a, b = lm[el_i, :2], lm[wr_i, :2]
            p0, p1 = a + 0.3 * (b - a), a + 0.75 * (b - a)
            cv2.line(line, tuple(np.round(p0).astype(int)), tuple(np.round(p1).astype(int)), 1,
                     max(1, int(round(0.05 * sw))))
        sel = (line > 0) & (pmain > 0.7) & ~(hand_mask > 0) & ~(face_mask > 0)
        return lab[sel]

    def _run(self, img: np.ndarray) -> TeacherResult:
        h, w = img.shape[:2]
        rgb = np.ascontiguousarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        with _native_stderr_muted():
            sel = self._selfie.process(rgb).segmentation_mask
        person = np.clip(np.asarray(sel, np.float32), 0, 1) if sel is not None else np.zeros((h, w), np.float32)
        # letterbox / pillarbox bars (flat rows or columns at the frame edges) are never the person
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        for axis in (1, 0):
            flat = (grey.max(axis=axis).astype(np.int16) - grey.min(axis=axis)) < 10
            n_ = len(flat)
            a_ = 0
            while a_ < n_ // 4 and flat[a_]:
                a_ += 1
            b_ = n_
            while b_ > 3 * n_ // 4 and flat[b_ - 1]:
                b_ -= 1
            if axis == 1:
                person[:a_], person[b_:] = 0, 0
            else:
                person[:, :a_], person[:, b_:] = 0, 0
        dbg: dict = {}
        if (person > 0.5).mean() < 0.01:
            return _empty((h, w), person, "no person", dbg)
        lm, pseg = self._landmarks(rgb)
        margin = 0.02 * max(h, w)

        def inside(p, m=margin):
            return -m <= p[0] <= w + m and -m <= p[1] <= h - m

        from_face = None  # face landmarks when the shoulders come from the face (chest-cut framing)
        other_faces: list = []
        if lm is not None:
            dbg["pose"] = lm
        if (lm is None or lm[L_SH, 2] < 0.5 or lm[R_SH, 2] < 0.5
                or not inside(lm[L_SH, :2]) or not inside(lm[R_SH, :2])):
            # webcam framing cuts the body at the chest and pose loses the shoulders: estimate them
            # from the face, and only when the estimated shoulder line is inside the frame
            est = self._shoulders_from_face(rgb, lm, person)
            if est is None:
                return _empty((h, w), person, "no body pose found" if lm is None else "no shoulders in view", dbg)
            lm, from_face, other_faces = est
            pseg = None
        vis = lm[:, 2]
        ls, rs = lm[L_SH, :2], lm[R_SH, :2]
        sw = float(np.linalg.norm(ls - rs))
        if sw < 0.04 * max(h, w) or sw < 20:
            return _empty((h, w), person, "person too small", dbg)

        # main person only: pose's own segmentation, grown a little, gates the selfie mask
        if pseg is not None and pseg.shape == person.shape:
            gate = cv2.dilate((pseg > 0.3).astype(np.uint8), _disk(0.08 * sw)).astype(np.float32)
            gate = cv2.GaussianBlur(gate, (0, 0), 0.03 * sw + 0.5)
            pmain = np.minimum(np.maximum(person, pseg), gate)
        else:
            pmain = person
        if from_face is not None and other_faces:
            # chest-cut with more people in view (no pose segmentation of ours): each column of the frame
            # belongs to the face nearest to it, in face widths; the others' columns are not ours
            cxm = float(from_face[FACE_OVAL, 0].mean())
            fwm = max(float(np.linalg.norm(from_face[234] - from_face[454])), 1.0)
            xs_ = np.arange(w, dtype=np.float32)
            ours = np.ones(w, bool)
            for ocx, ofw in other_faces:
                ours &= np.abs(xs_ - cxm) / fwm <= np.abs(xs_ - ocx) / max(ofw, 1.0)
            pmain = pmain * ours[None, :].astype(np.float32)
        ff_probe = None
        if from_face is not None:
            fh0 = float(np.linalg.norm(from_face[FOREHEAD_TOP] - from_face[CHIN]))
            fw0 = float(np.linalg.norm(from_face[234] - from_face[454]))
            cx0, cy0 = float(from_face[FACE_OVAL, 0].mean()), float(from_face[CHIN, 1])
            ff_probe = np.array([[cx0 - 0.4 * fw0, cy0 + 0.12 * fh0],
                                 [cx0 + 0.4 * fw0, min(h - 1.0, cy0 + 0.5 * fh0)]]).round().astype(int)
            ff_probe[:, 0] = np.clip(ff_probe[:, 0], 0, w - 1)
            ff_probe[:, 1] = np.clip(ff_probe[:, 1], 0, h - 1)
        n, cc, stats, _ = cv2.connectedComponentsWithStats((pmain > 0.5).astype(np.uint8), 8)
        if n > 1:
            mid = ((ls + rs) / 2).astype(int)
            # keep the component(s) that hold the torso just below the shoulders
            probe = np.zeros((h, w), np.uint8)
            cv2.line(probe, tuple(ls.astype(int)), tuple(rs.astype(int)), 1, max(1, int(0.1 * sw)))
            cv2.circle(probe, (int(mid[0]), int(mid[1] + 0.4 * sw)), max(1, int(0.2 * sw)), 1, -1)
            if from_face is not None:
                # chest-cut: the shoulders may be off the frame; the band just under the chin is ours
                probe[:] = 0
                cv2.rectangle(probe, tuple(ff_probe[0]), tuple(ff_probe[1]), 1, -1)
            labs = np.unique(cc[(probe > 0) & (cc > 0)])
            if len(labs) == 0:
                return _empty((h, w), person, "no person at the shoulders", dbg)
            keepcc = np.isin(cc, labs)
            keepcc = cv2.dilate(keepcc.astype(np.uint8), _disk(3)).astype(bool)
            pmain = pmain * keepcc

        # two people: ours must be the largest, or we mark nothing
        n, cc, stats, _ = cv2.connectedComponentsWithStats((person > 0.5).astype(np.uint8), 8)
        if n > 2:
            probe_pt = ((ls + rs) / 2 + down_guess(ls, rs) * 0.4 * sw).round().astype(int)
            if from_face is not None:
                probe_pt = ((ff_probe[0] + ff_probe[1]) // 2).astype(int)
            px_, py_ = int(np.clip(probe_pt[0], 0, w - 1)), int(np.clip(probe_pt[1], 0, h - 1))
            ours = cc[py_, px_]
            areas = stats[1:, cv2.CC_STAT_AREA]
            if ours > 0 and areas.max() > 1.5 * stats[ours, cv2.CC_STAT_AREA]:
                return _empty((h, w), person, "another person is larger than the tracked one", dbg)

        dbg["pmain"] = pmain
        dbg["pseg"] = pseg
        lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB)

        # ---- face
        face = from_face if from_face is not None else self._face(rgb, lm, sw)
        face_mask = np.zeros((h, w), np.uint8)
        face_core = face_mask
        head_mask = np.zeros((h, w), np.uint8)
        skin_model = None
        face_ok = face is not None
        if face_ok:
            oval = face[FACE_OVAL]
            fc = oval.mean(axis=0)
            fw = float(np.linalg.norm(face[234] - face[454]))
            # expanded oval (ears included), and the head (hair) region above and around it
            big = (oval - fc) * np.array([1.18, 1.12], np.float32) + fc
            # (the ears need the width; the jaw below the mouth does not, and a raised collar touches it)
            low_jaw = oval[:, 1] > float(face[14, 1])
            big[low_jaw, 0] = (oval[low_jaw, 0] - fc[0]) * 1.14 + fc[0]
            cv2.fillPoly(face_mask, [np.round(big).astype(np.int32)], 1)
            face_core = face_mask.copy()  # (without the margin below: the chest evidence is judged as before)
            # the underside of the jaw (the chin's shadow) is face, not collar: the oval moved down a little
            cv2.fillPoly(face_mask, [np.round(big + np.array([0, 0.07 * fw], np.float32)).astype(np.int32)], 1)
            hd = (oval - fc) * np.array([1.55, 1.6], np.float32) + fc - np.array([0, 0.18 * fw], np.float32)
            cv2.fillPoly(head_mask, [np.round(hd).astype(np.int32)], 1)
            chin_y = float(face[CHIN, 1])
            # skin sample: small disks on the cheeks and forehead
            samp = np.zeros((h, w), np.uint8)
            r = max(1, int(round(0.06 * fw)))
            for i in SKIN_SPOTS:
                cv2.circle(samp, tuple(np.round(face[i]).astype(int)), r, 1, -1)
            px = lab[samp > 0]
            if len(px) >= 15:
                skin_model = _ColourModel(px)
                dbg["skin_mean"] = skin_model.mean.round(1).tolist()
                dbg["skin_std"] = np.sqrt(np.diag(np.linalg.inv(skin_model.icov))).round(2).tolist()
        else:
            # face from pose only: an ellipse around the head points
            head = lm[[NOSE, L_EYE, R_EYE, L_EAR, R_EAR, MOUTH_L, MOUTH_R], :2]
            c = head.mean(axis=0)
            fw = max(float(np.linalg.norm(lm[L_EAR, :2] - lm[R_EAR, :2])), 0.35 * sw)
            cv2.ellipse(face_mask, (int(c[0]), int(c[1])), (int(0.62 * fw), int(0.85 * fw)), 0, 0, 360, 1, -1)
            cv2.ellipse(head_mask, (int(c[0]), int(c[1] - 0.25 * fw)), (int(0.85 * fw), int(1.05 * fw)),
                        0, 0, 360, 1, -1)
            chin_y = float(c[1] + 0.7 * fw)
        dbg["face_ok"] = face_ok

        # ---- skin distance (chroma Mahalanobis, lightness-bounded)
        if skin_model is not None:
            skin_d = skin_distance(skin_model, lab)
        else:
            ycc = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb).astype(np.float32)
            cr, cb = ycc[..., 1], ycc[..., 2]
            inr = ((cr - 153) / 16) ** 2 + ((cb - 105) / 18) ** 2
            skin_d = np.sqrt(inr) * 2.5
        dark = lab[..., 0] < 25  # chroma is noise in near-black pixels: never call them skin
        skin_d = np.where(dark, 99.0, skin_d).astype(np.float32)
        dbg["skin_d"] = skin_d
        skin_strong = skin_d < 2.2
        skin_weak = skin_d < 3.5

        # ---- geometry prior
        prior = np.zeros((h, w), np.uint8)  # allowed region for the garment
        core = np.zeros((h, w), np.uint8)  # sure-garment candidates
        mid_sh = (ls + rs) / 2
        across = (ls - rs) / max(sw, 1e-3)  # unit vector (image right -> left shoulder)
        down = np.array([-across[1], across[0]], np.float32)
        if down[1] < 0:
            down = -down
        lh, rh = lm[L_HIP, :2], lm[R_HIP, :2]
        hips_ok = vis[L_HIP] > 0.3 and vis[R_HIP] > 0.3
        mid_hip = (lh + rh) / 2
        torso_len = float(np.dot(mid_hip - mid_sh, down))
        if not (hips_ok and torso_len > 0.6 * sw):
            torso_len = 1.6 * sw  # typical ratio; mediapipe's extrapolated hips are poor
            mid_hip = mid_sh + down * torso_len
            lh = mid_hip + across * 0.38 * sw
            rh = mid_hip - across * 0.38 * sw
            hips_ok = False
        hip_w = max(float(np.linalg.norm(lh - rh)), 0.6 * sw)
        hip_across = (lh - rh) / max(float(np.linalg.norm(lh - rh)), 1e-3)
        bottom_ext = 0.3 * torso_len
        torso_poly = np.array([
            ls + across * 0.3 * sw - down * 0.12 * sw,
            rs - across * 0.3 * sw - down * 0.12 * sw,
            rh - hip_across * 0.45 * hip_w + down * bottom_ext,
            lh + hip_across * 0.45 * hip_w + down * bottom_ext,
        ], np.float32)
        cv2.fillPoly(prior, [np.round(torso_poly).astype(np.int32)], 1)
        # neck / collar: from the shoulders up to the chin
        neck_poly = np.array([ls - across * 0.1 * sw, rs + across * 0.1 * sw,
                              [mid_sh[0] - 0.25 * sw, chin_y], [mid_sh[0] + 0.25 * sw, chin_y]], np.float32)
        cv2.fillConvexPoly(prior, np.round(neck_poly).astype(np.int32), 1)
        # above the shoulder joints: the top of the shoulders and a jacket's collar stand up beside the neck
        # (as high as the chin in a close framing); skin, hair and background come out by colour below
        sh_top = np.zeros((h, w), np.uint8)
        if face_ok and from_face is None:
            # (a close framing puts the collar beside the jaw: up to 0.4 shoulder widths above the joints;
            # the face and the hair around the head stay sure background)
            top_y = min(chin_y, float(mid_sh[1]) - 0.4 * sw)
            st_poly = np.array([ls + across * 0.3 * sw - down * 0.12 * sw, rs - across * 0.3 * sw - down * 0.12 * sw,
                                [rs[0] - 0.3 * sw, top_y], [ls[0] + 0.3 * sw, top_y]], np.float32)
            cv2.fillConvexPoly(sh_top, np.round(st_poly).astype(np.int32), 1)
            prior |= sh_top
        # arms: thick capsules shoulder -> elbow -> wrist
        arm_r = 0.25 * sw
        arm_mask = np.zeros((h, w), np.uint8)
        forearm_mask = np.zeros((h, w), np.uint8)  # (elbow -> wrist only: a skin-coloured top's split reads it)
        hand_mask = np.zeros((h, w), np.uint8)
        for sh_i, el_i, wr_i, hand_ids in ((L_SH, L_EL, L_WR, (L_PINKY, L_INDEX, L_THUMB)),
                                           (R_SH, R_EL, R_WR, (R_PINKY, R_INDEX, R_THUMB))):
            a, b, c = lm[sh_i, :2], lm[el_i, :2], lm[wr_i, :2]
            cv2.line(arm_mask, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), 1,
                     max(1, int(2 * arm_r)))
            if vis[el_i] > 0.2:
                cv2.line(forearm_mask, tuple(np.round(b).astype(int)), tuple(np.round(c).astype(int)), 1,
                         max(1, int(1.6 * arm_r)))
            if vis[wr_i] > 0.3:
                hand_pts = lm[list(hand_ids), :2]
                hc = (hand_pts.mean(axis=0) * 2 + c) / 3
                hr = max(0.14 * sw, 1.4 * float(np.max(np.linalg.norm(hand_pts - c, axis=1))))
                cv2.circle(hand_mask, tuple(np.round(hc).astype(int)), int(round(hr)), 1, -1)
        arm_mask |= forearm_mask
        prior |= arm_mask
        # core: the chest between the shoulders and the hips, shrunk
        core_poly = np.array([
            ls - across * 0.18 * sw + down * 0.12 * sw,
            rs + across * 0.18 * sw + down * 0.12 * sw,
            mid_hip - hip_across * 0.28 * hip_w - down * 0.25 * torso_len,
            mid_hip + hip_across * 0.28 * hip_w - down * 0.25 * torso_len,
        ], np.float32)
        cv2.fillPoly(core, [np.round(core_poly).astype(np.int32)], 1)
        if face_ok:
            # the chest just below the chin (all a chest-cut webcam frame shows of the garment); neck
            # skin and hair there are removed by their colour tests below
            fh_ = float(np.linalg.norm(face[FOREHEAD_TOP] - face[CHIN]))
            cx_ = float(face[FACE_OVAL, 0].mean())
            y_end = h if from_face is not None else int(mid_sh[1] + 0.3 * sw)
            y_beg = chin_y + (0.05 if from_face is not None else 0.15) * fh_
            cv2.rectangle(core, (int(cx_ - 0.8 * fw), int(y_beg)), (int(cx_ + 0.8 * fw), y_end), 1, -1)
        yy = np.arange(h, dtype=np.float32)[:, None]
        xx = np.arange(w, dtype=np.float32)[None, :]
        if from_face is not None:
            # chest-cut framing: everything of the person below the chin and beside the neck may be
            # garment (shoulders and arms run off the frame); skin, hair and the face come out below
            fh_ = float(np.linalg.norm(face[FOREHEAD_TOP] - face[CHIN]))
            cx_ = float(face[FACE_OVAL, 0].mean())
            prior[((yy > chin_y - 0.1 * fh_) & (np.abs(xx - cx_) < 2.8 * fw))] = 1
        # upper arms just below the shoulder are sleeve-or-skin: probe them for the garment model too
        prior &= ~face_mask.astype(bool)

        # hair colour model (early: the chest-cut test below needs it)
        hair_d = None
        if face_ok:
            # hair sample: the head region around the upper face (crown and temples), not skin
            eye_y = float(face[[33, 263], 1].mean())
            hs_b = ((head_mask > 0) & ~(face_mask > 0) & (person > 0.6) & ~skin_weak & (yy < eye_y))
            if hs_b.sum() > 20:
                hair_model = _ColourModel(lab[hs_b], min_std_ab=3.0, min_std_l=10.0)
                hair_d = hair_model.dist(lab) + 0.6 * np.maximum(hair_model.l_dist(lab) - 1.5, 0)
                dbg["hair_mean"] = hair_model.mean.round(1).tolist()
        hair_conn = hair_cc = None
        if hair_d is not None:
            # hair-coloured regions connected to the hair on the head (long hair over the chest, beard)
            fhf = float(np.linalg.norm(face[FOREHEAD_TOP] - face[CHIN]))
            hl = ((hair_d < 2.0) & (person > 0.5)).astype(np.uint8)
            _, hair_cc = cv2.connectedComponents(hl, connectivity=8)
            head_hair = (hl > 0) & (head_mask > 0) & ~(face_mask > 0) & (yy < chin_y - 0.2 * fhf)
            hl_labs = np.unique(hair_cc[head_hair])
            hl_labs = hl_labs[hl_labs > 0]
            # a component that also fills the middle under the neck or reaches far out over the shoulders is
            # a hair-coloured garment touching the hair (dark suit, black sweater), not hair
            fcx = float(face[FACE_OVAL, 0].mean())
            ffw = float(np.linalg.norm(face[234] - face[454]))
            dx = np.abs(np.arange(w, dtype=np.float32)[None, :] - fcx)
            below_c = (yy > chin_y + 0.1 * fhf) & (hl > 0)
            n_lab = int(hair_cc.max()) + 1
            cnt_below = np.bincount(hair_cc[below_c], minlength=n_lab)
            cnt_mid = np.bincount(hair_cc[below_c & (dx < 0.25 * ffw) & (yy > chin_y + 0.3 * fhf)], minlength=n_lab)
            cnt_far = np.bincount(hair_cc[below_c & (dx > 1.5 * ffw)], minlength=n_lab)
            # long hair comes down beside the face: at the mouth's level, left or right of the cheeks (a dark
            # collar touching short hair does not reach up there)
            mouth_y = float(face[14, 1])
            beside = (hl > 0) & (dx > 0.45 * ffw) & (dx < 1.1 * ffw) & (yy > mouth_y - 0.15 * fhf) & (yy < mouth_y)
            cnt_side = np.bincount(hair_cc[beside], minlength=n_lab)
            ok_labs = [int(i) for i in hl_labs
                       if cnt_mid[i] < 0.02 * max(cnt_below[i], 1) and cnt_far[i] < 0.1 * max(cnt_below[i], 1)
                       and cnt_side[i] > 0.01 * ffw * fhf]
            hair_conn = np.isin(hair_cc, ok_labs) & (hl > 0)
            dbg["hair_conn"] = hair_conn.astype(np.float32)

        pm = pmain > 0.5
        core_b = (core > 0) & pm & ~(face_core > 0) & ~(hand_mask > 0)
        core_n = int(core_b.sum())
        dbg["core_px"] = [int(core.sum()), int(((core > 0) & pm).sum()), int(core_n)]
        if core_n < 30:
            return _empty((h, w), person, "torso not visible", dbg)
        skin_frac = float((skin_strong & core_b).sum()) / core_n
        dbg["skin_frac"] = skin_frac
        split = None
        if skin_model is not None and from_face is None and skin_frac > 0.3:
            # is the torso bare, or a skin-coloured garment? the bare forearms say what this person's skin
            # looks like below the face
            arm_px = self._arm_pixels(lab, lm, vis, sw, pmain, hand_mask, face_mask)
            split = _skin_from_arms(skin_model, arm_px, lab[core_b], dbg)
            if split is not None:
                skin_d = arm_side_distance(skin_d, lab, split)
                dbg["skin_d"] = skin_d
                skin_strong, skin_weak = skin_d < 2.2, skin_d < 3.5
                skin_frac = float((skin_strong & core_b).sum()) / core_n
                dbg["skin_frac_face"], dbg["skin_frac"] = dbg["skin_frac"], skin_frac
        if skin_frac > (0.8 if from_face is not None else 0.55):
            return _empty((h, w), person, "torso looks like bare skin (or a skin-coloured garment)", dbg)
        # garments close to skin colour (beige, tan) would lose every seed to the weak skin test:
        # then only the strong one applies
        weak_frac = float((skin_weak & core_b).sum()) / core_n
        # (adapt only when most of the torso is "near skin but not skin", not when it is bare skin)
        # (never in chest-cut framing: there the torso core is mostly the neck, which is "near skin")
        not_skin = ~skin_strong if weak_frac - skin_frac > 0.4 and from_face is None else ~skin_weak
        dbg["weak_frac"] = weak_frac
        garment_px = lab[core_b & not_skin]
        if len(garment_px) < 30:
            return _empty((h, w), person, "no garment colour on the torso", dbg)
        chest_ev = chest_hair = None
        if from_face is not None:
            # garment evidence under the chin: not skin, and not hair unless it sits right under the
            # neck (where hair does not hang); a close-up showing only neck and hair has none
            cand = core_b & not_skin
            hairy = np.zeros_like(cand)
            if hair_conn is not None:
                # hair over the chest: hair-coloured and connected to the hair on the head
                hairy = cand & hair_conn
                # a beard: hair-coloured and touching the lower face
                low_face = (cv2.dilate(face_mask, _disk(0.05 * fw)) > 0) & (yy > float(face[14, 1]))
                b_labs = np.unique(hair_cc[low_face & (hair_cc > 0)])
                b_labs = b_labs[b_labs > 0]
                if len(b_labs):
                    # (a beard ends near the chin: a component running far down is a garment of that colour)
                    n_lab = int(hair_cc.max()) + 1
                    tot = np.bincount(hair_cc.ravel(), minlength=n_lab)
                    deep = np.bincount(hair_cc[(yy > chin_y + 0.5 * fh_) & (hair_cc > 0)], minlength=n_lab)
                    # (and within the jaw's width: a component spreading sideways below the chin is clothing)
                    wide = np.bincount(hair_cc[(yy > chin_y) & (np.abs(xx - cx_) > 0.7 * fw) & (hair_cc > 0)],
                                       minlength=n_lab)
                    # (and a beard lies mostly at the face's level: a frame cut just under the chin shows
                    # little of a garment's depth or width, but the garment is then all below the jaw)
                    low = np.bincount(hair_cc[(yy > chin_y + 0.1 * fh_) & (hair_cc > 0)], minlength=n_lab)
                    b_labs = [int(i) for i in b_labs if deep[i] < 0.15 * tot[i] and wide[i] < 0.15 * tot[i]
                              and low[i] < 0.5 * tot[i]]
                beard = cand & np.isin(hair_cc, b_labs)
            else:
                beard = np.zeros_like(cand)
            # (well below the chin: a beard joins the head hair through the sideburns)
            centre = (np.abs(xx - cx_) < 0.35 * fw) & (yy > chin_y + 0.35 * fh_)
            ev = (cand & ~hairy & ~beard) | (hairy & centre & ~beard)
            chest_hair = (hairy & ~centre) | beard
            ev = cv2.morphologyEx(ev.astype(np.uint8), cv2.MORPH_OPEN, _disk(max(1.0, 0.015 * fw))) > 0
            # a choker or necklace: a band lying on the neck's skin, skin right below most of it (a garment
            # under the chin runs on down to the frame's edge; its neckline has skin above, not below)
            n_ev, ev_cc, ev_st, _ = cv2.connectedComponentsWithStats(ev.astype(np.uint8), connectivity=8)
            if n_ev > 1:
                dsh = max(2, int(round(0.15 * fh_)))
                skin_below = np.zeros((h, w), bool)
                skin_below[:h - dsh] = (skin_weak & pm)[dsh:]
                tot_ev = np.bincount(ev_cc.ravel(), minlength=n_ev)
                on_skin = np.bincount(ev_cc[skin_below], minlength=n_ev)
                # (a band: thin, at the neck; a garment's skin-coloured print lower down is no necklace)
                band_labs = [i for i in range(1, n_ev) if on_skin[i] > 0.5 * tot_ev[i]
                             and ev_st[i, cv2.CC_STAT_HEIGHT] < 0.3 * fh_
                             and ev_st[i, cv2.CC_STAT_TOP] < chin_y + 0.6 * fh_]
                if band_labs:
                    jewel = np.isin(ev_cc, band_labs)
                    dbg["jewellery_px"] = int(jewel.sum())
                    ev &= ~jewel
                    chest_hair = chest_hair | jewel
            ev_n = int(ev.sum())
            dbg["chest_ev"] = [ev_n / max(fw * fh_, 1.0), ev_n / max(core_n, 1)]
            if ev_n < max(30, 0.03 * fw * fh_) or ev_n < 0.1 * core_n:
                return _empty((h, w), person, "no clothing below the chin", dbg)
            chest_ev = ev
            garment_px = lab[ev]

        # ---- legs: trousers/skirt below the hips are "not garment" unless they look like the top (dress)
        legs = np.zeros((h, w), np.uint8)
        dress = False
        leg_model = None
        if hips_ok:
            # hip joints at the frame's bottom edge (the thighs out of view): the top's hem hangs below the
            # joints there, and "the legs" in view would be the top itself: no leg test, no cut at the hips
            th_len = 0.5 * (float(np.linalg.norm(lm[L_KNEE, :2] - lh)) + float(np.linalg.norm(lm[R_KNEE, :2] - rh)))
            thigh_in = float(h - 1 - max(lh[1], rh[1])) / max(th_len, 1.0)
            dbg["thigh_in"] = thigh_in
            if thigh_in < 0.4:
                hips_ok = False
        if hips_ok:
            for hip_i, knee_i in ((L_HIP, L_KNEE), (R_HIP, R_KNEE)):
                a, b = lm[hip_i, :2], lm[knee_i, :2]
                a2 = a + (b - a) * 0.12
                cv2.line(legs, tuple(np.round(a2).astype(int)), tuple(np.round(b).astype(int)), 1,
                         max(1, int(0.16 * sw)))
            # the band just under the hip line, between the hips: a skirt, shorts, trousers or a dress's
            # skirt; bare legs below a short hem are skin, not "the trousers", so skin never counts here
            # (a dress over bare legs would otherwise look unlike its top and lose its skirt)
            band = np.zeros((h, w), np.uint8)
            bpoly = np.array([mid_hip + hip_across * 0.45 * hip_w + down * 0.06 * torso_len,
                              mid_hip - hip_across * 0.45 * hip_w + down * 0.06 * torso_len,
                              mid_hip - hip_across * 0.45 * hip_w + down * 0.3 * torso_len,
                              mid_hip + hip_across * 0.45 * hip_w + down * 0.3 * torso_len], np.float32)
            cv2.fillConvexPoly(band, np.round(bpoly).astype(np.int32), 1)
            legs_b = ((legs > 0) | (band > 0)) & pm & ~skin_weak
            band_b = (band > 0) & pm & ~skin_weak
            if legs_b.sum() > 30:
                gmean = np.median(garment_px.astype(np.float32), axis=0)
                lmean = np.median(lab[legs_b].astype(np.float32), axis=0)
                # same fabric: the same hue and chroma (8-bit a*b* medians within 3), lightness allowed to differ
                # more (the skirt of a dress is lit differently from its bodice), and the skirt's chroma within
                # the top's own spread (a cream top over a white skirt, a dark green hoodie over black trousers
                # are close in lightness, not in chroma)
                g_tight = _ColourModel(garment_px, min_std_ab=2.0)

                def same_fabric(m: np.ndarray, tag: str) -> bool:
                    dab = float(np.linalg.norm((gmean - m)[1:]))
                    dl = float(abs(gmean[0] - m[0]))
                    gd = float(g_tight.dist(m[None, None, :])[0, 0])
                    dbg[tag] = [round(dab, 2), round(dl, 1), round(gd, 2)]
                    return dab < 3.0 and dl < 20.0 and gd < 2.0

                dress = same_fabric(lmean, "leg_ab_l_gd")
                if not dress and band_b.sum() > 30:
                    # the skirt right under the waist decides (a dress's hem over the knees, boots or a bag
                    # held at the thigh change the colour further down)
                    dress = same_fabric(np.median(lab[band_b].astype(np.float32), axis=0), "band_ab_l_gd")
                if dress:
                    # a dress runs on unbroken over the waist; bare skin between the top and the bottom (a crop
                    # top over trousers of the same print) makes them two garments
                    waist = np.zeros((h, w), np.uint8)
                    wpoly = np.array([mid_hip + hip_across * 0.4 * hip_w - down * 0.3 * torso_len,
                                      mid_hip - hip_across * 0.4 * hip_w - down * 0.3 * torso_len,
                                      mid_hip - hip_across * 0.4 * hip_w + down * 0.06 * torso_len,
                                      mid_hip + hip_across * 0.4 * hip_w + down * 0.06 * torso_len], np.float32)
                    cv2.fillConvexPoly(waist, np.round(wpoly).astype(np.int32), 1)
                    waist_b = (waist > 0) & pm & ~(hand_mask > 0) & ~(arm_mask > 0)  # (forearms may cross it)
                    waist_skin = float((waist_b & skin_strong).sum()) / max(float(waist_b.sum()), 1.0)
                    dbg["waist_skin"] = waist_skin
                    dress = waist_skin < 0.08
                if not dress:
                    leg_model = _ColourModel(lab[legs_b], min_std_ab=3.0, min_std_l=10.0)
            if dress:
                # a dress or a long coat: allow down to the knees
                kn = (lm[L_KNEE, :2] + lm[R_KNEE, :2]) / 2
                dpoly = np.array([lh + hip_across * 0.5 * hip_w, rh - hip_across * 0.5 * hip_w,
                                  kn - hip_across * 1.1 * hip_w + down * 0.15 * sw,
                                  kn + hip_across * 1.1 * hip_w + down * 0.15 * sw], np.float32)
                cv2.fillConvexPoly(prior, np.round(dpoly).astype(np.int32), 1)
                prior &= ~face_mask.astype(bool)
        dbg["dress"] = dress
        strip_used = False
        if leg_model is None and not dress:
            # framing cut near the waist: a strip along the bottom edge, well below the shoulders, that
            # differs clearly from the top is the trousers/skirt
            strip = np.zeros((h, w), np.uint8)
            y0s = max(int(h - 0.06 * h), int(mid_sh[1] + 1.0 * sw))
            if y0s < h - 2:
                strip[y0s:, :] = 1
                strip_b = (strip > 0) & pm & (prior > 0) & ~skin_weak
                if strip_b.sum() > 50:
                    gmean = np.median(garment_px.astype(np.float32), axis=0)
                    smean = np.median(lab[strip_b].astype(np.float32), axis=0)
                    # (lightness counts half: a light top's hem in shade is not a pair of trousers)
                    dE = float(np.linalg.norm((gmean - smean) * np.array([0.5, 1.0, 1.0], np.float32)))
                    dbg["strip_dE"] = dE
                    if dE > 25:
                        legs = strip_b.astype(np.uint8)
                        leg_model = _ColourModel(lab[strip_b], min_std_ab=3.0, min_std_l=10.0)
                        strip_used = True

        # ---- hair: colour sampled above the forehead, inside the person
        hair_seed = (head_mask > 0) & (person > 0.5) & ~(face_mask > 0)
        # the head region never reaches below the chin by much
        hair_seed &= (yy < chin_y)
        if hair_conn is not None:
            # beside the jaw the head region meets a raised collar: there only hair joined to the head's is hair
            hair_seed &= (yy < float(face[14, 1])) | hair_conn
        elif hair_d is not None:
            hair_seed &= (yy < float(face[14, 1])) | (hair_d < 3.0)

        # ---- grabCut seeds
        gc = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
        allowed = (prior > 0) & (pmain > 0.25)
        gc[allowed] = cv2.GC_PR_FGD
        gc[allowed & ~not_skin] = cv2.GC_PR_BGD
        gc[~(cv2.dilate((prior > 0).astype(np.uint8), _disk(PRIOR_REACH * sw)) > 0)] = cv2.GC_BGD
        gc[pmain < 0.1] = cv2.GC_BGD
        gc[face_mask > 0] = cv2.GC_BGD
        gc[hair_seed] = cv2.GC_BGD
        sure_skin = skin_strong & (prior > 0) & ~core_b
        if split is not None:
            # a skin-coloured garment: off the forearms, its shaded sides may drift to the skin's colour (the
            # blush shirt's side under an upper arm); grabCut decides there
            gc[sure_skin & ~(forearm_mask > 0)] = cv2.GC_PR_BGD
            sure_skin &= forearm_mask > 0
        gc[sure_skin] = cv2.GC_BGD
        # a hand: surely not garment where surely skin; where only maybe skin, probably not (grabCut decides):
        # a light beige hem beside a dark hand is "maybe skin" to a dark skin's model, whose lightness band
        # reaches far up for its highlights
        gc[(hand_mask > 0) & skin_strong] = cv2.GC_BGD
        gc[(hand_mask > 0) & skin_weak & (gc != cv2.GC_BGD)] = cv2.GC_PR_BGD
        if hair_d is not None:
            # hair lying on the shoulders: hair-coloured, near the head, and unlike the garment core
            g_model = _ColourModel(garment_px)
            hair_like = (hair_d < 2.0) & (g_model.dist(lab) > 3.5)
            near_head = cv2.dilate(head_mask, _disk(0.5 * sw)) > 0
            gc[hair_like & near_head & (gc != cv2.GC_BGD)] = cv2.GC_PR_BGD
            dbg["hair_like"] = float((hair_like & near_head & allowed).sum()) / max(float(allowed.sum()), 1.0)
        if chest_hair is not None:
            gc[chest_hair & ~(gc == cv2.GC_FGD)] = cv2.GC_BGD
        if hair_conn is not None and from_face is None:
            # long hair hanging over the shoulders: hair-coloured and joined to the hair on the head
            above_sh = ((xx - mid_sh[0]) * down[0] + (yy - mid_sh[1]) * down[1]) < 0.5 * sw
            gc[hair_conn & above_sh & (gc != cv2.GC_FGD)] = cv2.GC_BGD
        if strip_used:
            gc[(legs > 0)] = cv2.GC_BGD
        if hips_ok and not dress:
            # below the hip joints: trousers or skirt unless grabCut finds the top's colour there
            below = ((np.arange(w, dtype=np.float32)[None, :] - mid_hip[0]) * down[0]
                     + (yy - mid_hip[1]) * down[1])
            gc[(below > 0.04 * torso_len) & (gc == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD
            gc[below > 0.3 * torso_len] = cv2.GC_BGD
            gc[(legs > 0)] = cv2.GC_BGD
        sure_fg = core_b & not_skin & (pmain > 0.7) & ~hair_seed
        if chest_ev is not None:
            sure_fg = chest_ev & (pmain > 0.7) & ~hair_seed
        elif hair_d is not None:
            hairy = sure_fg & (hair_d < 2.5)
            if hairy.sum() < 0.6 * sure_fg.sum():  # else the garment itself is hair-coloured
                sure_fg &= ~hairy
            if hair_conn is not None:
                # long hair over the chest, joined to the hair on the head, is never sure garment (even when
                # it covers most of the chest: then what is left of the garment decides, or nothing is marked)
                sure_fg &= ~hair_conn
        dbg["n_core"] = [int(core_b.sum()), int((core_b & ~skin_weak).sum()),
                         int((core_b & ~skin_weak & (pmain > 0.7)).sum()), int(sure_fg.sum())]
        sure_fg = cv2.erode(sure_fg.astype(np.uint8), _disk(0.02 * sw)) > 0
        if leg_model is not None and sure_fg.sum() > 30:
            # between the chest and the thighs: pixels that look like the trousers/skirt, not the top
            top_hist = _HistModel(lab[sure_fg])
            leg_hist = _HistModel(lab[(legs > 0) & pm])
            lt, ll = top_hist.like(lab), leg_hist.like(lab)
            below_core = ((np.arange(w, dtype=np.float32)[None, :] - mid_hip[0]) * down[0]
                          + (yy - mid_hip[1]) * down[1]) > -0.3 * torso_len
            # never on the arms: a sleeve may share the trousers' colour, and hangs beside the hips
            leggy = below_core & (ll > 3.0 * lt + 1e-4) & ~(arm_mask > 0)
            leggy = cv2.morphologyEx(leggy.astype(np.uint8), cv2.MORPH_OPEN, _disk(1)) > 0
            gc[leggy] = cv2.GC_BGD
            dbg["leggy"] = float(leggy.mean())
        gc[sure_fg] = cv2.GC_FGD
        if (gc == cv2.GC_FGD).sum() < 20:
            return _empty((h, w), person, "no sure garment pixels", dbg)

        # grabCut on the region of interest only
        ys, xs = np.nonzero(gc != cv2.GC_BGD)
        pad = int(0.15 * sw) + 4
        y0, y1 = max(0, ys.min() - pad), min(h, ys.max() + pad + 1)
        x0, x1 = max(0, xs.min() - pad), min(w, xs.max() + pad + 1)
        sub = np.ascontiguousarray(gc[y0:y1, x0:x1])
        # the BG model must learn background, skin and hair colours: the pad and seeds give it those
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.setRNGSeed(0)  # grabCut draws from OpenCV's global generator: same frame, same mask
            cv2.grabCut(np.ascontiguousarray(img[y0:y1, x0:x1]), sub, None, bgd, fgd, self.grabcut_iters,
                        cv2.GC_INIT_WITH_MASK)
        except cv2.error as exc:
            log.debug("grabCut failed: %s", exc)
            return _empty((h, w), person, "grabCut failed", dbg)
        gcm = np.zeros((h, w), np.uint8)
        gcm[y0:y1, x0:x1] = sub
        hard = ((gcm == cv2.GC_FGD) | (gcm == cv2.GC_PR_FGD)).astype(np.uint8)
        dbg["gc"] = gcm

        # clean: keep components connected to the sure core, fill small holes
        n, cc, stats, _ = cv2.connectedComponentsWithStats(hard, 8)
        if n > 1:
            labs = np.unique(cc[sure_fg & (hard > 0)])
            labs = labs[labs > 0]
            big = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] > 0.02 * hard.sum()]
            hard = np.isin(cc, np.union1d(labs, big)).astype(np.uint8)
        inv = (1 - hard).astype(np.uint8)
        n, cc, stats, _ = cv2.connectedComponentsWithStats(inv, 4)
        small_hole = max(9, int(0.002 * sw * sw))
        for i in range(1, n):
            if stats[i, cv2.CC_STAT_AREA] < small_hole:
                hard[cc == i] = 1
        hard[face_mask > 0] = 0

        prior_area = float(((prior > 0) & pm).sum())
        area = float(hard.sum())
        min_frac = 0.12 * prior_area
        if from_face is not None:  # the prior is the whole person below the chin: judge by the face size
            min_frac = min(min_frac, 0.05 * fw * fh_)
        if area < min_frac or area < 50:
            return _empty((h, w), person, "too little garment found", dbg)

        # soft, edge-aware border: guided filter on the image, bounded by the person mask
        guide = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
        soft = cv2.ximgproc.guidedFilter(guide, hard.astype(np.float32), 3, 2e-3)
        soft = np.clip(soft, 0, 1)
        soft *= np.clip(pmain * 1.6, 0, 1)
        keep = np.ones((h, w), np.float32)
        # (a margin round the face: the soft border and the upsampling to the frame must not spill onto the jaw)
        keep[face_mask > 0] = 0
        if face_ok:
            # (round the jaw and chin, where a collar meets the face)
            jaw_margin = (cv2.dilate(face_mask, _disk(max(2.0, 0.015 * fw))) > 0) & (yy > float(face[14, 1]))
            keep[jaw_margin] = 0
        keep[cv2.dilate(hard, _disk(2)) == 0] = 0
        soft *= keep
        soft[soft < 0.02] = 0
        dbg["keep"] = keep
        dbg["prior"] = prior
        dbg["face_mask"] = face_mask
        confident = face_ok and from_face is None
        reason = "ok" if face_ok else "face not found: generic skin model"
        if from_face is not None:
            # chest-cut framing: confident when the garment under the chin is clear (the neck's skin
            # in the torso core is expected here, so the skin fraction is not held against it)
            confident = bool(dbg["chest_ev"][0] > 0.15 and skin_frac < 0.6)
            reason = "chest-cut: body guessed from the face"
        elif skin_frac > 0.3:
            confident, reason = False, "torso partly skin-coloured"
        return TeacherResult(soft.astype(np.float32), person, confident, reason, dbg)
