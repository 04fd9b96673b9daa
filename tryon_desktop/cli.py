"""Command-line front ends: tryon-render (images and videos) and tryon-bench (the speed benchmark).

Every user-facing failure is one line on stderr and a non-zero exit, never a traceback
(run with --debug to see one).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tryon_desktop import __version__
from tryon_desktop.errors import InputError, TryOnError

log = logging.getLogger("tryon_desktop")


def _run_guarded(prog: str, fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format=f"{prog}: %(levelname)s: %(message)s")
    try:
        return fn(args)
    except TryOnError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; no output was written", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{prog}: error: out of memory (try a smaller input)", file=sys.stderr)
        return 1
    except Exception as exc:  # the promise: no traceback for the user unless asked
        if args.debug:
            raise
        print(f"{prog}: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 1


class Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal, or when forced)."""

    def __init__(self, total: int, label: str, enabled: bool | None = None) -> None:
        self.total, self.label, self.n = max(total, 0), label, 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._t0 = time.perf_counter()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or self.n == self.total):
            self._last = now
            rate = self.n / max(now - self._t0, 1e-9)
            if self.total:
                frac = min(self.n / self.total, 1.0)
                bar = "#" * int(frac * 30)
                sys.stderr.write(f"\r{self.label} [{bar:<30}] {self.n}/{self.total} {rate:5.1f} fps")
            else:
                sys.stderr.write(f"\r{self.label} {self.n} frames {rate:5.1f} fps")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# ---------------------------------------------------------------- tryon-render

def _side_by_side(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    import cv2

    gap = max(4, before.shape[1] // 160)
    sep = np.full((before.shape[0], gap, 3), 255, np.uint8)
    out = np.hstack([before, sep, after])
    scale = max(0.5, before.shape[0] / 600)
    for text, x in (("before", 10), ("after", before.shape[1] + gap + 10)):
        org = (int(x * 1), int(30 * scale))
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, (0, 0, 0), int(4 * scale) + 1, cv2.LINE_AA)
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, (255, 255, 255), max(1, int(2 * scale)),
                    cv2.LINE_AA)
    return out


def _make_engine(args, video: bool):
    from tryon_desktop.engine import TryOnEngine

    model = None if args.model == "none" else args.model
    garment = None if getattr(args, "garment_model", "auto") == "none" else getattr(args, "garment_model", "auto")
    outfit = None if getattr(args, "outfit_model", "auto") == "none" else getattr(args, "outfit_model", "auto")
    return TryOnEngine(model=model, max_faces=args.max_faces, video=video, garment_model=garment, outfit_model=outfit)


def _look_from_args(args):
    from tryon_desktop.core.looks import Look, resolve_outfit, resolve_shade

    lipstick = None
    if str(args.shade).strip().lower() != "none":
        lipstick = resolve_shade(args.shade, finish=args.finish, opacity=args.opacity)
    outfit = resolve_outfit(args.outfit, strength=args.outfit_strength) if args.outfit else None
    return Look(lipstick=lipstick, outfit=outfit)


def _found_something(res, look) -> bool:
    """Whether any effect the look asks for found what it changes (a face, a garment)."""
    lip_ok = look.lipstick is not None and not res.no_face
    outfit_ok = look.outfit is not None and "outfit" not in res.status
    return lip_ok or outfit_ok or look.is_bare


def _render(args: argparse.Namespace) -> int:
    from tryon_desktop.core.looks import default_catalogue
    from tryon_desktop.core.media import (AtomicVideoWriter, check_output_path, demo_photo_path, kind_of,
                                          open_video, read_image, write_image)

    if args.list_shades:
        for s in default_catalogue():
            print(f"{s.name:<18} {s.hex}  {s.family:<8} {s.finish.value:<8} {s.opacity:.2f}")
        return 0
    if args.output is None:
        raise InputError("no output given: add -o OUTPUT (for example -o before_after.png)")
    shade = _look_from_args(args)
    src = Path(args.input) if args.input else demo_photo_path()
    kind = kind_of(src)
    out = check_output_path(args.output, [src])
    out_kind = kind_of(out)
    if out_kind != kind:
        raise InputError(f"input is {'an' if kind == 'image' else 'a'} {kind} but output {out.name} is "
                         f"{'an' if out_kind == 'image' else 'a'} {out_kind}: use a matching extension")

    if kind == "image":
        image = read_image(src)
        if image.note:
            print(f"tryon-render: note: {image.note}", file=sys.stderr)
        with _make_engine(args, video=False) as engine:
            res = engine.process(image.bgr, shade, show_mask=args.show_mask)
        after = res.frame
        result = _side_by_side(image.bgr, after) if args.compare else after
        alpha = None if args.compare or image.alpha is None else image.alpha
        write_image(out, result, alpha)
        _report(res, out, engine, shade)
        return 0 if _found_something(res, shade) or args.allow_no_face else 3

    cap, info = open_video(src)
    writer = None
    faces_seen = frames = 0
    stats = []
    try:
        with _make_engine(args, video=True) as engine:
            w = info.width * 2 + max(4, info.width // 160) if args.compare else info.width
            writer = AtomicVideoWriter(out, info.fps, (w, info.height))
            bar = Progress(info.frames, f"rendering {src.name}", enabled=None if not args.progress else True)
            while True:
                ok, frame = cap.read()
                if not ok or frame is None:
                    break
                res = engine.process(frame, shade, timestamp=frames / info.fps, show_mask=args.show_mask)
                frames += 1
                faces_seen += 1 if _found_something(res, shade) else 0
                stats.append(res.timings_ms["total"])
                writer.write(_side_by_side(frame, res.frame) if args.compare else res.frame)
                bar.update()
            bar.close()
            writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    finally:
        cap.release()
    if info.frames and frames < info.frames * 0.9:
        print(f"tryon-render: warning: the video ended after {frames} of {info.frames} frames (truncated file?)",
              file=sys.stderr)
    found = "face" if shade.outfit is None else ("garment" if shade.lipstick is None else "face or garment")
    print(f"wrote {out} ({frames} frames, {found} found in {faces_seen}, median {np.median(stats):.1f} ms/frame, "
          f"{_made_by(engine, shade)}); audio is not copied")
    for note in engine.notices(shade):
        print(f"note: {note}")
    return 0 if faces_seen or args.allow_no_face else 3


def _made_by(engine, look) -> str:
    info = engine.describe()
    parts = [f"{kind} by {info[kind]['renderer']} on {info[kind]['provider']}"
             for kind in ("outfit", "lipstick") if getattr(look, kind) is not None]
    if look.outfit is not None:
        parts.append(f"garment mask {info['garment_mask']['renderer']}")
    return ", ".join(parts) or "bare look"


def _report(res, out: Path, engine, look) -> None:
    t = res.timings_ms
    if look.lipstick is not None and res.no_face:
        print(f"tryon-render: no face found; the lipstick was not applied in {out}", file=sys.stderr)
    if look.outfit is not None and "outfit" in res.status:
        print(f"tryon-render: outfit: {res.status['outfit']}; the garment was left as it is in {out}", file=sys.stderr)
    if _found_something(res, look):
        print(f"wrote {out} ({len(res.faces)} face{'s' if len(res.faces) != 1 else ''}, "
              f"{_made_by(engine, look)}, {t['total']:.1f} ms)")
    for note in engine.notices(look):
        print(f"note: {note}")


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line (the option and what is wrong), not the whole usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def render_main(argv: list[str] | None = None) -> int:
    p = _OneLineParser(
        prog="tryon-render",
        description="Put a lipstick (and an outfit colour) on the people in a photo or video. With no INPUT, "
                    "uses a demo photo.")
    p.add_argument("input", nargs="?", help="image (.jpg .png ...) or video (.mp4 ...); default: a demo photo")
    p.add_argument("-o", "--output", help="where to write the result (same kind as the input)")
    p.add_argument("--shade", default="Classic Red",
                   help="catalogue name (see --list-shades), #RRGGBB, or none for no lipstick")
    p.add_argument("--finish", choices=["matte", "satin", "gloss", "shimmer"], help="override the shade's finish")
    p.add_argument("--opacity", type=float, help="override the shade's opacity, 0 to 1")
    p.add_argument("--outfit", help="recolour the worn top: #RRGGBB (e.g. #1F3A93)")
    p.add_argument("--outfit-strength", type=float, help="how much of the outfit change to apply, 0 to 1 (default 1)")
    p.add_argument("--show-mask", action="store_true", help="draw the garment mask over the result (green)")
    p.add_argument("--garment-model", default="auto", help="garment mask manifest (.json), 'auto' or 'none'")
    p.add_argument("--outfit-model", default="auto",
                   help="outfit generator manifest (.json), 'auto' (shipped) or 'none' (the reference renderer)")
    p.add_argument("--compare", action="store_true", help="write before | after side by side")
    p.add_argument("--model", default="auto", help="generator manifest (.json), 'auto' (shipped) or 'none'")
    p.add_argument("--max-faces", type=int, default=2, help="how many faces to make up (default 2)")
    p.add_argument("--allow-no-face", action="store_true", help="exit 0 even when no face is found")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.add_argument("--list-shades", action="store_true", help="list the catalogue and exit")
    p.add_argument("--debug", action="store_true", help="show logs and tracebacks")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = p.parse_args(argv)
    if args.max_faces < 1:
        p.error("--max-faces must be at least 1")
    return _run_guarded("tryon-render", _render, args)


# ---------------------------------------------------------------- tryon-bench

def synthetic_clip(width: int, height: int, n: int, face: np.ndarray | None = None) -> list[np.ndarray]:
    """A webcam-like clip: the demo photo's face filling ~half the frame height, drifting gently.

    Holds at most 60 distinct frames (played forth and back by `clip_frame`) so the clip itself does
    not dominate the benchmark's memory figures."""
    import cv2

    from tryon_desktop.core.media import demo_photo_path, read_image

    if face is None:
        face = read_image(demo_photo_path()).bgr
    scale = 0.95 * height / face.shape[0]
    bg = cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)
    bg = cv2.GaussianBlur(bg, (0, 0), 12)
    frames = []
    for i in range(min(n, 60)):
        t = i / 30.0
        angle = 3.0 * np.sin(2 * np.pi * 0.3 * t)
        dx = 0.04 * width * np.sin(2 * np.pi * 0.2 * t)
        dy = 0.02 * height * np.sin(2 * np.pi * 0.25 * t)
        M = cv2.getRotationMatrix2D((face.shape[1] / 2, face.shape[0] / 2), angle, scale)
        M[0, 2] += width / 2 - face.shape[1] / 2 + dx
        M[1, 2] += height / 2 - face.shape[0] / 2 + dy
        frames.append(cv2.warpAffine(face, M, (width, height), dst=bg.copy(), borderMode=cv2.BORDER_TRANSPARENT))
    return frames


def clip_frame(clip: list[np.ndarray], i: int) -> np.ndarray:
    """Frame i of a clip played forth and back (no jump at the loop point)."""
    if len(clip) == 1:
        return clip[0]
    period = 2 * (len(clip) - 1)
    k = i % period
    return clip[k if k < len(clip) else period - k]


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _peak_rss_mb() -> float:
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024
    except ImportError:
        return float("nan")


def _bench(args: argparse.Namespace) -> int:
    import json

    from tryon_desktop.core.looks import resolve_shade
    from tryon_desktop.core.media import open_video
    from tryon_desktop.engine import STAGES, TryOnEngine

    shade = resolve_shade(args.shade)
    sizes = []
    for s in args.sizes.split(","):
        try:
            w, h = (int(v) for v in s.lower().split("x"))
        except ValueError:
            raise InputError(f"bad size {s!r}: use WIDTHxHEIGHT, e.g. 1280x720") from None
        sizes.append((w, h))
    source_frames = None
    if args.video:
        cap, _ = open_video(args.video)
        source_frames = []
        while len(source_frames) < args.frames + args.warmup:
            ok, f = cap.read()
            if not ok:
                break
            source_frames.append(f)
        cap.release()
    report = {"version": __version__, "cpu_count": os.cpu_count(), "shade": shade.name, "runs": []}
    model = None if args.model == "none" else args.model
    for w, h in sizes:
        import cv2

        if source_frames:
            clip = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in source_frames]
            clip_name = Path(args.video).name
        else:
            clip = synthetic_clip(w, h, args.frames + args.warmup)
            clip_name = "synthetic (demo photo, moving)"
        engine = TryOnEngine(model=model, max_faces=args.max_faces, video=True)
        rss0 = _rss_mb()
        per_stage = {k: [] for k in (*STAGES, "total")}
        faces = 0
        t_wall0 = None
        n = 0
        for i in range(args.frames + args.warmup):
            f = clip_frame(clip, i)
            if i == args.warmup:
                t_wall0 = time.perf_counter()
            res = engine.process(f, shade, timestamp=i / 30.0)
            if i >= args.warmup:
                n += 1
                faces += 0 if res.no_face else 1
                for k in per_stage:
                    per_stage[k].append(res.timings_ms[k])
        wall = time.perf_counter() - (t_wall0 or time.perf_counter())
        run = {
            "size": f"{w}x{h}", "clip": clip_name, "frames": n, "frames_with_face": faces,
            "renderer": engine.renderer_name, "provider": engine.provider,
            "stages_ms": {k: {"median": float(np.median(v)), "p95": float(np.percentile(v, 95))}
                          for k, v in per_stage.items()},
            "fps": n / wall if wall > 0 else float("nan"),
            "rss_mb": _rss_mb(), "rss_growth_mb": _rss_mb() - rss0, "peak_rss_mb": _peak_rss_mb(),
        }
        engine.close()
        report["runs"].append(run)
        if not args.json:
            print(f"\n{w}x{h}  clip: {clip_name}  frames: {n} (face in {faces})  renderer: {run['renderer']} on "
                  f"{run['provider']}")
            print(f"  {'stage':<9} {'median ms':>10} {'p95 ms':>8}")
            for k, v in run["stages_ms"].items():
                print(f"  {k:<9} {v['median']:>10.2f} {v['p95']:>8.2f}")
            print(f"  frames/s (wall): {run['fps']:.1f}   RSS now {run['rss_mb']:.0f} MB, peak {run['peak_rss_mb']:.0f} MB")
    if args.json:
        print(json.dumps(report, indent=1))
    return 0


def bench_main(argv: list[str] | None = None) -> int:
    p = _OneLineParser(prog="tryon-bench", description="Per-stage speed and memory of the try-on engine.")
    p.add_argument("--sizes", default="640x480,1280x720", help="comma-separated WIDTHxHEIGHT (default 640x480,1280x720)")
    p.add_argument("--frames", type=int, default=300, help="timed frames per size (default 300)")
    p.add_argument("--warmup", type=int, default=20, help="untimed frames first (default 20)")
    p.add_argument("--video", help="use this clip instead of the synthetic one (resized to each size)")
    p.add_argument("--shade", default="Classic Red")
    p.add_argument("--model", default="auto", help="generator manifest, 'auto' or 'none' (reference renderer)")
    p.add_argument("--max-faces", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args(argv)
    if args.frames < 1:
        p.error("--frames must be at least 1")
    return _run_guarded("tryon-bench", _bench, args)


if __name__ == "__main__":
    sys.exit(render_main())
