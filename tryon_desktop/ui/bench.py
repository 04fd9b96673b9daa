"""GUI pipeline benchmark (`tryon-desktop --bench`, or tools/bench_gui.py).

Drives the real app: the main window, its capture thread reading a 30 fps 1280x720 clip at real-time
pace, the engine worker, and the GUI timer that paints. After a warm-up it measures for N seconds and
prints displayed fps, dropped frames, capture-to-display latency (median, p95), how long the GUI
thread's handlers ran (max, p99), the longest gap between GUI timer ticks, and resident memory.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

DEV_CLIP = Path("/work/shared/data/video/dev/liveportrait_d0.mp4")
SIZE = (1280, 720)
FPS = 30.0


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc; elsewhere the peak from resource, or nan)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, AttributeError):
        try:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return peak / 2**20 if sys.platform == "darwin" else peak / 1024
        except Exception:
            return float("nan")


def _letterbox(frame: np.ndarray, size=SIZE) -> np.ndarray:
    w, h = size
    bg = cv2.GaussianBlur(cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA), (0, 0), 25)
    s = h / frame.shape[0]
    fg = cv2.resize(frame, (int(round(frame.shape[1] * s)), h), interpolation=cv2.INTER_CUBIC)
    x0 = (w - fg.shape[1]) // 2
    bg[:, x0:x0 + fg.shape[1]] = fg
    return bg


def make_bench_clip(out: Path, source: Path | None = DEV_CLIP, seconds: float = 6.0) -> tuple[Path, str]:
    """Write a 30 fps 1280x720 MP4: the dev clip (played forward then back, so the loop has no jump)
    when it exists, else the built-in demo photo with its synthetic motion. Returns (path, description)."""
    frames: list[np.ndarray] = []
    desc = ""
    if source is not None and Path(source).is_file():
        cap = cv2.VideoCapture(str(source))
        while True:
            ok, f = cap.read()
            if not ok:
                break
            frames.append(_letterbox(f))
        cap.release()
        frames = frames + frames[-2:0:-1]
        desc = f"{Path(source).name} letterboxed to 1280x720, re-timed to 30 fps, ping-pong loop"
    if not frames:
        from tryon_desktop.pipeline.capture import DemoSource

        demo = DemoSource(SIZE, FPS)
        demo.open()
        frames = [demo.read().copy() for _ in range(int(seconds * FPS))]
        desc = "built-in demo photo with synthetic motion, 1280x720 @ 30 fps"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    for f in frames:
        writer.write(f)
    writer.release()
    return out, desc


def run_bench(app, seconds: float = 20.0, clip: str | None = None, warmup: float = 3.0,
              window_size: tuple[int, int] = (1360, 860)) -> int:
    from PySide6.QtCore import QSettings

    from tryon_desktop.ui.hud import percentile
    from tryon_desktop.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="tryon-bench-"))
    if clip is None:
        clip_path, desc = make_bench_clip(tmp / "bench_1280x720_30fps.mp4")
    else:
        clip_path, desc = Path(clip), Path(clip).name
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(source=str(clip_path), settings=settings, snapshot_dir=str(tmp), lang="en")
    win.resize(*window_size)
    win.show()
    shade = next((s for s in win.catalogue if s.name == "Classic Red"), win.catalogue[0])
    win.lipstick_panel.set_shade(shade)

    def pump(until: float) -> None:
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.001)

    t_start = time.perf_counter()
    while win.stats.displayed == 0 and time.perf_counter() - t_start < 30.0:
        pump(time.perf_counter() + 0.05)
    pump(time.perf_counter() + warmup)

    p = win.pipeline
    cap0 = p.capture.frames if p.capture else 0
    shown0 = win.stats.displayed
    drop_in0, drop_out0 = p.frames.dropped, p.results.dropped
    errors0 = p.worker.errors
    win.meter.reset()
    win.tick_gap_max = 0.0
    win.stats.history = []
    rss0 = rss_mb()
    t0 = time.perf_counter()
    pump(t0 + seconds)
    t1 = time.perf_counter()
    captured = (p.capture.frames if p.capture else 0) - cap0
    shown = win.stats.displayed - shown0
    lat = win.stats.history or []
    stage = {k: win.stats.stage(k) for k in ("track", "align", "generate", "blend", "total")}
    src = p.capture.source if p.capture else None
    src_size = src.size if src is not None else "?"
    t_close = time.perf_counter()
    win.close()
    close_ms = (time.perf_counter() - t_close) * 1000.0
    dur = t1 - t0
    fps = shown / dur
    print("tryon-desktop GUI benchmark")
    print(f"  clip          : {desc}")
    print(f"  source        : {getattr(src, 'label', '?')} {src_size[0]}x{src_size[1]} at {getattr(src, 'fps', 0):.1f} fps; "
          f"window {window_size[0]}x{window_size[1]}, platform {app.platformName()}, {os.cpu_count()} CPUs")
    print(f"  engine        : {win.stats.renderer or '?'} on {win.stats.provider or '?'}")
    print(f"  measured      : {dur:.1f} s after {warmup:.0f} s warm-up")
    print(f"  captured      : {captured} frames ({captured / dur:.1f} fps)")
    print(f"  displayed     : {shown} frames = {fps:.1f} fps")
    print(f"  dropped       : {captured - shown} ({(captured - shown) / max(1, captured):.1%}); "
          f"at worker input {p.frames.dropped - drop_in0}, at display {p.results.dropped - drop_out0}; "
          f"engine errors {p.worker.errors - errors0}")
    print(f"  latency       : median {percentile(lat, 50):.1f} ms, p95 {percentile(lat, 95):.1f} ms, "
          f"max {max(lat) if lat else math.nan:.1f} ms (capture -> painted)")
    print("  engine stages : " + ", ".join(f"{k} {v:.1f}" for k, v in stage.items()) + " ms (mean, last 30)")
    print(f"  GUI thread    : handler max {win.meter.max():.1f} ms ({win.meter.worst_name}), "
          f"p99 {win.meter.p99():.1f} ms over {len(win.meter.samples)} calls; longest tick gap {win.tick_gap_max:.1f} ms")
    print(f"  RSS           : {rss0:.0f} MiB at start of measure, {rss_mb():.0f} MiB at end")
    print(f"  close         : {close_ms:.0f} ms to stop and join every thread")
    goal = fps >= 25.0 and percentile(lat, 95) <= 70.0
    print(f"  goal (>=25 fps shown, p95 <= 70 ms): {'met' if goal else 'NOT met'}")
    return 0
