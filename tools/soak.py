"""Memory soak: resident size while frames go through the engine, or while the whole app runs.

    python tools/soak.py --frames 10000            engine only: 1280x720 demo frames, RSS every 1000 frames
    python tools/soak.py --minutes 5               the whole GUI pipeline (offscreen), RSS every minute

A benchmark, not a test: it takes minutes. Pass: RSS grows by less than --limit-mb (50) after warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def soak_engine(frames: int, limit: float) -> int:
    from tryon_desktop.core.looks import default_catalogue
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.pipeline.capture import DemoSource
    from tryon_desktop.ui.bench import rss_mb

    src = DemoSource((1280, 720))
    src.open()
    shades = default_catalogue()
    eng = TryOnEngine(model="auto", max_faces=2, video=True)
    for i in range(200):  # warm-up: allocator pools, mediapipe graph, caches
        eng.process(src.read(), shades[i % len(shades)], timestamp=i / 30)
    base = rss_mb()
    t0 = time.perf_counter()
    print(f"soak: engine, {frames} frames 1280x720, shade changes every 30 frames; RSS after warm-up {base:.1f} MiB")
    for i in range(frames):
        eng.process(src.read(), shades[(i // 30) % len(shades)], timestamp=(200 + i) / 30)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1:6d} frames  {time.perf_counter() - t0:6.0f} s  RSS {rss_mb():7.1f} MiB "
                  f"({rss_mb() - base:+.1f})", flush=True)
    eng.close()
    growth = rss_mb() - base
    print(f"soak: RSS grew {growth:+.1f} MiB over {frames} frames (limit {limit:.0f}): {'PASS' if growth < limit else 'FAIL'}")
    return 0 if growth < limit else 1


def soak_gui(minutes: float, limit: float) -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from tryon_desktop.ui import qtenv  # noqa: F401

    import tempfile

    from PySide6.QtCore import QSettings

    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.bench import rss_mb
    from tryon_desktop.ui.main_window import MainWindow

    app = make_app()
    tmp = tempfile.mkdtemp(prefix="tryon-soak-")
    win = MainWindow(source="demo", settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat),
                     snapshot_dir=tmp, resolution=(1280, 720), cameras=[], lang="en")
    win.resize(1360, 860)
    win.show()

    def pump(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    pump(10)
    base = rss_mb()
    print(f"soak: whole app on the demo source for {minutes} min; RSS after 10 s warm-up {base:.1f} MiB")
    for m in range(int(minutes)):
        for _ in range(6):
            win.lipstick_panel.step_shade(1)
            pump(10)
        print(f"  {m + 1:3d} min  frames shown {win.stats.displayed:6d}  RSS {rss_mb():7.1f} MiB ({rss_mb() - base:+.1f})",
              flush=True)
    growth = rss_mb() - base
    win.close()
    print(f"soak: RSS grew {growth:+.1f} MiB (limit {limit:.0f}): {'PASS' if growth < limit else 'FAIL'}")
    sys.stdout.flush()
    os._exit(0 if growth < limit else 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--limit-mb", type=float, default=50.0)
    a = ap.parse_args()
    if a.minutes:
        return soak_gui(a.minutes, a.limit_mb)
    return soak_engine(a.frames or 10000, a.limit_mb)


if __name__ == "__main__":
    sys.exit(main())
