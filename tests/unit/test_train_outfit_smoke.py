"""Outfit generator end to end on package-shipped photos: smoke training, resume, export + parity, the
exported model through the app's backend and engine. Needs torch (the [train] extra); never ../shared.
"""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'tryon-desktop[train]')")
pytest.importorskip("onnx", reason="onnx is not installed (the [train] extra)")

from tryon_desktop.errors import ModelError  # noqa: E402
from tryon_desktop.render.outfit import render_garment, rgb8_to_linear_bgr  # noqa: E402
from tryon_desktop.render.patterns import procedural  # noqa: E402
from tryon_desktop.train import garment_data as GD  # noqa: E402
from tryon_desktop.train import outfit_export, outfit_train  # noqa: E402
from tryon_desktop.train import outfit_nets as N  # noqa: E402
from tryon_desktop.vision import outfit_generator as RT  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("outfit")
    cache = GD.synthetic_cache(root / "cache")
    run = root / "run"
    assert outfit_train.main(["--data", str(cache), "--out", str(run), "--smoke", "--no-progress"]) == 0
    return cache, run


@pytest.fixture(scope="module")
def exported(smoke_run, tmp_path_factory):
    _, run = smoke_run
    out = tmp_path_factory.mktemp("outfit_export")
    result = outfit_export.export_run(run, out)
    return out / "outfit_generator.json", result


def _garment(h: int = 300, w: int = 260, seed: int = 0):
    """A shaded, textured synthetic garment box with a soft mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.55 + 0.35 * np.sin(xx / 17.0 + yy / 41.0) + rng.normal(0, 0.03, (h, w))
    img = np.clip(np.stack([150 * shade, 90 * shade, 60 * shade], -1), 0, 255).astype(np.uint8)
    alpha = np.zeros((h, w), np.float32)
    alpha[30:h - 10, 20:w - 20] = 1.0
    return img, cv2.GaussianBlur(alpha, (9, 9), 0)


def test_smoke_run_writes_a_complete_run_folder(smoke_run):
    cache, run = smoke_run
    for name in ("config.json", "checkpoint.pt", "summary.json", "data.json", "log.txt"):
        assert (run / name).is_file(), name
    assert list((run / "samples").glob("step_*.jpg"))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 4
    held = summary["held_out"]
    assert held["n"] >= 1 and held["real_photo_mae_gan"] >= 0 and held["real_photo_mae_reference"] >= 0
    ck = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert ck["step"] == 4 and {"G", "G_ema", "D", "opt_g", "opt_d"} <= set(ck)


def test_resume_continues_and_another_width_is_refused(smoke_run, tmp_path):
    cache, run = smoke_run
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    assert outfit_train.main(["--data", str(cache), "--out", str(copy), "--smoke", "--steps", "6", "--no-progress"]) == 0
    assert json.loads((copy / "summary.json").read_text())["steps"] == 6
    assert "resumed from step 4" in (copy / "log.txt").read_text()
    cfg = outfit_train.OutfitTrainConfig(data=str(cache), width=8, steps=1)
    with pytest.raises(Exception, match="another architecture"):
        outfit_train.train(cfg, copy, progress=False)


def test_not_a_cache_is_one_clear_line(tmp_path, capsys):
    assert outfit_train.main(["--data", str(tmp_path), "--out", str(tmp_path / "run"), "--smoke"]) == 1
    err = capsys.readouterr().err
    assert "not a garment cache" in err and "Traceback" not in err


def test_untrained_generator_is_the_reference_renderer():
    """Zero-initialised heads: G's coefficients are the identity, so the app's GAN path reproduces the
    reference rendering (within rounding) -- training only learns corrections."""
    G = N.Generator().eval()
    img, alpha = _garment()
    albedo = rgb8_to_linear_bgr((31, 58, 147))
    x = RT.prepare_inputs(img, alpha, albedo)
    with torch.no_grad():
        coef = G(torch.from_numpy(x.image), torch.from_numpy(x.cond[None])).numpy()[0]
    out = RT.encode01(RT.apply_coef(coef, RT.basis_maps(x.orig_s, x.ref_s, x.ymed)))
    back = np.rint(out[::-1].transpose(1, 2, 0) * 255.0)
    assert np.abs(back - x.ref_s).max() <= 1


def test_torch_and_numpy_apply_agree():
    rng = np.random.default_rng(1)
    coef = rng.normal(0, 0.5, (1, RT.N_COEF, RT.GRID, RT.GRID)).astype(np.float32)
    basis = rng.uniform(0, 1, (1, RT.N_BASIS, RT.IN, RT.IN)).astype(np.float32)
    a = N.apply_coef(torch.from_numpy(coef), torch.from_numpy(basis)).numpy()[0]
    b = RT.apply_coef(coef[0], basis[0])
    assert np.abs(a - b).max() < 1e-4


def test_export_parity_manifest_and_backend(exported):
    manifest_path, result = exported
    assert result["parity"]["max_abs_8bit"] <= outfit_export.PARITY_LIMIT_8BIT
    assert result["parity"]["cases"] >= 1 and result["size_bytes"] < 10 * 2 ** 20
    man = json.loads(manifest_path.read_text())
    for key in ("sha256", "inputs", "outputs", "training", "licence_note", "latency_cpu", "code_commit"):
        assert key in man, key
    assert man["inputs"]["cond"]["layout"] == list(RT.COND_LAYOUT)
    gan = RT.GanOutfit(manifest_path)
    img, alpha = _garment()
    for albedo in (rgb8_to_linear_bgr((240, 240, 235)), procedural("stripes", *img.shape[:2], 40.0, 0.0, (20, 30, 90))):
        out = gan.render(img, alpha, albedo, 1.0)
        assert out.shape == img.shape and out.dtype == np.uint8
        ref = render_garment(img, alpha, albedo, 1.0)
        inside = alpha > 0.5
        # a smoke-trained G is near the identity: close to the reference, texture kept
        assert np.abs(out.astype(int) - ref.astype(int))[inside].mean() < 12
    half = gan.render(img, alpha, rgb8_to_linear_bgr((240, 240, 235)), 0.5)
    assert np.abs(half.astype(int) - img.astype(int)).mean() < np.abs(out.astype(int) - img.astype(int)).mean() + 1


def test_engine_uses_the_model_and_falls_back_when_altered(exported, tmp_path):
    from tryon_desktop.effects.outfit import load_outfit_backend

    manifest_path, _ = exported
    backend, notice = load_outfit_backend(manifest_path)
    assert backend.name == "gan" and notice is None
    bad = tmp_path / "m"
    shutil.copytree(manifest_path.parent, bad)
    onnx_file = bad / "outfit_generator.onnx"
    onnx_file.write_bytes(onnx_file.read_bytes()[:-7] + b"altered")
    with pytest.raises(ModelError, match="corrupt or altered"):
        load_outfit_backend(bad / "outfit_generator.json")
    none, notice = load_outfit_backend(None)
    assert none.name == "reference" and notice is None


def test_an_altered_shipped_model_falls_back_with_a_notice(exported, tmp_path, monkeypatch):
    from tryon_desktop.effects import outfit as O

    manifest_path, _ = exported
    bad = tmp_path / "m"
    shutil.copytree(manifest_path.parent, bad)
    (bad / "outfit_generator.onnx").write_bytes(b"not a model")
    monkeypatch.setattr(O, "DEFAULT_OUTFIT_MANIFEST", bad / "outfit_generator.json")
    effect = O.OutfitEffect("auto")
    assert effect.name == "reference" and "corrupt or altered" in effect.notice
    assert "reference renderer" in effect.notice
    monkeypatch.setattr(O, "DEFAULT_OUTFIT_MANIFEST", tmp_path / "absent.json")
    effect = O.OutfitEffect("auto")
    assert effect.name == "reference" and "no outfit generator model installed" in effect.notice
