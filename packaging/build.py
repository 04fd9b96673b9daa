"""Build the one-folder tryon-desktop app with PyInstaller, and on Linux the .tar.gz to hand out.

    python packaging/build.py            CPU build (onnxruntime's CUDA/TensorRT providers left out)
    python packaging/build.py --cuda     keep the CUDA/TensorRT provider libraries (+~270 MB; the user
                                         still needs CUDA and cuDNN installed)
    python packaging/build.py --no-archive   skip the .tar.gz

Outputs (outside git): packaging/dist/tryon-desktop/ (the app folder), on Linux also
packaging/dist/tryon-desktop-<version>-linux-<arch>.tar.gz. The last lines printed say where they are.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "tryon-desktop.spec"
DIST = HERE / "dist"
WORK = HERE / "build"
APP = "tryon-desktop"
ICONS = ROOT / "assets" / "icons"


def project_version() -> str:
    import re

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    m = re.search(r'(?ms)^\[project\].*?^version\s*=\s*"([^"]+)"', text)
    if not m:
        raise SystemExit("build: no version in pyproject.toml")
    return m.group(1)


def app_dir() -> Path:
    return DIST / APP


def executable() -> Path:
    if sys.platform == "win32":
        return app_dir() / f"{APP}.exe"
    if sys.platform == "darwin":
        return DIST / "Tryon Desktop.app" / "Contents" / "MacOS" / APP
    return app_dir() / APP


def tree_size(path: Path) -> int:
    """Bytes on disk as unpacked (each file once; symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def largest_parts(path: Path, n: int = 12) -> list[tuple[int, str]]:
    """The biggest files and top-level package folders inside the app's _internal folder."""
    internal = path / "_internal"
    base = internal if internal.is_dir() else path
    sizes: dict[str, int] = {}
    for root, _dirs, files in os.walk(base):
        for name in files:
            p = Path(root) / name
            if p.is_symlink():
                continue
            rel = p.relative_to(base)
            # Group by package folder, but show big single files (e.g. cv2.abi3.so) on their own.
            key = str(rel) if (len(rel.parts) == 1 or p.stat().st_size > 20_000_000) else rel.parts[0] + "/"
            sizes[key] = sizes.get(key, 0) + p.stat().st_size
    return sorted(((v, k) for k, v in sizes.items()), reverse=True)[:n]


def write_linux_extras(version: str) -> None:
    """Desktop entry template, icons and the install/uninstall scripts, at the top of the app folder."""
    dest = app_dir()
    for name in ("install.sh", "uninstall.sh"):
        shutil.copy2(HERE / "linux" / name, dest / name)
        (dest / name).chmod(0o755)
    shutil.copy2(HERE / "linux" / f"{APP}.desktop", dest / f"{APP}.desktop")
    for name in (f"{APP}.png", f"{APP}.svg"):
        shutil.copy2(ICONS / name, dest / name)
    (dest / "VERSION").write_text(version + "\n", encoding="utf-8")


def make_tarball(version: str) -> Path:
    arch = platform.machine().lower() or "unknown"
    top = f"{APP}-{version}"
    out = DIST / f"{top}-linux-{arch}.tar.gz"
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        tar.add(app_dir(), arcname=top)  # symlinks stay symlinks
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cuda", action="store_true", help="keep onnxruntime's CUDA/TensorRT provider libraries")
    ap.add_argument("--no-archive", action="store_true", help="do not make the Linux .tar.gz")
    ap.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first (slower)")
    args = ap.parse_args(argv)

    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print("build: PyInstaller is not installed here: pip install 'pyinstaller>=6,<7'", file=sys.stderr)
        return 2
    version = project_version()
    cmd = [sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(WORK)]
    if args.clean:
        cmd.append("--clean")
    if args.cuda:
        cmd += ["--", "--cuda"]
    print("build: " + " ".join(cmd), flush=True)
    t0 = time.monotonic()
    rc = subprocess.call(cmd, cwd=ROOT)
    if rc != 0:
        print(f"build: PyInstaller failed (exit {rc})", file=sys.stderr)
        return rc
    exe = executable()
    if not exe.is_file():
        print(f"build: PyInstaller finished but {exe} is missing", file=sys.stderr)
        return 1
    if sys.platform.startswith("linux"):
        write_linux_extras(version)
    built = time.monotonic() - t0

    size = tree_size(app_dir())
    print(f"\nbuild: tryon-desktop {version} ({'CUDA' if args.cuda else 'CPU'} build) in {built:.0f} s")
    print(f"build: unpacked size {size / 1e6:.0f} MB; largest parts:")
    for nbytes, name in largest_parts(app_dir()):
        print(f"  {nbytes / 1e6:7.1f} MB  {name}")
    if sys.platform.startswith("linux") and not args.no_archive:
        tarball = make_tarball(version)
        print(f"build: archive  {tarball} ({tarball.stat().st_size / 1e6:.0f} MB)")
    print(f"build: app folder {app_dir()}")
    print(f"build: executable {exe}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
