import json

import numpy as np
import pytest

from tryon_desktop.errors import ModelError
from tryon_desktop.vision import onnx_runtime as rt


def test_provider_order_prefers_gpu_then_cpu(monkeypatch):
    monkeypatch.setattr(rt, "nvidia_gpu_present", lambda: True)
    monkeypatch.delenv("TRYON_PROVIDERS", raising=False)
    avail = ["CPUExecutionProvider", "CoreMLExecutionProvider", "CUDAExecutionProvider"]
    assert rt.plan_providers(available=avail).requested == ["CUDAExecutionProvider", "CoreMLExecutionProvider",
                                                            "CPUExecutionProvider"]


def test_cuda_skipped_quietly_without_a_gpu(monkeypatch):
    monkeypatch.setattr(rt, "nvidia_gpu_present", lambda: False)
    monkeypatch.delenv("TRYON_PROVIDERS", raising=False)
    plan = rt.plan_providers(available=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert plan.requested == ["CPUExecutionProvider"]
    assert "NVIDIA" in plan.skipped["CUDAExecutionProvider"]


def test_override_by_argument_and_environment(monkeypatch):
    monkeypatch.setattr(rt, "nvidia_gpu_present", lambda: True)
    avail = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert rt.plan_providers(["CPUExecutionProvider"], available=avail).requested == ["CPUExecutionProvider"]
    monkeypatch.setenv("TRYON_PROVIDERS", "DmlExecutionProvider")
    plan = rt.plan_providers(available=avail)
    assert plan.requested == ["CPUExecutionProvider"] and "DmlExecutionProvider" in plan.skipped


def _identity_model(path):
    onnx = pytest.importorskip("onnx", reason="onnx (train extra) builds the test model")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def _manifest(tmp_path, sha):
    m = tmp_path / "m.json"
    m.write_text(json.dumps({"file": "m.onnx", "sha256": sha, "inputs": {"x": [1, 3]}, "outputs": {"y": [1, 3]}}))
    return m


def test_load_verified_model_reports_the_provider_in_use(tmp_path, monkeypatch):
    monkeypatch.delenv("TRYON_PROVIDERS", raising=False)
    _identity_model(tmp_path / "m.onnx")
    loaded = rt.load_model(_manifest(tmp_path, rt.sha256_file(tmp_path / "m.onnx")))
    assert loaded.provider in loaded.session.get_providers()
    out = loaded.session.run(None, {"x": np.array([[-1.0, 0.5, 2.0]], np.float32)})[0]
    np.testing.assert_allclose(out, [[0.0, 0.5, 2.0]])


def test_hash_mismatch_missing_and_corrupt_models(tmp_path):
    _identity_model(tmp_path / "m.onnx")
    with pytest.raises(ModelError, match="corrupt or altered"):
        rt.load_model(_manifest(tmp_path, "0" * 64))
    (tmp_path / "m.onnx").unlink()
    with pytest.raises(ModelError, match="missing"):
        rt.load_model(_manifest(tmp_path, "0" * 64))
    (tmp_path / "m.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="could not be loaded"):
        rt.load_model(_manifest(tmp_path, rt.sha256_file(tmp_path / "m.onnx")))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ModelError, match="not valid JSON"):
        rt.load_model(tmp_path / "bad.json")


def test_cuda_libraries_preloaded_once_and_only_when_cuda_is_tried(tmp_path, monkeypatch):
    """onnxruntime-gpu finds pip-installed CUDA/cuDNN only after preload_dlls(): the loader calls it once, when
    CUDA is about to be tried, and a failing preload costs nothing but a log line (the model still loads)."""
    import onnxruntime as ort

    calls = []

    def failing_preload(*a, **k):
        calls.append(1)
        raise RuntimeError("no libcudart here")

    monkeypatch.setattr(ort, "preload_dlls", failing_preload, raising=False)
    monkeypatch.setattr(rt, "_CUDA_LIBS_PRELOADED", False)
    monkeypatch.delenv("TRYON_PROVIDERS", raising=False)
    _identity_model(tmp_path / "m.onnx")
    manifest = _manifest(tmp_path, rt.sha256_file(tmp_path / "m.onnx"))
    monkeypatch.setattr(rt, "nvidia_gpu_present", lambda: False)  # CUDA not tried: no preload
    rt.load_model(manifest)
    assert calls == []
    monkeypatch.setattr(rt, "nvidia_gpu_present", lambda: True)
    monkeypatch.setattr(rt, "available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    for _ in range(2):
        loaded = rt.load_model(manifest)
        assert loaded.provider in loaded.session.get_providers()
    assert calls == [1]
