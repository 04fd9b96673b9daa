"""Cold start of the frozen app: seconds from launching it to the first camera/demo frame on screen.

    DISPLAY=:98 python packaging/measure_startup.py [--runs 3] [--exe PATH] [--screenshot shot.png] [--json]

Needs a real X display (e.g. `Xvfb :98 -screen 0 1600x1000x24 &`). The app prints nothing when its first
frame is painted, so this watches the screen from outside: it launches the program with `--source demo`,
grabs the whole screen every ~30 ms (Qt's QScreen.grabWindow, in this process) and stops the clock at the
first grab in which a photo is visible. "A photo is visible" = at least PHOTO_COLOURS distinct colours
(4 bits per channel) on the screen: the app's own chrome (dark background, text, 28 swatches) stays far
below that before the first frame and the demo portrait brings it far above (numbers printed with
--verbose). The figure includes the poll interval (±30 ms) and this script's own CPU use on the machine.
Each run uses a fresh XDG_CONFIG_HOME, so no saved setting changes what it opens.

Exit status: 0 when every run showed a frame within --timeout seconds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHOTO_COLOURS = 500  # distinct 12-bit colours on screen that mean "a photo is shown" (chrome ~250, demo ~900)
POLL_S = 0.03


def default_exe() -> Path:
    base = HERE / "dist" / "tryon-desktop"
    if sys.platform == "win32":
        return base / "tryon-desktop.exe"
    if sys.platform == "darwin":
        return HERE / "dist" / "Tryon Desktop.app" / "Contents" / "MacOS" / "tryon-desktop"
    return base / "tryon-desktop"


class ScreenWatcher:
    def __init__(self) -> None:
        os.environ.pop("QT_QPA_PLATFORM", None)  # the watcher must see the real display
        from PySide6.QtGui import QGuiApplication

        self.app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
        self.screen = self.app.primaryScreen()

    def grab(self):
        return self.screen.grabWindow(0)

    @staticmethod
    def colours(pixmap) -> tuple[int, int]:
        """(distinct 12-bit colours, non-black pixels) over every second pixel of the grab."""
        import numpy as np
        from PySide6.QtGui import QImage

        img = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB32)
        w, h = img.width(), img.height()
        arr = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h).reshape(h, -1)
        px = arr[::2, : w * 4].reshape(-1, 4)[::2, :3]
        q = (px[:, 0] >> 4).astype(np.int32) | ((px[:, 1] >> 4).astype(np.int32) << 4) | \
            ((px[:, 2] >> 4).astype(np.int32) << 8)
        distinct = int(np.count_nonzero(np.bincount(q, minlength=4096)))
        lit = int(np.count_nonzero(px.max(axis=1) > 8))
        return distinct, lit


def measure_once(watcher: ScreenWatcher, exe: Path, timeout: float, screenshot: Path | None,
                 verbose: bool, extra_args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="tryon-startup-") as tmp:
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = tmp
        env.pop("QT_QPA_PLATFORM", None)
        log_path = Path(tmp) / "app.log"
        with open(log_path, "wb") as log:
            t0 = time.perf_counter()
            proc = subprocess.Popen([str(exe), "--source", "demo", *extra_args], stdout=log,
                                    stderr=subprocess.STDOUT, env=env)
            t_window = t_frame = None
            trace = []
            try:
                while time.perf_counter() - t0 < timeout:
                    if proc.poll() is not None:
                        break
                    shot = watcher.grab()
                    t = time.perf_counter() - t0
                    distinct, lit = watcher.colours(shot)
                    trace.append((round(t, 3), distinct))
                    if t_window is None and lit > 10_000:
                        t_window = t
                    if distinct >= PHOTO_COLOURS:
                        t_frame = t
                        if screenshot is not None:
                            time.sleep(1.0)  # let the HUD settle before the picture is kept
                            watcher.grab().save(str(screenshot), "PNG")
                        break
                    time.sleep(POLL_S)
            finally:
                still_running = proc.poll() is None
                if still_running:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
        output = log_path.read_text(errors="replace")
    result = {"window_s": None if t_window is None else round(t_window, 2),
              "first_frame_s": None if t_frame is None else round(t_frame, 2),
              "exit_code_before_frame": None if still_running else proc.returncode}
    if verbose:
        result["trace"] = trace
        result["output"] = output[-3000:]
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exe", type=Path, default=default_exe(), help="the frozen program (default: packaging/dist)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the first frame")
    ap.add_argument("--screenshot", type=Path, help="save the screen (PNG) 1 s after the first frame of run 1")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    ap.add_argument("--verbose", action="store_true", help="include the colour trace and the app's output")
    ap.add_argument("app_args", nargs="*", help="more arguments for the app (after --)")
    args = ap.parse_args(argv)

    if not args.exe.is_file():
        print(f"measure_startup: no build at {args.exe}: run python packaging/build.py first", file=sys.stderr)
        return 2
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        print("measure_startup: needs a real X display (DISPLAY), e.g. Xvfb :98 & export DISPLAY=:98",
              file=sys.stderr)
        return 2
    watcher = ScreenWatcher()
    runs = [measure_once(watcher, args.exe, args.timeout, args.screenshot if i == 0 else None, args.verbose,
                         args.app_args) for i in range(args.runs)]
    frames = [r["first_frame_s"] for r in runs if r["first_frame_s"] is not None]
    summary = {"exe": str(args.exe), "runs": runs,
               "first_frame_median_s": round(statistics.median(frames), 2) if frames else None,
               "first_frame_max_s": max(frames) if frames else None, "all_shown": len(frames) == len(runs)}
    if args.json:
        print(json.dumps(summary))
    else:
        for i, r in enumerate(runs, 1):
            print(f"run {i}: window {r['window_s']} s, first frame {r['first_frame_s']} s"
                  + (f" (app exited {r['exit_code_before_frame']})" if r["exit_code_before_frame"] is not None
                     else ""))
            if args.verbose:
                print("  trace (s, colours):", r["trace"][-12:])
                print("  output:", r["output"])
        print(f"cold start to first frame: median {summary['first_frame_median_s']} s, "
              f"max {summary['first_frame_max_s']} s over {len(runs)} runs")
    return 0 if summary["all_shown"] else 1


if __name__ == "__main__":
    sys.exit(main())
