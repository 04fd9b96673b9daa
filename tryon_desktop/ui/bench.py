"""GUI pipeline benchmark (`tryon-desktop --bench`, or tools/bench_gui.py, which also takes the look).

Drives the real app: the main window, its capture thread reading a 30 fps 1280x720 clip at real-time
pace, the engine worker, and the GUI timer that paints. After a warm-up it measures for N seconds and
prints displayed fps, dropped frames, capture-to-display latency (median, p95), how far behind the newest
captured frame each painted one was (a backlog would show here), the engine's stages per effect (medians
over the frames shown), how long the GUI thread's handlers ran (max, p99), the longest gap between GUI
timer ticks, and resident memory.
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

DEV_CLIP = Path("/work/shared/data/video/dev/liveportrait_d0.mp4")  # a face close-up: the lipstick's clip
BODY_CLIP = Path("/work/shared/data/video/train/latentsync_demo1.mp4")  # a woman in a coat: the outfit's clip
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


def make_bench_clip(out: Path, source: Path | None = DEV_CLIP, seconds: float = 6.0,
                    max_frames: int = 300) -> tuple[Path, str]:
    """Write a 30 fps 1280x720 MP4: a clip (its first `max_frames` frames, played forward then back, so the
    loop has no jump; fitted whole into the frame) when it exists, else the built-in demo photo with its
    synthetic motion. Returns (path, description). The frames wait JPEG-compressed, not as 2.7 MB arrays.
    A portrait clip keeps its upper square (a webcam's framing, `cli.fit_frame`)."""
    from tryon_desktop.cli import fit_frame

    encoded: list[np.ndarray] = []
    desc = ""
    if source is not None and Path(source).is_file():
        cap = cv2.VideoCapture(str(source))
        while len(encoded) < max_frames:
            ok, f = cap.read()
            if not ok:
                break
            encoded.append(cv2.imencode(".jpg", fit_frame(f, *SIZE), [cv2.IMWRITE_JPEG_QUALITY, 95])[1])
        cap.release()
        encoded = encoded + encoded[-2:0:-1]
        desc = f"{Path(source).name} fitted to 1280x720, re-timed to 30 fps, ping-pong loop"
    if not encoded:
        from tryon_desktop.pipeline.capture import DemoSource

        demo = DemoSource(SIZE, FPS)
        demo.open()
        encoded = [cv2.imencode(".jpg", demo.read(), [cv2.IMWRITE_JPEG_QUALITY, 95])[1]
                   for _ in range(int(seconds * FPS))]
        desc = "built-in demo photo with synthetic motion, 1280x720 @ 30 fps"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    for data in encoded:
        writer.write(cv2.imdecode(data, cv2.IMREAD_COLOR))
    writer.release()
    return out, desc


def default_source(look) -> Path:
    """The clip a look is benchmarked on: a person in clothes when an outfit is worn, else a face."""
    return BODY_CLIP if getattr(look, "outfit", None) is not None else DEV_CLIP


def look_text(look) -> str:
    parts = []
    if look.lipstick is not None:
        parts.append(f"lipstick {look.lipstick.name}")
    if look.outfit is not None:
        sw = look.outfit
        parts.append(f"outfit {sw.name}" + (f" ({sw.pattern}, scale {sw.scale:g})" if sw.is_pattern else f" {sw.hex}"))
    return ", ".join(parts) or "bare"


def wear(win, look) -> None:
    """Put `look` on in the window, as a user's choices in its panels would."""
    win.lipstick_panel.set_shade(look.lipstick, emit=False)
    win._set_look(look)


def run_bench(app, seconds: float = 20.0, clip: str | None = None, warmup: float = 3.0,
              window_size: tuple[int, int] = (1360, 860), look=None, source: str | Path | None = None) -> int:
    """look: what to wear (a core.looks.Look; default the Classic Red lipstick alone); source: the video
    the 30 fps 1280x720 clip is made from (default: a face close-up, or a person in clothes when the look
    has an outfit); clip: a ready clip, played as it is."""
    from PySide6.QtCore import QSettings

    from tryon_desktop.core.looks import Look
    from tryon_desktop.ui.hud import percentile
    from tryon_desktop.ui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="tryon-bench-"))
    if clip is None:
        src_video = Path(source) if source is not None else default_source(look)
        clip_path, desc = make_bench_clip(tmp / "bench_1280x720_30fps.mp4", src_video)
    else:
        clip_path, desc = Path(clip), Path(clip).name
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(source=str(clip_path), settings=settings, snapshot_dir=str(tmp), lang="en")
    win.resize(*window_size)
    win.show()
    if look is None:
        look = Look(lipstick=next((s for s in win.catalogue if s.name == "Classic Red"), win.catalogue[0]))
    wear(win, look)

    # every painted frame: how many frames were captured after it (0: the newest is on screen; a backlog
    # would grow here), its engine timings and its per-effect status
    painted: list[tuple[int, dict, dict, bool]] = []
    measuring = [False]
    set_result = win.preview.set_result

    def spy(result) -> None:
        if measuring[0]:
            cap = win.pipeline.capture
            behind = (cap.frames - 1 - result.index) if cap is not None else 0
            painted.append((behind, dict(result.timings_ms), dict(result.status), not result.no_face))
        set_result(result)

    win.preview.set_result = spy

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
    measuring[0] = True
    t0 = time.perf_counter()
    pump(t0 + seconds)
    t1 = time.perf_counter()
    measuring[0] = False
    captured = (p.capture.frames if p.capture else 0) - cap0
    shown = win.stats.displayed - shown0
    lat = win.stats.history or []
    behind = [b for b, _, _, _ in painted]
    keys = ["track", "garment", *(f"{kind}.{s}" for kind in ("outfit", "lipstick") for s in ("align", "generate", "blend")),
            "total"]
    stage = {k: float(np.median(v)) for k in keys
             if (v := [t[k] for _, t, _, _ in painted if k in t])}
    statuses: dict[str, int] = {}
    for _, _, st, _ in painted:
        if "outfit" in st:
            statuses[st["outfit"]] = statuses.get(st["outfit"], 0) + 1
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
    print(f"  look          : {look_text(look)}")
    print(f"  engine        : {win.stats.renderer or '?'} on {win.stats.provider or '?'}")
    print(f"  measured      : {dur:.1f} s after {warmup:.0f} s warm-up")
    print(f"  captured      : {captured} frames ({captured / dur:.1f} fps)")
    print(f"  displayed     : {shown} frames = {fps:.1f} fps")
    print(f"  dropped       : {captured - shown} ({(captured - shown) / max(1, captured):.1%}); "
          f"at worker input {p.frames.dropped - drop_in0}, at display {p.results.dropped - drop_out0}; "
          f"engine errors {p.worker.errors - errors0}")
    print(f"  latency       : median {percentile(lat, 50):.1f} ms, p95 {percentile(lat, 95):.1f} ms, "
          f"max {max(lat) if lat else math.nan:.1f} ms (capture -> painted)")
    print(f"  behind        : frames captured after the one painted: median {percentile(behind, 50):.0f}, "
          f"p95 {percentile(behind, 95):.0f}, max {max(behind) if behind else math.nan:.0f} (none queue: each "
          f"hand-over keeps only the newest frame, dropping the rest)")
    print("  engine stages : " + ", ".join(f"{k} {v:.2f}" for k, v in stage.items())
          + f" ms (median over {len(painted)} frames shown)")
    faces = sum(1 for p in painted if p[3])
    found = f"face in {faces}"
    if look.outfit is not None:
        found += f", garment in {len(painted) - sum(statuses.values())}"
    print(f"  found         : {found} of {len(painted)} frames shown"
          + "".join(f"; outfit: {msg} in {n}" for msg, n in statuses.items()))
    print(f"  GUI thread    : handler max {win.meter.max():.1f} ms ({win.meter.worst_name}), "
          f"p99 {win.meter.p99():.1f} ms over {len(win.meter.samples)} calls; longest tick gap {win.tick_gap_max:.1f} ms")
    print(f"  RSS           : {rss0:.0f} MiB at start of measure, {rss_mb():.0f} MiB at end")
    print(f"  close         : {close_ms:.0f} ms to stop and join every thread")
    # Nothing can queue (each hand-over keeps one frame, the newest); a backlog would show as the frames
    # painted being typically more than one frame old.
    goal = fps >= 25.0 and percentile(lat, 95) <= 70.0 and percentile(behind, 50) <= 1
    print(f"  goal (>=25 fps shown, p95 <= 70 ms, no backlog: median behind <= 1): {'met' if goal else 'NOT met'}")
    return 0
