"""`tryon-desktop --self-test`: a headless check that the installed or frozen app really works.

Loads every model, runs the engine on the embedded demo photo, prints one JSON line (versions, providers
available and used, timings, result) and returns 0 when everything worked, 1 otherwise. No Qt window, no
camera, nothing written.
"""

from __future__ import annotations

import json
import platform
import sys
import time


def _versions() -> dict:
    import importlib.metadata as md

    from tryon_desktop import __version__

    out = {"tryon-desktop": __version__, "python": platform.python_version()}
    for dist, mod in (("numpy", "numpy"), ("opencv", "cv2"), ("mediapipe", "mediapipe"),
                      ("onnxruntime", "onnxruntime"), ("PySide6", "PySide6")):
        try:
            module = __import__(mod)
            out[dist] = getattr(module, "__version__", None) or md.version(dist)
        except Exception as exc:  # report, don't crash: a missing module is exactly what we look for
            out[dist] = f"missing: {type(exc).__name__}: {exc}"
    return out


def run_self_test() -> dict:
    report: dict = {"ok": False, "frozen": bool(getattr(sys, "frozen", False))}
    t0 = time.perf_counter()
    try:
        report["versions"] = _versions()
        from tryon_desktop.core.looks import default_catalogue, resolve_shade
        from tryon_desktop.core.media import demo_photo_path, read_image
        from tryon_desktop.engine import DEFAULT_LIPSTICK_MANIFEST, TryOnEngine
        from tryon_desktop.vision.onnx_runtime import available_providers

        report["providers_available"] = available_providers()
        report["shades"] = len(default_catalogue())
        from tryon_desktop.core.looks import Look, default_outfit_catalogue, resolve_outfit

        report["outfits"] = len(default_outfit_catalogue())
        image = read_image(demo_photo_path()).bgr
        t_load = time.perf_counter()
        # "auto" would quietly fall back to the reference renderer; the self-test must load the shipped
        # model itself when there is one, and fail if it cannot.
        model = DEFAULT_LIPSTICK_MANIFEST if DEFAULT_LIPSTICK_MANIFEST.exists() else None
        with TryOnEngine(model=model, video=False) as engine:
            report["load_ms"] = round((time.perf_counter() - t_load) * 1000, 1)
            report["renderer"] = engine.renderer_name
            report["provider_used"] = engine.provider
            report["model"] = (engine.lipstick.manifest.data.get("version") if hasattr(engine.lipstick, "manifest")
                               else None)
            report["notice"] = engine.notice
            report["effects"] = engine.describe()
            engine.process(image, resolve_shade("Classic Red"))  # warm
            res = engine.process(image, resolve_shade("Classic Red"))
            # outfit frames too (a catalogue colour and a catalogue pattern) on the demo photo's jacket, when
            # the garment mask model is installed
            outfit = None
            if engine.garment.segmenter is not None:
                outfit = {}
                for spec in ("Navy", "Gingham"):
                    both = Look(lipstick=resolve_shade("Classic Red"), outfit=resolve_outfit(spec))
                    engine.reset()
                    engine.process(image, both, garment_mask=True)
                    res_outfit = engine.process(image, both)
                    outfit[spec] = {"pixels_changed": int((res_outfit.frame != res.frame).any(axis=2).sum()),
                                    "status": res_outfit.status.get("outfit", "ok"),
                                    "timings_ms": {k: round(v, 2) for k, v in res_outfit.timings_ms.items()}}
            # which garment mask a photo got: the careful teacher's (where it agreed), or the live network's alone
            report["photo_mask"] = engine.garment.photo_source or "live"
            # whether the live mask's body fill has its person mask (the selfie model travels with the build)
            report["body_fill"] = engine.garment.body_fill_available()
        # a stream's face tracker: one face tracked by a one-face graph, a second looked for by the detector alone
        from tryon_desktop.vision.face_tracker import FaceTracker

        with FaceTracker(max_faces=2, video=True) as stream_tracker:
            report["face_probe"] = stream_tracker.probing
        changed = int((res.frame != image).any(axis=2).sum())
        report["timings_ms"] = {k: round(v, 2) for k, v in res.timings_ms.items()}
        report["result"] = {"faces": len(res.faces), "pixels_changed": changed, "outfit": outfit}
        report["ok"] = len(res.faces) == 1 and changed > 100 and (
            outfit is None or all(o["pixels_changed"] > 5000 for o in outfit.values()))
        if not report["ok"]:
            report["error"] = ("the engine did not make up the demo face" if changed <= 100 or len(res.faces) != 1
                               else "the outfit did not change the demo photo's jacket")
    except Exception as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["total_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return report


def main() -> int:
    report = run_self_test()
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
