"""PyInstaller runtime hook: a build without onnxruntime's CUDA provider library runs on the CPU, quietly.

onnxruntime-gpu reports CUDAExecutionProvider as available whether or not its provider library is on
disk; the engine would then try CUDA on any machine with an NVIDIA driver, fail to load the library and
tell the user to install CUDA, which would not help. A user's own TRYON_PROVIDERS still wins.
"""

import os
import sys


def _cuda_provider_bundled() -> bool:
    capi = os.path.join(getattr(sys, "_MEIPASS", ""), "onnxruntime", "capi")
    try:
        return any("onnxruntime_providers_cuda" in name for name in os.listdir(capi))
    except OSError:
        return False


if not _cuda_provider_bundled():
    os.environ.setdefault("TRYON_PROVIDERS", "CPUExecutionProvider")
