"""Undo what importing cv2 does to Qt's environment, before any QApplication exists.

The opencv(-contrib)-python wheel points QT_QPA_PLATFORM_PLUGIN_PATH and QT_QPA_FONTDIR at its own
bundled Qt when cv2 is imported; PySide6 then cannot load its xcb plugin ("Could not load the Qt
platform plugin xcb") and looks for fonts in the wrong place. Import this module first in any GUI entry.
"""

from __future__ import annotations

import os

import cv2  # noqa: F401  (imported for its side effect, which we then undo)


def clean_qt_env() -> None:
    for var in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        value = os.environ.get(var, "")
        if value and "cv2" in value.replace("\\", "/").split("/"):
            del os.environ[var]


clean_qt_env()
