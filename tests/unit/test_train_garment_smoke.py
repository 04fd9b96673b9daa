"""Garment-mask student end to end on package-shipped photos: smoke training, resume, export + parity,
the exported model through the app's runtime wrapper. Needs torch (the [train] extra); never ../shared.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'tryon-desktop[train]')")
pytest.importorskip("onnx", reason="onnx is not installed (the [train] extra)")

from tryon_desktop.errors import InputError  # noqa: E402
from tryon_desktop.train import garment_data as GD  # noqa: E402
from tryon_desktop.train import garment_export, garment_train  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("garment")
    cache = GD.synthetic_cache(root / "cache")
    run = root / "run"
    rc = garment_train.main(["--data", str(cache), "--out", str(run), "--smoke", "--no-progress", "--preview"])
    assert rc == 0
    return cache, run


def test_smoke_run_writes_a_complete_run_folder(smoke_run):
    cache, run = smoke_run
    for name in ("config.json", "checkpoint.pt", "losses.png", "summary.json", "data.json", "log.txt"):
        assert (run / name).is_file(), name
    assert list((run / "samples").glob("step_*.jpg"))
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["data"] == str(cache) and cfg["steps"] == 3
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 3 and 0.0 <= summary["val"]["iou"] <= 1.0
    ck = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)  # no arbitrary pickles
    assert ck["step"] == 3 and "model_ema" in ck and ck["config"]["width"] == 16
    assert not list(run.glob("*.tmp")) and not list(run.glob(".*.tmp"))


def test_augmented_samples_have_the_network_shapes(smoke_run):
    cache, _ = smoke_run
    c = GD.load_cache(cache, with_person=False)
    assert len(c) == 4 and c.stats["empty_masks"] == 2  # the face-only crops are kept, with empty masks
    rng = np.random.default_rng(0)
    for k in range(12):
        img, tgt, w, _prior = GD.augmented_sample(c, k % len(c), rng)
        assert img.shape == (GD.IN_H, GD.IN_W, 3) and img.dtype == np.uint8
        assert tgt.shape == (GD.IN_H, GD.IN_W) and 0.0 <= tgt.min() and tgt.max() <= 1.0
        assert w.shape == tgt.shape and float(w.min()) >= 0.0


def test_resume_continues_and_another_width_is_refused(smoke_run, tmp_path):
    cache, run = smoke_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    rc = garment_train.main(["--data", str(cache), "--out", str(copy), "--smoke", "--steps", "4", "--no-progress",
                             "--preview"])
    assert rc == 0
    assert torch.load(copy / "checkpoint.pt", map_location="cpu", weights_only=True)["step"] == 4
    cfg = garment_train.GarmentTrainConfig(data=str(cache), steps=5, batch=2, width=24)
    with pytest.raises(InputError, match="another config"):
        garment_train.train(cfg, copy, progress=False)


def test_missing_cache_is_one_line(tmp_path, capsys):
    rc = garment_train.main(["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "run"), "--smoke"])
    assert rc == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a garment cache" in err[0]


def test_export_parity_manifest_and_runtime(smoke_run, tmp_path):
    from tryon_desktop.vision.garment_mask import GarmentSegmenter, load_garment_segmenter
    from tryon_desktop.vision.onnx_runtime import sha256_file

    _, run = smoke_run
    out = tmp_path / "export"
    assert garment_export.main([str(run), "--out", str(out)]) == 0
    manifest = json.loads((out / "garment_mask.json").read_text())
    assert manifest["sha256"] == sha256_file(out / "garment_mask.onnx")
    assert manifest["inputs"]["image"]["shape"] == [1, 3, 144, 256]
    assert manifest["outputs"]["prob"]["shape"] == [1, 1, 72, 128]
    assert manifest["parity"]["cases"] >= 2 and manifest["parity"]["max_abs_prob"] < 1e-4
    assert manifest["size_bytes"] < 2_000_000
    assert manifest["training"]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    for key in ("code_commit", "licence_note", "params", "gmacs", "latency_cpu", "metrics"):
        assert key in manifest, key
    assert manifest["training"]["sources"]  # every cache folder is named with its source

    seg = GarmentSegmenter(out / "garment_mask.json", providers=["CPUExecutionProvider"])
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    m = seg.segment(frame)
    assert m.shape == (144, 192) and 0.0 <= m.min() and m.max() <= 1.0  # twice the output: room for the zoom

    with open(out / "garment_mask.onnx", "ab") as f:  # tampered after export: refused, with a notice
        f.write(b"\0")
    seg, notice = load_garment_segmenter(out / "garment_mask.json")
    assert seg is None and "corrupt or altered" in notice


def test_export_refuses_a_foreign_checkpoint(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"hello": torch.zeros(1)}, run / "checkpoint.pt")
    with pytest.raises(InputError, match="not a garment-mask checkpoint"):
        garment_export.export_run(run)
    (run / "checkpoint.pt").write_bytes(b"garbage")
    with pytest.raises(InputError):
        garment_export.export_run(run)


def test_face_prior_run_starts_from_the_old_weights_and_exports_two_inputs(smoke_run, tmp_path):
    """--prior --init: the 3-channel checkpoint's weights with a zero 4th stem channel (the same function at
    step 0), trained with the face prior, exported with an `image` and a `prior` input that the runtime feeds
    from the face outlines it is given."""
    from tryon_desktop.train.garment_nets import GarmentNet, widen_stem
    from tryon_desktop.vision.garment_mask import GarmentSegmenter, face_prior

    cache, run = smoke_run
    old = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)["model_ema"]
    a, b = GarmentNet(16).eval(), GarmentNet(16, prior=True).eval()
    a.load_state_dict(old)
    b.load_state_dict(widen_stem(old, True))
    x = torch.rand(1, 3, 144, 256)
    with torch.no_grad():
        assert torch.allclose(a(x), b(x, torch.rand(1, 1, 144, 256)), atol=1e-6)

    run2 = tmp_path / "prior"
    rc = garment_train.main(["--data", str(cache), "--out", str(run2), "--smoke", "--no-progress", "--preview",
                             "--prior", "--init", str(run / "checkpoint.pt")])
    assert rc == 0
    assert json.loads((run2 / "config.json").read_text())["prior"] is True
    faces = json.loads((run2 / "faces.json").read_text())  # the tracker's outlines, found once per cache image
    assert set(faces) == {it.id for it in GD.load_cache(cache, with_person=False).items}
    out = tmp_path / "export"
    assert garment_export.main([str(run2), "--out", str(out)]) == 0
    manifest = json.loads((out / "garment_mask.json").read_text())
    assert manifest["inputs"]["prior"]["shape"] == [1, 1, 144, 256]
    assert manifest["parity"]["max_abs_prob"] < 1e-4
    seg = GarmentSegmenter(out / "garment_mask.json", providers=["CPUExecutionProvider"])
    assert seg.uses_prior
    frame = np.random.default_rng(1).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    oval = np.array([[320 + 60 * np.cos(t), 150 + 80 * np.sin(t)] for t in np.linspace(0, 6.28, 36)], np.float32)
    assert seg.segment(frame, face_polygons=[oval]).shape == (144, 192)
    prior = face_prior([oval], seg.letterbox(640, 480).affine())
    assert prior.max() == 1.0 and (prior == 0.5).any()  # the face, and the body below its chin
    assert prior[:, :40].max() == 0.0  # nothing far to the side of the face


def test_face_prior_geometry():
    from tryon_desktop.vision.garment_mask import IN_H, IN_W, PRIOR_BODY, PRIOR_FACE, Letterbox, face_prior

    box = Letterbox.fit(1280, 720)
    oval = np.array([[640 + 100 * np.cos(t), 300 + 130 * np.sin(t)] for t in np.linspace(0, 6.28, 36)], np.float32)
    p = face_prior([oval], box.affine())
    assert p.shape == (IN_H, IN_W) and p.dtype == np.float32
    assert p[60, 128] == PRIOR_FACE  # the face's centre (300 px of 720 -> row 60)
    chin_row = int(np.ceil((430 + 0.5) * 0.2 - 0.5))
    assert p[chin_row + 2, 128] == PRIOR_BODY and p[IN_H - 1, 128] == PRIOR_BODY
    assert p[IN_H - 1, 128 + 50] == PRIOR_BODY  # shoulders: ~1.45 face widths (40 px) and more to each side
    assert p[10, 10] == 0.0 and p[IN_H - 1, 2] == 0.0
    assert not face_prior([], box.affine()).any() and not face_prior([oval[:2]], box.affine()).any()
