"""The live garment mask at run time (vision/garment_mask.py): no torch, no ../shared.

Behaviour is checked on a tiny stand-in ONNX model with the student's exact I/O (built with onnx.helper:
the probability is the 2x2-pooled mean brightness, so tests can steer it), and the shipped model, when it
is installed, is loaded and run through the same checks of shape and range.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tryon_desktop.vision import garment_mask as GM
from tryon_desktop.vision.onnx_runtime import sha256_file

CPU = ["CPUExecutionProvider"]


def _write_manifest(model_path, manifest_path):
    manifest = {"name": "garment_mask", "version": "test", "file": model_path.name, "sha256": sha256_file(model_path),
                "inputs": {"image": {"shape": [1, 3, GM.IN_H, GM.IN_W], "dtype": "float32"}},
                "outputs": {"prob": {"shape": [1, 1, GM.OUT_H, GM.OUT_W], "dtype": "float32"}}}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return manifest_path


@pytest.fixture(scope="module")
def brightness_model(tmp_path_factory):
    """image (1,3,144,256) -> prob (1,1,72,128) = 2x2 average of the channel mean (in [0,1])."""
    onnx = pytest.importorskip("onnx", reason="onnx (train extra) builds the stand-in model")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, GM.IN_H, GM.IN_W])
    y = helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1, GM.OUT_H, GM.OUT_W])
    nodes = [helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("ReduceMean", ["pooled"], ["prob"], axes=[1], keepdims=1)]
    graph = helper.make_graph(nodes, "brightness", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    folder = tmp_path_factory.mktemp("model")
    path = folder / "garment_mask.onnx"
    onnx.save(model, str(path))
    return _write_manifest(path, folder / "garment_mask.json")


@pytest.fixture
def seg(brightness_model):
    """The segmenter without its colour refinement: these tests steer the probability through brightness
    and check the smoothing, letterboxing and face cut-out on exact values (the refiner has its own tests)."""
    s = GM.GarmentSegmenter(brightness_model, providers=CPU)
    assert isinstance(s.refiner, GM.ColourRefiner)  # on by default
    s.refiner = None
    return s


def grey(value: int, w: int = 1280, h: int = 720) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


@pytest.mark.parametrize("size,out", [((1280, 720), (144, 256)), ((640, 480), (144, 192)), ((720, 1280), (144, 80)),
                                      ((1920, 1080), (144, 256))])
def test_shapes_and_range(seg, size, out):
    w, h = size
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    m = seg.segment(frame)
    assert m.dtype == np.float32 and m.shape == out
    assert 0.0 <= float(m.min()) and float(m.max()) <= 1.0
    full = GM.upsample(m, (w, h))
    assert full.shape == (h, w) and full.dtype == np.float32


def test_letterbox_pad_never_reaches_the_output(seg):
    # a 4:3 white frame: the grey bars of the letterbox are cropped away, the output is all white
    m = seg.segment(grey(255, 640, 480))
    assert np.allclose(m, 1.0, atol=1e-6)


def test_upsample_to_box_matches_the_full_upsample():
    import cv2

    # a mask as smooth as the network's (a blurred random field); warpAffine samples on a 1/32-pixel grid
    m = cv2.GaussianBlur(np.random.default_rng(1).random((72, 128)).astype(np.float32), (0, 0), 2.0)
    m = (m - m.min()) / (m.max() - m.min())
    full = GM.upsample(m, (1280, 720))
    box = (400, 300, 321, 257)
    part = GM.upsample_to_box(m, (1280, 720), box)
    x, y, w, h = box
    assert part.shape == (h, w)
    assert np.abs(part - full[y:y + h, x:x + w]).max() < 5e-3


@pytest.mark.parametrize("frame, mask", [((1280, 720), (256, 144)), ((1280, 720), (128, 72)), ((1000, 700), (256, 144))])
def test_upsample_to_box_matches_the_full_upsample_for_any_box(frame, mask):
    """A whole number of frame pixels per cell takes the resize of the cells round the box; any other
    ratio the warp: both give the full upsample's pixels, for boxes at every offset, at the frame's edges
    included, and exactly the box's shape."""
    import cv2

    rng = np.random.default_rng(2)
    m = cv2.GaussianBlur(rng.random(mask[::-1]).astype(np.float32), (0, 0), 2.0)
    m = (m - m.min()) / (m.max() - m.min())
    full = GM.upsample(m, frame)
    fw, fh = frame
    boxes = [(0, 0, fw, fh), (0, 0, 1, 1), (fw - 7, fh - 3, 7, 3), (3, 2, 5, fh - 2)]
    for _ in range(60):
        x, y = int(rng.integers(0, fw - 1)), int(rng.integers(0, fh - 1))
        boxes.append((x, y, int(rng.integers(1, fw - x + 1)), int(rng.integers(1, fh - y + 1))))
    for x, y, w, h in boxes:
        part = GM.upsample_to_box(m, frame, (x, y, w, h))
        assert part.shape == (h, w)
        assert np.abs(part - full[y:y + h, x:x + w]).max() < 5e-3, (x, y, w, h)


def test_face_polygon_is_forced_to_zero(seg):
    frame = grey(230)
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = np.stack([640 + 120 * np.cos(t), 300 + 160 * np.sin(t)], 1)
    m = seg.segment(frame, face_polygons=[oval])
    full = GM.upsample(m, (1280, 720))
    inside = np.zeros((720, 1280), bool)
    import cv2

    cv2.fillPoly(inside.view(np.uint8), [np.round(oval).astype(np.int32)], 1)
    assert float(full[inside].max()) == 0.0  # the whole face, to its edge, upsampling included
    assert float(m.max()) > 0.85  # the rest of the frame is untouched
    far = np.zeros_like(inside)
    far[:, :300] = True
    assert float(full[far].min()) > 0.85
    # a small face (60 px wide) is cleared to its edge too
    small = np.stack([200 + 30 * np.cos(t), 500 + 40 * np.sin(t)], 1)
    full = GM.upsample(seg.segment(frame, face_polygons=[small]), (1280, 720))
    inside[:] = False
    cv2.fillPoly(inside.view(np.uint8), [np.round(small).astype(np.int32)], 1)
    assert float(full[inside].max()) == 0.0
    # no polygons, empty lists and degenerate polygons are all harmless
    for polys in (None, [], [np.zeros((2, 2))], [np.full((5, 2), np.nan)]):
        assert float(seg.segment(frame, face_polygons=polys).min()) > 0.85


def test_still_input_converges_and_flicker_is_damped(seg):
    rng = np.random.default_rng(2)
    base = rng.integers(60, 200, (720, 1280, 3)).astype(np.int16)
    raw, smooth = [], []
    for k in range(40):
        noisy = np.clip(base + rng.integers(-12, 13, base.shape), 0, 255).astype(np.uint8)
        raw.append(seg.infer(noisy).copy())
        smooth.append(seg.segment(noisy, timestamp=k / 30.0))
    raw_flicker = np.mean([np.abs(a - b).mean() for a, b in zip(raw[20:], raw[21:], strict=False)])
    smooth_flicker = np.mean([np.abs(a - b).mean() for a, b in zip(smooth[20:], smooth[21:], strict=False)])
    assert smooth_flicker < 0.6 * raw_flicker
    # the same frame again and again: the output converges to the network's own value, except that a
    # value within the hysteresis band of 0.5 stays on the side it came from
    seg.reset()
    frame = base.astype(np.uint8)
    target = seg.infer_zoomed(frame).copy()
    seg.segment(grey(20))  # start far away
    for k in range(30):
        out = seg.segment(frame, timestamp=k / 30.0)
    band = seg.smoother.band
    far = np.abs(target - 0.5) > band
    assert np.abs(out - target)[far].max(initial=0.0) < 1e-3
    assert np.abs(out - target)[~far].max(initial=0.0) <= band + 1e-3


def test_hysteresis_holds_a_pixel_hovering_round_one_half():
    from tryon_desktop.vision.garment_mask import TemporalSmoother

    sm = TemporalSmoother(band=0.12)
    seq = [0.7, 0.46, 0.55, 0.44, 0.52, 0.2, 0.56, 0.95]
    sides = [bool(sm(np.full((4, 4), v, np.float32), timestamp=k / 30.0)[0, 0] > 0.5) for k, v in enumerate(seq)]
    # hovering round 0.5 keeps "garment"; a clear drop (0.2) flips it; back up, 0.56 is not enough, 0.95 is
    assert sides[:5] == [True] * 5 and sides[5] is False and sides[6] is False and sides[7] is True


def test_a_sudden_change_is_followed_within_one_frame(seg):
    for k in range(10):
        seg.segment(grey(30), timestamp=k / 30.0)
    out = seg.segment(grey(230), timestamp=10 / 30.0)
    assert np.allclose(out, 230 / 255, atol=1e-5)
    # a moving edge: half the frame changes, the changed half is exact at once, the rest is unchanged
    frame = grey(230)
    frame[:, :640] = 30
    out = seg.segment(frame, timestamp=11 / 30.0)
    assert np.allclose(out[:, :120], 30 / 255, atol=1e-5)
    assert np.allclose(out[:, 136:], 230 / 255, atol=1e-5)


def test_reset_and_time_gaps_clear_the_smoothing_state(seg):
    seg.segment(grey(30), timestamp=0.0)
    seg.segment(grey(40), timestamp=1 / 30)  # small change: smoothed, so the output lags the input
    lagging = seg.segment(grey(40), timestamp=2 / 30)
    assert float(np.abs(lagging - 40 / 255).max()) > 1e-3
    seg.reset()
    assert seg.smoother.state is None
    assert np.allclose(seg.segment(grey(40), timestamp=3 / 30), 40 / 255, atol=1e-5)
    seg.segment(grey(30), timestamp=4 / 30)
    # a jump in time (or a timestamp going backwards) starts afresh too
    assert np.allclose(seg.segment(grey(40), timestamp=10.0), 40 / 255, atol=1e-5)
    assert np.allclose(seg.segment(grey(30), timestamp=1.0), 30 / 255, atol=1e-5)


def test_tampered_or_missing_model_gives_a_notice_not_a_crash(brightness_model, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(brightness_model.parent, folder)
    manifest = folder / brightness_model.name
    seg, notice = GM.load_garment_segmenter(manifest, providers=CPU)
    assert seg is not None and notice is None
    with open(folder / "garment_mask.onnx", "ab") as f:
        f.write(b"\0")
    seg, notice = GM.load_garment_segmenter(manifest, providers=CPU)
    assert seg is None and "corrupt or altered" in notice
    (folder / "garment_mask.onnx").unlink()
    seg, notice = GM.load_garment_segmenter(manifest, providers=CPU)
    assert seg is None and "missing" in notice
    seg, notice = GM.load_garment_segmenter(tmp_path / "nowhere.json", providers=CPU)
    assert seg is None and "no garment mask model" in notice
    manifest.write_text("{not json", encoding="utf-8")
    seg, notice = GM.load_garment_segmenter(manifest, providers=CPU)
    assert seg is None and notice
    assert GM.load_garment_segmenter(None) == (None, None)


def test_a_model_of_other_shapes_is_refused(brightness_model, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(brightness_model.parent, folder)
    manifest = folder / brightness_model.name
    data = json.loads(manifest.read_text())
    data["inputs"]["image"]["shape"] = [1, 3, 256, 256]
    manifest.write_text(json.dumps(data))
    seg, notice = GM.load_garment_segmenter(manifest, providers=CPU)
    assert seg is None and "do not match" in notice


def test_shipped_model_if_installed():
    manifest = GM.default_manifest()
    if not manifest.exists():
        pytest.skip("no garment_mask model installed in assets/models")
    seg, notice = GM.load_garment_segmenter("auto", providers=CPU)
    assert seg is not None, notice
    assert seg.describe()["sha256"] == json.loads(manifest.read_text())["sha256"]
    frame = np.random.default_rng(3).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    m = seg.segment(frame)
    assert m.shape == (144, 256) and m.dtype == np.float32 and 0.0 <= m.min() and m.max() <= 1.0


def test_zoom_box_only_when_it_gains():
    # a small garment in a big frame: a 16:9 region around it, inside the frame
    prob = np.zeros((72, 128), np.float32)
    prob[40:60, 60:75] = 1.0
    box = GM.zoom_box(prob, 1280, 720)
    assert box is not None
    x, y, w, h = box
    assert 0 <= x and 0 <= y and x + w <= 1280 and y + h <= 720
    assert x <= 600 and x + w >= 750 and y <= 400 and y + h >= 600  # the garment is inside
    assert abs(w / h - 16 / 9) < 0.02 and w * h < 0.25 * 1280 * 720
    # a face above the garment is taken in (the network's context)
    face = np.array([[640, 250], [700, 250], [700, 320], [640, 320]], np.float64)
    x2, y2, w2, h2 = GM.zoom_box(prob, 1280, 720, [face])
    assert y2 <= 250 and y2 + h2 >= 600
    # a garment filling the frame (a webcam's head and shoulders), or none at all: no second pass
    prob[:] = 0.0
    prob[20:72, 10:120] = 1.0
    assert GM.zoom_box(prob, 1280, 720) is None
    assert GM.zoom_box(np.zeros((72, 128), np.float32), 1280, 720) is None
    # the region is kept while the garment moves a little inside it
    assert GM.keep_box((100, 100, 400, 225), (110, 105, 380, 214))
    assert not GM.keep_box((100, 100, 400, 225), (300, 105, 380, 214))
    assert not GM.keep_box((100, 100, 400, 225), (150, 150, 200, 112))


def test_runtime_imports_no_torch_and_no_qt():
    code = ("import sys, tryon_desktop.vision.garment_mask as m; "
            "bad = [k for k in ('torch', 'PySide6') if k in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


# ------------------------------------------------------------------ colour refinement


def _scene(h: int = 144, w: int = 256):
    """A blue garment on a grey wall, a brown 'hair' lock over its right edge, and a network probability:
    sure on the garment's core, undecided (0.45) on a band along its right edge (blue below, the hair
    above), sure 'no' on the wall and on the same hair above the shoulders."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (128, 128, 128)  # wall (BGR)
    img[40:, 40:150] = (160, 60, 30)  # blue garment
    img[40:100, 140:150] = (30, 60, 110)  # brown hair over the garment
    img[:40, 100:160] = (30, 60, 110)  # the same hair above the shoulders, sure 'not garment'
    rng = np.random.default_rng(0)
    img = np.clip(img.astype(np.int16) + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
    prob = np.full((h, w), 0.05, np.float32)
    prob[40:, 40:140] = 0.95
    prob[40:, 140:150] = 0.45  # undecided, next to the sure part: the sleeve (blue) and a hair lock (brown)
    return img, prob


def test_refiner_fills_an_undecided_sleeve_and_drops_hair_by_colour():
    img, prob = _scene()
    out = GM.ColourRefiner()(img, prob)
    assert out.shape == prob.shape and out.dtype == np.float32
    sleeve = out[110:, 142:148]  # blue, undecided -> garment
    hair = out[50:95, 142:148]  # brown like the sure hair above -> not garment
    assert float(np.median(sleeve)) > 0.8
    assert float(np.median(hair)) < 0.2
    assert float(out[60:, 50:130].min()) > 0.9  # the sure core stays sure


def test_refiner_never_adds_garment_far_from_the_network_s():
    img, prob = _scene()
    img[:, 220:] = (160, 60, 30)  # the garment's blue again, far to the right, where the network said no
    prob[:, 220:] = 0.3
    out = GM.ColourRefiner()(img, prob)
    assert float(out[:, 230:].max()) <= 0.3 + 1e-6


def test_refiner_takes_a_garment_s_missed_half_when_its_colour_joins_the_found_half(monkeypatch):
    # a dress whose skirt the network is unsure of (0.3), far beyond the refiner's reach from the bodice it
    # found: the same blue, joined to it, comes back; with the joined growth off it stays out
    h, w = 144, 256
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (128, 128, 128)
    img[10:140, 90:170] = (160, 60, 30)
    rng = np.random.default_rng(1)
    img = np.clip(img.astype(np.int16) + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
    prob = np.full((h, w), 0.02, np.float32)
    prob[10:60, 90:170] = 0.95  # the bodice
    prob[60:140, 90:170] = 0.3  # the skirt, missed (undecided: not sampled as background either)
    skirt = np.s_[90:140, 100:160]
    assert float(np.median(GM.ColourRefiner()(img, prob)[skirt])) > 0.5
    monkeypatch.setattr(GM, "GROW_CONNECTED", False)
    assert float(np.median(GM.ColourRefiner()(img, prob)[skirt])) < 0.5


def test_refiner_leaves_the_mask_alone_without_a_sure_garment():
    img, prob = _scene()
    weak = np.minimum(prob, 0.6).astype(np.float32)
    assert np.array_equal(GM.ColourRefiner()(img, weak), weak)
    empty = np.zeros_like(prob)
    assert np.array_equal(GM.ColourRefiner()(img, empty), empty)


def test_refiner_histograms_are_averaged_on_a_stream_and_reset():
    img, prob = _scene()
    r = GM.ColourRefiner(memory=0.15)
    first = r(img, prob, video=True)
    hf0 = r._hists[0].copy()
    other = img.copy()
    other[40:, 40:150] = (40, 160, 40)  # the garment turns green in one frame
    r(other, prob, video=True)
    assert np.allclose(r._hists[0], 0.15 * GM.colour_hist(cv2_ycc(other), (prob > 0.8).astype(np.uint8)) + 0.85 * hf0,
                       atol=1e-6)
    r.reset()
    assert r._hists is None
    assert np.allclose(r(img, prob, video=True), first)


def cv2_ycc(img):
    import cv2

    return cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)


# ------------------------------------------------------------------ hair lying on the garment


def _head_and_hair(garment_bgr):
    """A 144 x 256 canvas: a face oval (skin) with brown hair round its top and a lock of the same hair
    falling over the left shoulder onto a garment of the given colour; the network called the lock garment."""
    import cv2

    img = np.full((144, 256, 3), (200, 200, 200), np.uint8)  # wall
    hair = (30, 50, 90)
    cv2.ellipse(img, (128, 40), (24, 30), 0, 0, 360, hair, -1)  # hair round the head
    cv2.ellipse(img, (128, 45), (17, 22), 0, 0, 360, (140, 160, 200), -1)  # the face over it
    img[72:144, 70:186] = garment_bgr
    img[66:120, 95:110] = hair  # a lock over the left shoulder
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = np.stack([128 + 17 * np.cos(t), 45 + 22 * np.sin(t)], 1).astype(np.float32)
    prob = np.zeros((144, 256), np.float32)
    prob[70:144, 70:186] = 0.95
    return img, prob, [oval]


def test_hair_lying_on_the_garment_is_cut():
    img, prob, heads = _head_and_hair((160, 60, 30))  # a blue top
    out = GM.cut_hair(img, prob, heads)
    assert float(out[75:115, 98:107].mean()) < 0.3  # the lock
    assert float(out[75:140, 120:180].mean()) > 0.9  # the rest of the top stays
    assert float(out[130:144, 75:90].mean()) > 0.9


def test_hair_is_not_cut_from_a_garment_of_its_colour():
    img, prob, heads = _head_and_hair((30, 50, 90))  # a top the hair's own brown
    out = GM.cut_hair(img, prob, heads)
    assert np.array_equal(out, prob)
    assert GM.cut_hair(img, prob, []) is prob  # no face: nothing to sample hair from


def test_the_face_cut_follows_the_face_outline_not_the_mask_cells():
    """A slanted face edge cut from the coarse mask and upsampled 5x (a 256x144 mask on a 1280x720 frame):
    the cut's 0.5 contour is a straight line within a pixel, not a staircase of mask cells."""
    import cv2

    W, H, mw, mh = 1280, 720, 256, 144
    # a big "face" whose right edge runs from (500, 0) to (800, 720): 22.6 degrees off vertical
    face = np.array([[0.0, 0.0], [500.0, 0.0], [800.0, 720.0], [0.0, 720.0]])
    prob = GM.cut_faces(np.ones((mh, mw), np.float32), [face], (W, H))
    full = GM.upsample(prob, (W, H))
    rows = np.arange(150, 570)
    xs = np.array([np.argmax(full[y] > 0.5) for y in rows], np.float64)  # the first garment pixel a row
    line = np.polyval(np.polyfit(rows, xs, 1), rows)
    assert np.abs(xs - line).max() <= 1.5
    # the old cell-by-cell cut, for the record: its contour strays by over a pixel from the line
    cells = np.zeros((mh, mw), np.uint8)
    cv2.fillPoly(cells, [np.round(((face + 0.5) * [mw / W, mh / H] - 0.5) * 4).astype(np.int32).reshape(-1, 1, 2)], 1,
                 lineType=cv2.LINE_8, shift=2)
    old = np.ones((mh, mw), np.float32)
    old[cells > 0] = 0.0
    old_full = GM.upsample(old, (W, H))
    xo = np.array([np.argmax(old_full[y] > 0.5) for y in rows], np.float64)
    assert np.abs(xo - np.polyval(np.polyfit(rows, xo, 1), rows)).max() > 1.5


def _oval(cx: float, cy: float, a: float, b: float, tilt_deg: float = 0.0) -> np.ndarray:
    """A face oval of len(FACE_OVAL) points in its order: the forehead's top first, the chin half way round."""
    t = np.deg2rad(-90.0 + 360.0 * np.arange(36) / 36)
    p = np.stack([a * np.cos(t), b * np.sin(t)], 1)
    r = np.deg2rad(tilt_deg)
    rot = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
    return p @ rot.T + [cx, cy]


def _reach(full: np.ndarray, c: np.ndarray, direction: np.ndarray) -> float:
    """How far from c along direction the cut reaches (the first pixel with garment > 0.5)."""
    for k in range(1, 400):
        x, y = np.round(c + k * direction).astype(int)
        if full[y, x] > 0.5:
            return float(k)
    return float("inf")


def _portrait(face: np.ndarray, size: tuple[int, int], beard: bool = False) -> np.ndarray:
    """A frame for `face`: skin inside the oval on a light blue shirt; beard: dark grey under the chin."""
    import cv2

    W, H = size
    img = np.full((H, W, 3), (200, 170, 150), np.uint8)
    cv2.fillPoly(img, [np.round(face).astype(np.int32).reshape(-1, 1, 2)], (140, 160, 200))
    if beard:
        c = face.mean(0)
        chin = face[GM._CHIN]
        cv2.circle(img, tuple(int(v) for v in c + 1.1 * (chin - c)), 30, (45, 45, 48), -1)
    return img


@pytest.mark.parametrize("tilt", [0.0, 30.0])
def test_the_face_cut_grows_below_the_chin_and_hugs_the_jaw_beside_it(tilt):
    """The cut reaches FACE_GROW past the chin (MediaPipe's chin sits above its underside) but only
    FACE_GROW_SIDE beside the face (a collar against a close-up's jaw is kept), along the head's own axes."""
    W, H, mw, mh = 1280, 720, 256, 144
    a, b = 100.0, 130.0
    c = np.array([640.0, 300.0])
    face = _oval(c[0], c[1], a, b, tilt)
    assert GM.dark_under_chin(_portrait(face, (W, H)), face) is False
    full = GM.upsample(GM.cut_faces(np.ones((mh, mw), np.float32), [face], (W, H), _portrait(face, (W, H))), (W, H))
    r = np.deg2rad(tilt)
    down, right = np.array([-np.sin(r), np.cos(r)]), np.array([np.cos(r), np.sin(r)])
    margin = 4 * W / mw  # 1.5 mask cells, the one-cell dilation, the anti-aliased outline, the bilinear ramp
    assert _reach(full, c, down) >= b * (1 + GM.FACE_GROW) - 2
    for side in (right, -right):  # 16% all round reached 132 px here
        assert _reach(full, c, side) <= a * (1 + GM.FACE_GROW_SIDE) + margin


def test_the_face_cut_keeps_its_full_growth_where_a_beard_may_grow_or_without_the_frame():
    """Dark grey under the chin may be a beard, whose edge below the jaw the tight cut would paint: that face
    is cut 16% all round, as it is when the frame is not given or the outline is not a face oval."""
    W, H, mw, mh = 1280, 720, 256, 144
    c = np.array([640.0, 300.0])
    face = _oval(c[0], c[1], 100.0, 130.0)
    bearded = _portrait(face, (W, H), beard=True)
    assert GM.dark_under_chin(bearded, face) is True
    assert GM.dark_under_chin(bearded, face[::2]) is None  # not a face oval
    right = np.array([1.0, 0.0])
    for frame in (bearded, None):
        full = GM.upsample(GM.cut_faces(np.ones((mh, mw), np.float32), [face], (W, H), frame), (W, H))
        assert _reach(full, c, right) >= 100.0 * (1 + GM.FACE_GROW)


def test_a_stream_asks_about_beards_every_few_frames_and_when_the_faces_change(monkeypatch):
    """GarmentPerception keeps dark_under_chin's answers for BEARD_EVERY frames of a stream (and asks again
    when the number of faces changes, or after a reset); cut_faces given them cuts as it would alone."""
    import tryon_desktop.engine as E

    calls = []

    def counted(frame, poly):
        calls.append(1)
        return False

    monkeypatch.setattr(GM, "dark_under_chin", counted)
    gp = E.GarmentPerception(None, None, video=True)
    frame = np.zeros((720, 1280, 3), np.uint8)
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    one = [np.stack([640 + 100 * np.cos(t), 300 + 130 * np.sin(t)], 1).astype(np.float32)]
    two = one + [one[0] + np.float32([300, 0])]
    for _ in range(E.BEARD_EVERY * 2):
        assert gp._beards_of(frame, one) == [False]
    assert len(calls) == 2
    assert gp._beards_of(frame, two) == [False, False] and len(calls) == 4
    gp.reset()
    gp._beards_of(frame, two)
    assert len(calls) == 6
    prob = np.ones((144, 256), np.float32)
    monkeypatch.setattr(GM, "dark_under_chin", lambda frame, poly: None)  # (a beard may grow: the full cut)
    alone = GM.cut_faces(prob.copy(), one, (1280, 720), frame)
    given = GM.cut_faces(prob.copy(), one, (1280, 720), frame, beards=[None])
    told_no = GM.cut_faces(prob.copy(), one, (1280, 720), frame, beards=[False])
    assert np.array_equal(alone, given)
    assert not np.array_equal(alone, told_no)


def _neck_scene(band_bottom: float, band_half_width: float, joined: bool = False):
    """A 1280x720 frame's 256x144 mask: a face oval (chin at y 430, 200 px wide), a band under the chin from
    y 450 to band_bottom, band_half_width either side of the face's centre; joined: a top below it, reaching
    the frame's bottom, joined to the band by a strip."""
    import cv2

    W, H, mw, mh = 1280, 720, 256, 144
    face = _oval(640.0, 300.0, 100.0, 130.0)
    full = np.zeros((H, W), np.uint8)
    cv2.rectangle(full, (int(640 - band_half_width), 450), (int(640 + band_half_width), int(band_bottom)), 1, -1)
    cv2.rectangle(full, (300, 640), (980, H - 1), 1, -1)  # the top's shoulders, out of the frame below
    if joined:
        cv2.rectangle(full, (620, 450), (660, 640), 1, -1)
    prob = cv2.resize(full.astype(np.float32), (mw, mh), interpolation=cv2.INTER_AREA)
    return prob, face, (W, H)


def test_a_choker_under_the_chin_is_not_garment_and_a_collar_that_goes_on_down_is():
    """A band round the neck that stops short of the body (a choker, a necklace, a tattoo the network took
    for a collar) is dropped with its fringe; the top below stays, and so do a band joined to it, one reaching
    too far down, one wider than the face, and any band when there is no face."""
    choker, face, size = _neck_scene(490, 70)
    out = GM.drop_neck_bands(choker.copy(), [face], size)
    band = np.s_[90:98, 116:140]  # the choker, in mask cells
    top = np.s_[130:, 62:194]
    assert choker[band].min() > 0.9 and out[band].max() == 0.0
    assert out[88:101, 110:146].max() == 0.0  # (its fringe too)
    assert np.array_equal(out[top], choker[top])
    for kept in (_neck_scene(490, 70, joined=True)[0],  # the collar of the top below
                 _neck_scene(600, 70)[0],  # reaches 1.3 face heights down: a bib, a scarf
                 _neck_scene(490, 150)[0]):  # wider than the face: shoulders
        assert np.array_equal(GM.drop_neck_bands(kept.copy(), [face], size), kept)
    assert np.array_equal(GM.drop_neck_bands(choker.copy(), [], size), choker)
    # cut_faces, which every path calls, drops it too
    assert GM.cut_faces(choker.copy(), [face], size)[band].max() == 0.0


def test_the_colour_histogram_s_smoothing_is_the_rolled_sum():
    """colour_hist smooths by slices: the same numbers as adding each axis's two rolls (wrapping round)."""
    import cv2

    rng = np.random.default_rng(3)
    for k in range(6):
        ycc = cv2.cvtColor(cv2.GaussianBlur(rng.integers(0, 256, (60, 90, 3), dtype=np.uint8), (0, 0), 0.5 + k),
                           cv2.COLOR_BGR2YCrCb)
        sel = (rng.random((60, 90)) < 0.5).astype(np.uint8)
        h = cv2.calcHist([ycc], [0, 1, 2], sel, list(GM.COLOUR_BINS), [0, 256, 0, 256, 0, 256])
        for ax in range(3):
            h = h + 0.5 * (np.roll(h, 1, ax) + np.roll(h, -1, ax))
        assert np.array_equal(GM.colour_hist(ycc, sel), h / max(float(h.sum()), 1.0))
