"""Open a real window on a real display (Xvfb in CI). Runs in a subprocess: the offscreen tests own
this process's QApplication, and a process gets one Qt platform."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(90)

SCRIPT = r"""
import os, sys, tempfile, time
from tryon_desktop.ui import qtenv  # clears cv2's QT_QPA_PLATFORM_PLUGIN_PATH before Qt loads
from PySide6.QtCore import QSettings
from tryon_desktop.ui.app import make_app
from tryon_desktop.ui.main_window import MainWindow
app = make_app()
assert app.platformName() in ("xcb", "wayland"), app.platformName()
tmp = tempfile.mkdtemp()
win = MainWindow(source="demo", settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat),
                 snapshot_dir=tmp, resolution=(640, 360), cameras=[], lang="en")
win.resize(1100, 700); win.show()
end = time.time() + 20
while win.stats.displayed < 5 and time.time() < end:
    app.processEvents(); time.sleep(0.005)
shot = win.screen().grabWindow(0, win.x(), win.y(), win.width(), win.height()).toImage()
ok = win.stats.displayed >= 5 and shot.width() > 0 and not shot.isNull()
win.close()
print("REAL_WINDOW_OK" if ok else "REAL_WINDOW_FAILED", app.platformName(), win.stats.displayed)
sys.stdout.flush(); os._exit(0 if ok else 1)
"""


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="no X display (start Xvfb and set DISPLAY to run this)")
def test_a_real_window_opens_on_the_display():
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # the conftest set offscreen for this process; the child uses X
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=80)
    assert "REAL_WINDOW_OK" in out.stdout, out.stdout[-2000:] + out.stderr[-3000:]
