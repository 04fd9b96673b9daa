"""One place that decides where ONNX models run, and a manifest check before any model loads.

Provider order: CUDA > DirectML > CoreML > CPU, overridable with `providers=` or the environment
variable TRYON_PROVIDERS (comma-separated, e.g. "CPUExecutionProvider"). The provider really in use
is read back from the session (`session.get_providers()`), never assumed: onnxruntime-gpu lists
CUDAExecutionProvider even on machines with no GPU and then quietly runs on the CPU.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tryon_desktop.errors import ModelError, read_json

log = logging.getLogger(__name__)

PREFERRED = ("CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider", "CPUExecutionProvider")
SHORT_NAMES = {"CUDAExecutionProvider": "CUDA", "DmlExecutionProvider": "DirectML",
               "CoreMLExecutionProvider": "CoreML", "CPUExecutionProvider": "CPU",
               "TensorrtExecutionProvider": "TensorRT"}
CUDA_HELP = ("to use the GPU, install the CUDA and cuDNN libraries this onnxruntime-gpu needs: pip install 'onnxruntime-gpu[cuda,cudnn]' "
             "(or a matching CUDA + cuDNN), then restart")


def available_providers() -> list[str]:
    import onnxruntime as ort

    return list(ort.get_available_providers())


def nvidia_gpu_present() -> bool:
    """A cheap, quiet check for an NVIDIA driver, so we skip the noisy CUDA attempt without one."""
    if sys.platform.startswith("linux"):
        return os.path.exists("/dev/nvidiactl") or os.path.exists("/proc/driver/nvidia/version")
    if sys.platform == "win32":
        return ctypes.util.find_library("nvcuda") is not None
    return False


@dataclass
class ProviderPlan:
    requested: list[str]
    skipped: dict[str, str] = field(default_factory=dict)  # provider -> why it was not tried


def plan_providers(providers: list[str] | None = None, available: list[str] | None = None) -> ProviderPlan:
    """The ordered providers to try, and the ones skipped with the reason."""
    available = available if available is not None else available_providers()
    env = os.environ.get("TRYON_PROVIDERS", "").strip()
    if providers is None and env:
        providers = [p.strip() for p in env.split(",") if p.strip()]
    plan = ProviderPlan(requested=[])
    wanted = list(providers) if providers else list(PREFERRED)
    for name in wanted:
        if name not in available:
            if providers:  # the user asked for it by name: say so
                plan.skipped[name] = "not available in this onnxruntime build"
            continue
        if name == "CUDAExecutionProvider" and not nvidia_gpu_present():
            plan.skipped[name] = "no NVIDIA GPU driver found"
            continue
        plan.requested.append(name)
    if "CPUExecutionProvider" not in plan.requested:
        plan.requested.append("CPUExecutionProvider")
    return plan


_CUDA_LIBS_PRELOADED = False


def preload_cuda_libraries() -> None:
    """onnxruntime-gpu 1.21+ finds the CUDA and cuDNN libraries installed as pip packages (its own [cuda,cudnn]
    extras, or the ones PyTorch brought) only once `onnxruntime.preload_dlls()` has loaded them; without it
    the CUDA provider fails to load and the model quietly runs on the CPU. Called once, and only when CUDA is
    about to be tried; libraries found on the system's own paths load either way."""
    global _CUDA_LIBS_PRELOADED
    if _CUDA_LIBS_PRELOADED:
        return
    _CUDA_LIBS_PRELOADED = True
    import onnxruntime as ort

    preload = getattr(ort, "preload_dlls", None)
    if preload is None:
        return
    try:
        preload()
    except Exception as exc:  # a missing or broken library: the session below says which provider it got
        log.info("onnxruntime.preload_dlls failed: %s", exc)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class ModelManifest:
    """What a shipped model claims to be; read from `<model>.json` beside the `.onnx` file."""

    path: Path  # the manifest file
    data: dict

    @property
    def model_path(self) -> Path:
        return self.path.parent / self.data["file"]

    @property
    def sha256(self) -> str:
        return self.data["sha256"]

    @property
    def version(self) -> str:
        return str(self.data.get("version", "?"))

    @property
    def inputs(self) -> dict:
        return self.data.get("inputs", {})

    @classmethod
    def load(cls, path: str | Path) -> ModelManifest:
        p = Path(path)
        data = read_json(p, ModelError, "model manifest")
        if not isinstance(data, dict):
            raise ModelError(f"model manifest {p.name} must be a JSON object")
        for key in ("file", "sha256", "inputs", "outputs"):
            if key not in data:
                raise ModelError(f"model manifest {p.name} lacks '{key}'")
        return cls(path=p, data=data)

    def verify(self) -> Path:
        """Check the model file exists and matches its hash; returns its path."""
        mp = self.model_path
        if not mp.is_file():
            raise ModelError(f"model file missing: {mp} (named by {self.path.name})")
        digest = sha256_file(mp)
        if digest != self.sha256:
            raise ModelError(f"model file {mp.name} is corrupt or altered: sha256 {digest[:12]}... "
                             f"does not match its manifest ({self.sha256[:12]}...)")
        return mp


@dataclass
class LoadedModel:
    session: object  # onnxruntime.InferenceSession
    manifest: ModelManifest
    provider: str  # the provider really running the model
    plan: ProviderPlan
    notice: str | None  # a user-facing line when we are not on the provider asked for


def load_model(manifest_path: str | Path, providers: list[str] | None = None, threads: int | None = None) -> LoadedModel:
    """Verify a model against its manifest and open a latency-tuned session on the best provider."""
    import onnxruntime as ort

    manifest = ModelManifest.load(manifest_path)
    model_path = manifest.verify()
    plan = plan_providers(providers)
    if "CUDAExecutionProvider" in plan.requested:
        preload_cuda_libraries()
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Small models, one frame at a time: few threads avoid the spin-up cost that dominates latency.
    so.intra_op_num_threads = threads if threads is not None else min(2, os.cpu_count() or 1)
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(model_path), sess_options=so, providers=plan.requested)
    except Exception as exc:  # onnxruntime raises its own exception types for corrupt graphs
        raise ModelError(f"model {model_path.name} could not be loaded: {str(exc).splitlines()[0]}") from None
    used = session.get_providers()
    provider = used[0] if used else "CPUExecutionProvider"
    notice = None
    if plan.requested[0] != provider:
        notice = (f"{SHORT_NAMES.get(plan.requested[0], plan.requested[0])} was requested but the model runs on "
                  f"{SHORT_NAMES.get(provider, provider)}")
        if plan.requested[0] == "CUDAExecutionProvider":
            notice += f"; {CUDA_HELP}"
        log.warning(notice)
    elif "CUDAExecutionProvider" in plan.skipped and provider == "CPUExecutionProvider":
        log.info("CUDA provider skipped: %s", plan.skipped["CUDAExecutionProvider"])
    return LoadedModel(session=session, manifest=manifest, provider=provider, plan=plan, notice=notice)
