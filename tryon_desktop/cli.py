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
from typing import TYPE_CHECKING

import numpy as np

from tryon_desktop import __version__
from tryon_desktop.errors import InputError, LookError, TryOnError

if TYPE_CHECKING:
    from tryon_desktop.core.looks import Look

log = logging.getLogger("tryon_desktop")

BAD_VALUE = 2  # exit status for a bad option value (as argparse's own usage errors)


class BadValue(TryOnError):
    """A bad option value found after parsing (an unknown outfit, a scale out of range): one line, exit 2."""


def _run_guarded(prog: str, fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.ERROR,
                        format=f"{prog}: %(levelname)s: %(message)s")
    try:
        return fn(args)
    except BadValue as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return BAD_VALUE
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


def _outfit_from_args(args):
    """The outfit the options ask for (None when none), every value checked before any file is read:
    a bad one raises BadValue (exit 2) naming it."""
    import math

    from tryon_desktop.core.looks import PATTERNS, check_pattern, resolve_outfit

    spec, pattern = args.outfit, args.outfit_pattern
    scale, rotation = args.outfit_scale, args.outfit_rotation
    if not spec and not pattern:
        extra = [o for o, v in (("--outfit-strength", args.outfit_strength), ("--outfit-scale", scale),
                                ("--outfit-rotation", rotation)) if v is not None]
        if extra:
            raise BadValue(f"{extra[0]} needs an outfit: add --outfit NAME|#RRGGBB or --outfit-pattern")
        return None
    try:
        if rotation is not None and not math.isfinite(rotation):
            raise LookError(f"--outfit-rotation must be a number of degrees, got {rotation}")
        if pattern:
            check_pattern(pattern)
            if pattern not in PATTERNS:
                import cv2

                if cv2.imread(pattern, cv2.IMREAD_COLOR) is None:
                    raise LookError(f"cannot read the fabric image {pattern!r}: not an image")
        outfit = resolve_outfit(spec or "", strength=args.outfit_strength, pattern=pattern, scale=scale,
                                rotation=rotation)
    except LookError as exc:
        raise BadValue(str(exc)) from None
    if not outfit.is_pattern and (scale is not None or rotation is not None):
        which = "--outfit-scale" if scale is not None else "--outfit-rotation"
        raise BadValue(f"{which} applies to a pattern: add --outfit-pattern NAME|FILE or choose a patterned "
                       f"outfit (see --list-outfits); {outfit.name} is a plain colour")
    return outfit


def look_from_args(args):
    """The whole look from the options; a bad shade or outfit value raises BadValue (exit 2)."""
    from tryon_desktop.core.looks import Look, resolve_shade

    lipstick = None
    if str(args.shade).strip().lower() != "none":
        try:
            lipstick = resolve_shade(args.shade, finish=getattr(args, "finish", None),
                                     opacity=getattr(args, "opacity", None))
        except LookError as exc:
            raise BadValue(str(exc)) from None
    return Look(lipstick=lipstick, outfit=_outfit_from_args(args))


def outfit_line(sw) -> str:
    """One swatch for --list-outfits: name, colour (a pattern's ink), pattern and scale, family."""
    colour = sw.hex or "-"
    if sw.is_pattern:
        kind = f"{sw.pattern}, scale {sw.scale:g}" + (f", rotation {sw.rotation:g}" if sw.rotation else "")
    else:
        kind = "plain colour"
    return f"{sw.name:<16} {colour:<8} {kind:<24} {sw.family}"


def _found_something(res, look) -> bool:
    """Whether any effect the look asks for found what it changes (a face, a garment)."""
    lip_ok = look.lipstick is not None and not res.no_face
    outfit_ok = look.outfit is not None and "outfit" not in res.status
    return lip_ok or outfit_ok or look.is_bare


def _render(args: argparse.Namespace) -> int:
    from tryon_desktop.core.looks import default_catalogue, default_outfit_catalogue
    from tryon_desktop.core.media import (AtomicVideoWriter, check_output_path, demo_photo_path, kind_of,
                                          open_video, read_image, write_image)

    if args.list_shades or args.list_outfits:
        if args.list_shades:
            for s in default_catalogue():
                print(f"{s.name:<18} {s.hex}  {s.family:<8} {s.finish.value:<8} {s.opacity:.2f}")
        if args.list_outfits:
            for sw in default_outfit_catalogue():
                print(outfit_line(sw))
        return 0
    shade = look_from_args(args)  # every look value checked before any file is read or written
    if args.output is None:
        raise InputError("no output given: add -o OUTPUT (for example -o before_after.png)")
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


def add_outfit_options(p: argparse.ArgumentParser, default: str | None = None) -> None:
    """--outfit and its pattern options (tryon-render, tryon-bench, tools/bench_gui.py, tools/soak.py);
    `look_from_args` reads them."""
    from tryon_desktop.core.looks import PATTERNS

    p.add_argument("--outfit", metavar="NAME|#RRGGBB", default=default,
                   help="what the worn top becomes: a catalogue name (tryon-render --list-outfits: plain colours "
                        "and patterns, e.g. Navy, Breton) or a colour #RRGGBB; with --outfit-pattern, the "
                        "pattern's ink colour" + (f" (default {default})" if default else ""))
    p.add_argument("--outfit-pattern", metavar="NAME|FILE",
                   help="a fabric pattern: " + ", ".join(PATTERNS) + ", or a fabric image file "
                        "(without --outfit: the pattern in its own colours)")
    p.add_argument("--outfit-scale", type=float, metavar="SW",
                   help="one repeat of the pattern, in shoulder widths (0.05 to 4; catalogue patterns "
                        "0.07-0.35)")
    p.add_argument("--outfit-rotation", type=float, metavar="DEG", help="the pattern's rotation in degrees")
    p.add_argument("--outfit-strength", type=float, help="how much of the outfit change to apply, 0 to 1 (default 1)")


def render_main(argv: list[str] | None = None) -> int:
    p = _OneLineParser(
        prog="tryon-render",
        description="Put a lipstick and an outfit (a colour or a fabric pattern) on the people in a photo or "
                    "video. With no INPUT, uses a demo photo.")
    p.add_argument("input", nargs="?", help="image (.jpg .png ...) or video (.mp4 ...); default: a demo photo")
    p.add_argument("-o", "--output", help="where to write the result (same kind as the input)")
    p.add_argument("--shade", default="Classic Red",
                   help="catalogue name (see --list-shades), #RRGGBB, or none for no lipstick")
    p.add_argument("--finish", choices=["matte", "satin", "gloss", "shimmer"], help="override the shade's finish")
    p.add_argument("--opacity", type=float, help="override the shade's opacity, 0 to 1")
    add_outfit_options(p)
    p.add_argument("--show-mask", action="store_true", help="draw the garment mask over the result (green)")
    p.add_argument("--garment-model", default="auto", help="garment mask manifest (.json), 'auto' or 'none'")
    p.add_argument("--outfit-model", default="auto",
                   help="outfit generator manifest (.json), 'auto' (shipped) or 'none' (the reference renderer)")
    p.add_argument("--compare", action="store_true", help="write before | after side by side")
    p.add_argument("--model", default="auto", help="generator manifest (.json), 'auto' (shipped) or 'none'")
    p.add_argument("--max-faces", type=int, default=2, help="how many faces to make up (default 2)")
    p.add_argument("--allow-no-face", action="store_true", help="exit 0 even when no face is found")
    p.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    p.add_argument("--list-shades", action="store_true", help="list the lipstick catalogue and exit")
    p.add_argument("--list-outfits", action="store_true",
                   help="list the outfit catalogue (name, colour, pattern and scale, family) and exit")
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


EFFECT_SETS = ("lipstick", "outfit", "both")  # what tryon-bench measures side by side
CLIP_MAX = 60  # distinct frames a benchmark clip holds (played forth and back)


def parse_effects(text: str) -> list[str]:
    """'lipstick,outfit,both' (any of them, any order) -> the list; anything else raises BadValue."""
    names: list[str] = []
    for t in str(text).split(","):
        t = t.strip().lower()
        if t and t not in names:
            names.append(t)
    bad = [n for n in names if n not in EFFECT_SETS]
    if bad or not names:
        raise BadValue(f"bad --effects {text!r}: give a comma-separated list of {', '.join(EFFECT_SETS)}")
    return names


def fit_frame(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """A frame resized to width x height. One of another shape is fitted whole and centred on a blurred
    copy of itself, not stretched; a portrait one (a phone clip of a person) first loses its top and
    bottom: its square a quarter of the way down the spare height is kept, a webcam's head-and-chest
    framing (fitted whole, the face would be too small for the live face tracker)."""
    import cv2

    h, w = frame.shape[:2]
    if h > 1.05 * w and width >= height:
        y0 = (h - w) // 4
        frame, h = frame[y0:y0 + w], w
    if abs(w / h - width / height) < 0.02 * width / height:
        return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    bg = cv2.GaussianBlur(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA), (0, 0), 25)
    s = min(width / w, height / h)
    fw, fh = max(1, round(w * s)), max(1, round(h * s))
    fg = cv2.resize(frame, (fw, fh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    x0, y0 = (width - fw) // 2, (height - fh) // 2
    bg[y0:y0 + fh, x0:x0 + fw] = fg
    return bg


def _bench_looks(args, effects: list[str]) -> dict:
    """Effect set -> the Look it wears (lipstick: --shade; outfit: --outfit and its pattern options)."""
    from tryon_desktop.core.looks import Look

    look = look_from_args(args)
    if look.lipstick is None and any(e in ("lipstick", "both") for e in effects):
        raise BadValue("--shade none leaves nothing to measure for 'lipstick' and 'both': give a shade or "
                       "--effects outfit")
    if look.outfit is None and any(e in ("outfit", "both") for e in effects):
        raise BadValue("no outfit given for 'outfit' and 'both': give --outfit or --effects lipstick")
    return {"lipstick": Look(lipstick=look.lipstick), "outfit": Look(outfit=look.outfit), "both": look}


def _stat(values: list[float]) -> dict:
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95))}


def _bench_size(args, w: int, h: int, source_frames, effects: list[str], looks: dict) -> list[dict]:
    """Every effect set on one engine each, the same frames, alternated frame by frame (which one goes
    first turns round too), so a busy moment of the host falls on all of them alike."""
    from collections import Counter

    if source_frames:
        clip = [fit_frame(f, w, h) for f in source_frames]
        clip_name = Path(args.video).name
    else:
        clip = synthetic_clip(w, h, args.frames + args.warmup)
        clip_name = "synthetic (demo photo, moving)"
    engines = {e: _make_engine(args, video=True) for e in effects}
    rss0 = _rss_mb()
    times: dict[str, dict[str, list[float]]] = {e: {} for e in effects}
    wall = {e: 0.0 for e in effects}
    faces = dict.fromkeys(effects, 0)
    garments = dict.fromkeys(effects, 0)
    status: dict[str, Counter] = {e: Counter() for e in effects}
    try:
        for i in range(args.frames + args.warmup):
            f = clip_frame(clip, i)
            k = i % len(effects)
            for e in effects[k:] + effects[:k]:
                t0 = time.perf_counter()
                res = engines[e].process(f, looks[e], timestamp=i / 30.0)
                dt = time.perf_counter() - t0
                if i < args.warmup:
                    continue
                wall[e] += dt
                faces[e] += 0 if res.no_face else 1
                if "outfit" in res.status:
                    status[e][res.status["outfit"]] += 1
                elif looks[e].outfit is not None:
                    garments[e] += 1
                for key, ms in res.timings_ms.items():
                    times[e].setdefault(key, []).append(ms)
        rss, peak = _rss_mb(), _peak_rss_mb()
        runs = []
        for e in effects:
            eng, look, t = engines[e], looks[e], times[e]
            agg = [k for k in ("track", "garment", "align", "generate", "blend", "total") if k in t]
            per_effect = {kind: {s: _stat(t[f"{kind}.{s}"]) for s in ("align", "generate", "blend")
                                 if f"{kind}.{s}" in t}
                          for kind in ("outfit", "lipstick") if getattr(look, kind) is not None}
            run = {
                "size": f"{w}x{h}", "effects": e, "clip": clip_name, "frames": args.frames,
                "frames_with_face": faces[e],
                "frames_with_garment": garments[e] if look.outfit is not None else None,
                "outfit_status": dict(status[e]),
                "renderer": eng.renderer_name, "provider": eng.provider,
                "stages_ms": {k: _stat(t[k]) for k in agg},
                "effect_stages_ms": per_effect,
                "fps": args.frames / wall[e] if wall[e] > 0 else float("nan"),
                "rss_mb": rss, "rss_growth_mb": rss - rss0, "peak_rss_mb": peak,
            }
            if look.outfit is not None:
                info = eng.effects["outfit"].describe().to_dict()
                run["outfit_renderer"] = f"{info['renderer']} on {info['provider']}"
                run["garment_mask"] = eng.garment.describe()["renderer"]
            runs.append(run)
    finally:
        for eng in engines.values():
            eng.close()
    return runs


def _cell(v: dict | None) -> str:
    return "-" if v is None else f"{v['median']:.2f} / {v['p95']:.2f}"


def _print_one(run: dict) -> None:
    """One effect set at one size: a stage a line (the layout of the lipstick-only benchmark)."""
    found = f"face in {run['frames_with_face']}"
    if run["frames_with_garment"] is not None:
        found += f", garment in {run['frames_with_garment']}"
    made = [f"renderer: {run['renderer']} on {run['provider']}"] if run["effects"] != "outfit" else []
    if run["frames_with_garment"] is not None:
        made.append(f"outfit: {run['outfit_renderer']}, garment mask {run['garment_mask']}")
    made = "  ".join(made)
    print(f"\n{run['size']}  clip: {run['clip']}  frames: {run['frames']} ({found})  {made}")
    print(f"  {'stage':<9} {'median ms':>10} {'p95 ms':>8}")
    for k, v in run["stages_ms"].items():
        print(f"  {k:<9} {v['median']:>10.2f} {v['p95']:>8.2f}")
    for msg, n in run["outfit_status"].items():
        print(f"  outfit: {msg} in {n} of {run['frames']} frames")
    print(f"  frames/s (wall): {run['fps']:.1f}   RSS now {run['rss_mb']:.0f} MB, peak {run['peak_rss_mb']:.0f} MB")


def _print_side_by_side(runs: list[dict], looks: dict) -> None:
    """Several effect sets at one size: a column each, median / p95 ms per stage, per effect."""
    r0 = runs[0]
    names = [r["effects"] for r in runs]
    print(f"\n{r0['size']}  clip: {r0['clip']}  frames: {r0['frames']} each, {' | '.join(names)} alternated frame by "
          f"frame")
    parts = []
    lip = next((lk.lipstick for lk in looks.values() if lk.lipstick is not None), None)
    if lip is not None and any(looks[n].lipstick is not None for n in names):
        parts.append(f"lipstick {lip.name} ({r0['renderer']} on {r0['provider']})")
    with_outfit = next((r for r in runs if r["frames_with_garment"] is not None), None)
    if with_outfit is not None:
        sw = looks[with_outfit["effects"]].outfit
        what = sw.name + (f" ({sw.pattern}, scale {sw.scale:g})" if sw.is_pattern else f" {sw.hex}")
        parts.append(f"outfit {what} ({with_outfit['outfit_renderer']}, garment mask {with_outfit['garment_mask']})")
    print("  look: " + "; ".join(parts))
    col = 17
    print(f"  {'ms: median / p95':<18}" + "".join(f"{n:>{col}}" for n in names))
    rows = ["track", "garment"] + [f"{kind}.{s}" for kind in ("outfit", "lipstick")
                                   for s in ("align", "generate", "blend")] + ["total"]
    for row in rows:
        cells = []
        for r in runs:
            if "." in row:
                kind, s = row.split(".")
                cells.append(_cell(r["effect_stages_ms"].get(kind, {}).get(s)))
            else:
                cells.append(_cell(r["stages_ms"].get(row)))
        if any(c != "-" for c in cells):
            print(f"  {row:<18}" + "".join(f"{c:>{col}}" for c in cells))
    print(f"  {'frames/s (wall)':<18}" + "".join(f"{r['fps']:>{col}.1f}" for r in runs))
    print(f"  {'face found':<18}" + "".join(f"{str(r['frames_with_face']) + '/' + str(r['frames']):>{col}}"
                                             for r in runs))
    print(f"  {'garment found':<18}" + "".join(
        f"{'-' if r['frames_with_garment'] is None else str(r['frames_with_garment']) + '/' + str(r['frames']):>{col}}"
        for r in runs))
    for r in runs:
        for msg, n in r["outfit_status"].items():
            print(f"  outfit ({r['effects']}): {msg} in {n} of {r['frames']} frames")
    both = next((r for r in runs if r["effects"] == "both"), None)
    if both is not None and r0["size"] == "1280x720":
        med = both["stages_ms"]["total"]["median"]
        print(f"  goal (both effects, 1280x720, median <= 25 ms a frame): {med:.1f} ms, "
              f"{'met' if med <= 25.0 else 'NOT met'}")
    print(f"  RSS now {r0['rss_mb']:.0f} MB, peak {r0['peak_rss_mb']:.0f} MB ({len(runs)} engines)")


def _bench(args: argparse.Namespace) -> int:
    import json

    from tryon_desktop.core.media import open_video

    effects = parse_effects(args.effects)
    looks = _bench_looks(args, effects)
    sizes = []
    for s in args.sizes.split(","):
        try:
            w, h = (int(v) for v in s.lower().split("x"))
        except ValueError:
            raise BadValue(f"bad size {s!r}: use WIDTHxHEIGHT, e.g. 1280x720") from None
        if w < 16 or h < 16:
            raise BadValue(f"bad size {s!r}: at least 16x16")
        sizes.append((w, h))
    source_frames = None
    if args.video:
        cap, _ = open_video(args.video)
        source_frames = []
        while len(source_frames) < min(CLIP_MAX, args.frames + args.warmup):
            ok, f = cap.read()
            if not ok:
                break
            source_frames.append(f)
        cap.release()
        if not source_frames:
            raise InputError(f"{args.video}: no frame could be read")
    lip, outfit = looks["both"].lipstick, looks["both"].outfit
    report = {"version": __version__, "cpu_count": os.cpu_count(), "effects": effects,
              "shade": lip.name if lip is not None else None,
              "outfit": outfit.to_dict() if outfit is not None else None, "runs": []}
    for w, h in sizes:
        runs = _bench_size(args, w, h, source_frames, effects, looks)
        report["runs"].extend(runs)
        if not args.json:
            if len(runs) == 1:
                _print_one(runs[0])
            else:
                _print_side_by_side(runs, looks)
    if args.json:
        print(json.dumps(report, indent=1))
    return 0


def add_step_bench_options(p: argparse.ArgumentParser, frames: int) -> None:
    """The options of the tools' side-by-side engine benchmarks (tools/bench_steps.py,
    tools/bench_body_fill.py): frames, the look and the clip."""
    p.add_argument("--frames", type=int, default=frames)
    p.add_argument("--outfit", default="Navy")
    p.add_argument("--shade", default="Classic Red")
    p.add_argument("--video", help="a clip instead of the moving demo photo")


def step_bench_inputs(args: argparse.Namespace) -> tuple[list[np.ndarray], Look]:
    """(frames, look) for those benchmarks: a clip's first frames fitted into 1280x720 as tryon-bench fits
    them, or the moving demo photo; the lipstick and outfit both worn."""
    from tryon_desktop.core.looks import Look, resolve_outfit, resolve_shade

    if args.video:
        from tryon_desktop.eval_garment import read_clip

        clip, _ = read_clip(Path(args.video), args.frames)
        frames = [fit_frame(f, 1280, 720) for f in clip]
    else:
        frames = synthetic_clip(1280, 720, args.frames)
    return frames, Look(lipstick=resolve_shade(args.shade), outfit=resolve_outfit(args.outfit))


def bench_main(argv: list[str] | None = None) -> int:
    p = _OneLineParser(
        prog="tryon-bench",
        description="Per-stage speed and memory of the try-on engine: lipstick only, outfit only and both, "
                    "alternated frame by frame on the same frames (a person wearing a top: the demo photo, "
                    "moving, or --video).")
    p.add_argument("--sizes", default="640x480,1280x720", help="comma-separated WIDTHxHEIGHT (default 640x480,1280x720)")
    p.add_argument("--frames", type=int, default=300, help="timed frames per size and effect set (default 300)")
    p.add_argument("--warmup", type=int, default=20, help="untimed frames first (default 20)")
    p.add_argument("--effects", default=",".join(EFFECT_SETS),
                   help="what to measure side by side: a comma-separated list of lipstick, outfit, both "
                        "(default all three)")
    p.add_argument("--video", help=f"use this clip instead of the synthetic one (its first {CLIP_MAX} frames, "
                                   "played forth and back, fitted to each size)")
    p.add_argument("--shade", default="Classic Red", help="the lipstick (catalogue name or #RRGGBB)")
    add_outfit_options(p, default="Navy")
    p.add_argument("--model", default="auto", help="generator manifest, 'auto' or 'none' (reference renderer)")
    p.add_argument("--outfit-model", default="auto", help="outfit generator manifest, 'auto' or 'none' (reference)")
    p.add_argument("--garment-model", default="auto", help="garment mask manifest, 'auto' or 'none'")
    p.add_argument("--max-faces", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--debug", action="store_true")
    args = p.parse_args(argv)
    if args.frames < 1:
        p.error("--frames must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be at least 0")
    return _run_guarded("tryon-bench", _bench, args)


if __name__ == "__main__":
    sys.exit(render_main())
