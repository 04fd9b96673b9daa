"""Render assets/icons/tryon-desktop.svg to the PNG beside it (256 px).

Run after editing the SVG: python packaging/make_icon.py. Uses QtSvg (part of PySide6-Essentials), offscreen.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "assets" / "icons"


def main(size: int = 256) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841  (needed by QPainter)
    renderer = QSvgRenderer(str(ICONS / "tryon-desktop.svg"))
    if not renderer.isValid():
        print("make_icon: the SVG is not valid", file=sys.stderr)
        return 1
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    out = ICONS / "tryon-desktop.png"
    if not img.save(str(out)):
        print(f"make_icon: could not write {out}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
