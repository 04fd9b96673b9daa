"""GUI pipeline benchmark: `tryon-desktop --bench` with the look to wear. Runs offscreen when there is no display.

    python tools/bench_gui.py [--bench-seconds 20] [--bench-clip clip.mp4]        lipstick (Classic Red)
    python tools/bench_gui.py --shade "Classic Red" --outfit Navy                   both effects
    python tools/bench_gui.py --shade none --outfit Breton --source my_clip.mp4    an outfit alone, own clip
    python tools/bench_gui.py --shade "Classic Red" --outfit Navy --no-body-fill    the live mask without its body fill

The clip is 30 fps 1280x720, made from --source (default: a face close-up for a lipstick alone, a person in
a coat, ../shared/data/video/train/latentsync_demo1.mp4, when an outfit is worn; the demo photo when
neither exists), or --bench-clip played as it is. Bad look values: one line and exit 2.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # this tree's package, not another checkout's that is installed (editable)
    sys.path.insert(0, str(ROOT))

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv=None) -> int:
    from tryon_desktop.cli import BAD_VALUE, BadValue, add_outfit_options, look_from_args

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-seconds", "--seconds", type=float, default=20.0, help="measured seconds (default 20)")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds after the first frame shown (default 3)")
    ap.add_argument("--bench-clip", help="a ready clip, played as it is")
    ap.add_argument("--source", help="the video the 30 fps 1280x720 clip is made from")
    ap.add_argument("--shade", default="Classic Red", help="lipstick: catalogue name, #RRGGBB or none")
    add_outfit_options(ap)
    ap.add_argument("--no-body-fill", action="store_true", help="the live garment mask without its body fill "
                    "(engine.GarmentPerception.body_fill off), to measure what it costs")
    a = ap.parse_args(argv)
    try:
        look = look_from_args(a)
    except BadValue as exc:
        print(f"bench_gui: error: {exc}", file=sys.stderr)
        return BAD_VALUE

    if a.no_body_fill:
        from tryon_desktop.engine import GarmentPerception

        GarmentPerception.body_fill = False
    from tryon_desktop.ui import qtenv  # noqa: F401
    from tryon_desktop.ui.app import _exit_now, make_app
    from tryon_desktop.ui.bench import run_bench

    app = make_app()
    return _exit_now(run_bench(app, seconds=a.bench_seconds, clip=a.bench_clip, warmup=a.warmup, look=look,
                               source=a.source))


if __name__ == "__main__":
    sys.exit(main())
