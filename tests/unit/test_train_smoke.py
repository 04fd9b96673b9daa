"""tryon-train end to end on package-shipped photos: smoke training, resume, bad input, export + parity.

Needs torch (the [train] extra); skipped with a reason without it. Never needs ../shared.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'tryon-desktop[train]')")
pytest.importorskip("onnx", reason="onnx is not installed (the [train] extra)")

from tryon_desktop.errors import InputError, ModelError  # noqa: E402
from tryon_desktop.train import cli  # noqa: E402
from tryon_desktop.train.smoke_data import smoke_folder  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("smoke")
    data = smoke_folder(root / "faces")
    run = root / "run"
    rc = cli.main(["lipstick", "--data", str(data), "--out", str(run), "--smoke", "--no-progress"])
    assert rc == 0
    return data, run


def test_smoke_run_writes_a_complete_run_folder(smoke_run):
    data, run = smoke_run
    for name in ("config.json", "checkpoint.pt", "losses.png", "summary.json", "data.json", "faces.npz"):
        assert (run / name).is_file(), name
    assert list((run / "samples").glob("step_*.jpg"))
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["data"] == [str(data)] and cfg["steps"] == 4
    assert json.loads((run / "summary.json").read_text())["steps"] == 4
    ck = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)  # no arbitrary pickles
    assert ck["step"] == 4 and "G_ema" in ck
    assert not list(run.glob("*.tmp")) and not list(run.glob(".*.tmp"))


def test_resume_continues_from_the_checkpoint(smoke_run, tmp_path):
    import shutil

    data, run = smoke_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    assert cli.main(["lipstick", "--data", str(data), "--out", str(copy), "--smoke", "--steps", "6", "--no-progress"]) == 0
    ck = torch.load(copy / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert ck["step"] == 6


def test_checkpoint_from_another_config_is_refused(smoke_run, tmp_path, capsys):
    import shutil

    from tryon_desktop.train.config import TrainConfig
    from tryon_desktop.train.loop import train

    data, run = smoke_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    cfg = TrainConfig(data=[str(data)], steps=5, batch=2, workers=0, g_width=16)
    with pytest.raises(InputError, match="another config"):
        train(cfg, copy, progress=False)


def test_folder_without_usable_faces_fails_cleanly(tmp_path, capsys):
    import cv2

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.jpg").write_bytes(b"not a jpeg at all")
    cv2.imwrite(str(bad / "blank.png"), np.full((120, 160, 3), 128, np.uint8))
    out = tmp_path / "run"
    rc = cli.main(["lipstick", "--data", str(bad), "--out", str(out), "--smoke", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert len(err) == 1 and "no usable faces" in err[0] and "1 unreadable" in err[0]
    assert not (out / "checkpoint.pt").exists() and not (out / "faces.npz").exists()


def test_missing_data_folder_is_one_line(tmp_path, capsys):
    rc = cli.main(["lipstick", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "run"), "--smoke"])
    assert rc == 1
    assert "data folder not found" in capsys.readouterr().err


def test_export_parity_and_manifest(smoke_run, tmp_path):
    import cv2

    from tryon_desktop.core.looks import default_catalogue
    from tryon_desktop.core.masks import inner_mouth_mask, lip_box, lip_mask
    from tryon_desktop.train.export import export_run
    from tryon_desktop.train.smoke_data import package_faces
    from tryon_desktop.vision.face_tracker import FaceTracker
    from tryon_desktop.vision.lip_generator import GanLipstick
    from tryon_desktop.vision.onnx_runtime import sha256_file

    _, run = smoke_run
    out = tmp_path / "export"
    result = export_run(run, out)
    assert result["parity"]["cases"] >= 2
    assert result["parity"]["max_abs_8bit"] <= 1 and result["parity"]["max_abs_coef"] < 1e-3
    manifest = json.loads((out / "lipstick_generator.json").read_text())
    assert manifest["sha256"] == sha256_file(out / "lipstick_generator.onnx")
    assert manifest["inputs"]["image"]["shape"] == [1, 4, 72, 96]
    assert len(manifest["inputs"]["cond"]["layout"]) == manifest["inputs"]["cond"]["shape"][1]
    assert "code_commit" in manifest and "licence_note" in manifest
    import torch

    # where it trained: what the training loop chose (CUDA when present) and the chip's name
    assert manifest["training"]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert manifest["training"]["device_name"]

    # the exported model makes up a real face through the app's backend, nothing on the teeth
    gan = GanLipstick(out / "lipstick_generator.json", providers=["CPUExecutionProvider"])
    assert gan.provider == "CPU" and gan.name == "gan"
    img = cv2.imread(str(package_faces()[0]))
    with FaceTracker(max_faces=1, video=False) as tr:
        lm = tr.track(img)[0].landmarks
    box = lip_box(lm, img.shape)
    mask = lip_mask(lm, box)
    region, alpha = gan.generate(gan.prepare(img, lm, box, mask), default_catalogue()[0])
    assert region.shape == (box.height, box.width, 3) and region.dtype == np.uint8
    assert alpha.shape == (box.height, box.width)
    assert float(alpha[inner_mouth_mask(lm, box)].max(initial=0.0)) == 0.0

    # a tampered model file is refused before loading
    with open(out / "lipstick_generator.onnx", "ab") as f:
        f.write(b"\0")
    with pytest.raises(ModelError, match="corrupt or altered"):
        GanLipstick(out / "lipstick_generator.json")


def test_export_refuses_a_foreign_checkpoint(tmp_path):
    from tryon_desktop.train.export import export_run

    run = tmp_path / "run"
    run.mkdir()
    torch.save({"hello": torch.zeros(1)}, run / "checkpoint.pt")
    with pytest.raises(InputError, match="not a lipstick-generator checkpoint"):
        export_run(run)
    Path(run / "checkpoint.pt").write_bytes(b"garbage")
    with pytest.raises(InputError):
        export_run(run)
