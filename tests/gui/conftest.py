"""GUI tests run offscreen (set before Qt is imported); the real-window test uses a subprocess."""

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

from tryon_desktop.ui import qtenv  # noqa: E402,F401  (clears cv2's Qt variables before Qt loads)

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path, monkeypatch):
    """The user's own swatches live in a folder of each test's own, never the real user's."""
    monkeypatch.setenv("TRYON_DATA_DIR", str(tmp_path / "userdata"))


@pytest.fixture
def shirt_png():
    """shirt_png(path, rgb): a synthetic product photo written to `path` (a tee on white, a little sensor
    noise) for the swatch-from-a-photo tests; returns the path."""
    import cv2
    import numpy as np

    def make(path, rgb=(40, 120, 90)):
        img = np.full((480, 400, 3), 255, np.uint8)
        poly = np.array([[130, 70], [270, 70], [360, 150], [320, 200], [290, 170], [295, 430], [105, 430],
                         [110, 170], [80, 200], [40, 150]], np.int32)
        cv2.fillPoly(img, [poly], rgb[::-1])
        img = np.clip(img.astype(np.float32) + np.random.default_rng(0).normal(0, 1.5, img.shape), 0, 255)
        cv2.imwrite(str(path), img.astype(np.uint8))
        return path

    return make


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, tmp_path, settings):
    """MainWindow on the demo source at a small size, isolated settings and snapshot folder."""
    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.main_window import MainWindow

    make_app()
    windows = []

    def make(**kw):
        kw.setdefault("source", "demo")
        kw.setdefault("settings", settings)
        kw.setdefault("snapshot_dir", str(tmp_path / "snaps"))
        kw.setdefault("resolution", (640, 360))
        kw.setdefault("lang", "en")
        kw.setdefault("cameras", [])
        win = MainWindow(**kw)
        qtbot.addWidget(win)
        win.resize(1100, 700)
        win.show()
        windows.append(win)
        return win

    yield make
    for w in windows:
        w.shutdown()


@pytest.fixture
def wait_frames(qtbot):
    """wait_frames(win, n): block (running the Qt loop) until `n` more frames have been painted."""

    def wait(win, n=3, timeout=30000):
        start = win.stats.displayed
        qtbot.waitUntil(lambda: win.stats.displayed >= start + n, timeout=timeout)

    return wait
