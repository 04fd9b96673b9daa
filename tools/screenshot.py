"""Make a real screenshot of the app window under X (Xvfb in CI) into docs/screenshot.png.

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 python tools/screenshot.py [--out docs/screenshot.png] [--lang en] [--split] [--source demo]
        [--outfit Navy|#RRGGBB] [--tab outfit] [--snapshot] [--no-whole-garment]

Grabs the window from the X screen (QScreen.grabWindow), not from Qt's own rendering, so it shows what
a user sees. Uses a throw-away settings file: the user's settings are not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tryon_desktop.ui import qtenv  # noqa: F401  (before Qt)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"))
    ap.add_argument("--lang", default="en")
    ap.add_argument("--source", default="demo")
    ap.add_argument("--shade", default="Ruby Velvet")
    ap.add_argument("--split", action="store_true", help="show the before/after split")
    ap.add_argument("--mask", action="store_true", help="show the garment mask overlay")
    ap.add_argument("--outfit", help="also wear an outfit: a catalogue name or #RRGGBB")
    ap.add_argument("--no-whole-garment", action="store_true",
                    help="turn the Outfit tab's \"Whole garment\" (the garment mask's body fill) off")
    ap.add_argument("--tab", choices=("lipstick", "outfit"), default="lipstick", help="the side tab shown")
    ap.add_argument("--wait", type=float, default=4.0, help="seconds to let the pipeline settle")
    ap.add_argument("--size", default="1440x900")
    ap.add_argument("--snapshot", action="store_true",
                    help="take a snapshot first (it shows in the strip) and print its JSON sidecar")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print("screenshot: no display; start Xvfb and set DISPLAY (see the docstring)", file=sys.stderr)
        return 2
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.main_window import MainWindow

    app = make_app()
    tmp = tempfile.mkdtemp(prefix="tryon-shot-")
    settings = QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(source=args.source, settings=settings, lang=args.lang, snapshot_dir=tmp)
    w, h = (int(v) for v in args.size.split("x"))
    win.resize(w, h)
    win.move(20, 20)
    win.show()
    shade = next((s for s in win.catalogue if s.name == args.shade), None)
    if shade is not None:
        win.lipstick_panel.set_shade(shade)
    if args.outfit:
        from tryon_desktop.core.looks import resolve_outfit

        win.outfit_panel.set_outfit(resolve_outfit(args.outfit))
    win.tabs.setCurrentWidget(win.outfit_panel if args.tab == "outfit" else win.lipstick_panel)
    if args.mask:
        win.mask_action.trigger()
    if args.no_whole_garment:
        win.fill_action.setChecked(False)
    if args.split:
        win.split_action.setChecked(True)
        win.preview.split = 0.42
    end = time.perf_counter() + args.wait
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    if args.snapshot:
        win.take_snapshot()
        end = time.perf_counter() + 30.0  # written on the window's own thread pool; shown in the strip after
        while time.perf_counter() < end and not (list(Path(tmp).glob("*.json")) and win.strip.count()):
            app.processEvents()
            time.sleep(0.005)
        for sidecar in sorted(Path(tmp).glob("*.json")):
            print(f"screenshot: snapshot sidecar {sidecar.name}:\n{sidecar.read_text(encoding='utf-8')}")
    if args.split:
        win.preview.split = 0.42
    app.processEvents()
    screen = win.screen()
    geo = win.frameGeometry()
    shot = screen.grabWindow(0, geo.x(), geo.y(), geo.width(), geo.height())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    ok = shot.save(args.out, "PNG")
    win.close()
    QApplication.processEvents()
    print(f"screenshot: {args.out} {shot.width()}x{shot.height()} {'saved' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
