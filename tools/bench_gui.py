"""GUI pipeline benchmark: same as `tryon-desktop --bench`. Runs offscreen when there is no display.

    python tools/bench_gui.py [--bench-seconds 20] [--bench-clip clip.mp4]
"""

import os
import sys

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tryon_desktop.ui.app import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--bench", *sys.argv[1:]]))
