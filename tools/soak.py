"""Memory soak: resident size while frames go through the engine, or while the whole app runs.

    python tools/soak.py --frames 10000            engine only: 1280x720 demo frames, RSS every 1000 frames
    python tools/soak.py --minutes 5               the whole GUI pipeline (offscreen), RSS every minute
    python tools/soak.py --minutes 10 --shade "Classic Red" --outfit Navy     both effects, on a clip of a
                                                   person in a coat (30 fps 1280x720, tools/bench_gui.py's)

The look: --shade (a lipstick, or none) and --outfit with its pattern options, as tryon-render takes them;
the lipstick steps through the catalogue (every 30 frames / every 10 s) unless --shade none, and
--cycle-outfits steps the outfit through its catalogue too (every 30 frames / every minute). The GUI soak
plays --source (a video, made into a 30 fps 1280x720 clip) or, by default, the demo source for a lipstick
alone and the clip of a person in a coat when an outfit is worn. Bad look values: one line and exit 2.

A benchmark, not a test: it takes minutes. Pass: RSS grows by less than --limit-mb (50) after warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # this tree's package, not another checkout's that is installed (editable)
    sys.path.insert(0, str(ROOT))


class LookCycle:
    """The look for step i: the lipstick stepping through the catalogue (unless none is worn), the outfit
    fixed or, with `cycle_outfits`, stepping through its catalogue."""

    def __init__(self, look, cycle_outfits: bool = False) -> None:
        from tryon_desktop.core.looks import default_catalogue, default_outfit_catalogue

        self.look = look
        self.shades = default_catalogue()
        self.outfits = default_outfit_catalogue() if cycle_outfits else None

    def lipstick(self, i: int):
        return None if self.look.lipstick is None else self.shades[i % len(self.shades)]

    def outfit(self, i: int):
        return self.look.outfit if self.outfits is None else self.outfits[i % len(self.outfits)]

    def __call__(self, i: int):
        return self.look.with_(lipstick=self.lipstick(i), outfit=self.outfit(i))


def soak_engine(frames: int, limit: float, look, cycle_outfits: bool = False) -> int:
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.pipeline.capture import DemoSource
    from tryon_desktop.ui.bench import look_text, rss_mb

    src = DemoSource((1280, 720))
    src.open()
    looks = LookCycle(look, cycle_outfits)
    eng = TryOnEngine(model="auto", max_faces=2, video=True)
    for i in range(200):  # warm-up: allocator pools, mediapipe graph, caches
        eng.process(src.read(), looks(i // 30), timestamp=i / 30)
    base = rss_mb()
    t0 = time.perf_counter()
    print(f"soak: engine, {frames} frames 1280x720 (demo photo, moving), {look_text(looks.look)}, the look "
          f"changing every 30 frames; RSS after warm-up {base:.1f} MiB")
    for i in range(frames):
        eng.process(src.read(), looks(i // 30), timestamp=(200 + i) / 30)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1:6d} frames  {time.perf_counter() - t0:6.0f} s  RSS {rss_mb():7.1f} MiB "
                  f"({rss_mb() - base:+.1f})", flush=True)
    eng.close()
    growth = rss_mb() - base
    print(f"soak: RSS grew {growth:+.1f} MiB over {frames} frames (limit {limit:.0f}): {'PASS' if growth < limit else 'FAIL'}")
    return 0 if growth < limit else 1


def soak_gui(minutes: float, limit: float, look=None, source: str | None = None, cycle_outfits: bool = False) -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from tryon_desktop.ui import qtenv  # noqa: F401

    import tempfile

    from PySide6.QtCore import QSettings

    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.bench import default_source, look_text, make_bench_clip, rss_mb, wear
    from tryon_desktop.ui.main_window import MainWindow

    app = make_app()
    tmp = tempfile.mkdtemp(prefix="tryon-soak-")
    spec, desc = "demo", "the demo source (1280x720)"
    if source is not None or (look is not None and look.outfit is not None):
        video = Path(source) if source is not None else default_source(look)
        clip, desc = make_bench_clip(Path(tmp) / "soak_1280x720_30fps.mp4", video)
        spec = str(clip)
    win = MainWindow(source=spec, settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat),
                     snapshot_dir=tmp, resolution=(1280, 720), cameras=[], lang="en")
    win.resize(1360, 860)
    win.show()
    if look is not None:
        wear(win, look)
    cycle = LookCycle(win.look, cycle_outfits)

    def pump(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    pump(10)
    base = rss_mb()
    print(f"soak: whole app on {desc} for {minutes} min, {look_text(win.look)}; RSS after 10 s warm-up "
          f"{base:.1f} MiB")
    shown0, t0 = win.stats.displayed, time.perf_counter()
    for m in range(int(minutes)):
        if cycle.outfits is not None:
            wear(win, win.look.with_(outfit=cycle.outfit(m + 1)))
        for _ in range(6):
            if win.look.lipstick is not None:
                win.lipstick_panel.step_shade(1)
            pump(10)
        now = time.perf_counter()
        fps = (win.stats.displayed - shown0) / (now - t0)
        shown0, t0 = win.stats.displayed, now
        print(f"  {m + 1:3d} min  frames shown {win.stats.displayed:6d} ({fps:4.1f} fps)  RSS {rss_mb():7.1f} MiB "
              f"({rss_mb() - base:+.1f})", flush=True)
    growth = rss_mb() - base
    win.close()
    print(f"soak: RSS grew {growth:+.1f} MiB (limit {limit:.0f}): {'PASS' if growth < limit else 'FAIL'}")
    sys.stdout.flush()
    os._exit(0 if growth < limit else 1)


def main(argv=None) -> int:
    from tryon_desktop.cli import BAD_VALUE, BadValue, add_outfit_options, look_from_args

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=0)
    ap.add_argument("--limit-mb", type=float, default=50.0)
    ap.add_argument("--shade", default="Classic Red", help="lipstick: catalogue name, #RRGGBB or none")
    add_outfit_options(ap)
    ap.add_argument("--cycle-outfits", action="store_true", help="step the outfit through its catalogue too")
    ap.add_argument("--source", help="GUI soak: the video to play (made into a 30 fps 1280x720 clip)")
    a = ap.parse_args(argv)
    try:
        look = look_from_args(a)
    except BadValue as exc:
        print(f"soak: error: {exc}", file=sys.stderr)
        return BAD_VALUE
    if look.is_bare:
        print("soak: error: --shade none and no outfit: nothing to wear", file=sys.stderr)
        return BAD_VALUE
    if a.minutes:
        return soak_gui(a.minutes, a.limit_mb, look, a.source, a.cycle_outfits)
    return soak_engine(a.frames or 10000, a.limit_mb, look, a.cycle_outfits)


if __name__ == "__main__":
    sys.exit(main())
