"""The look of the app: a dark theme with one rose accent, set on the Fusion style."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication

ACCENT = "#F0628F"

STYLESHEET = """
QMainWindow, QWidget { background: #16161B; color: #ECECF1; }
QToolBar#mainToolbar { background: #1C1C22; border: none; border-bottom: 1px solid #26262E; padding: 6px 10px; spacing: 8px; }
QToolBar QToolButton { padding: 4px 8px; border-radius: 6px; color: #A4A4B2; border: 1px solid #34343E; background: transparent; }
QToolBar QToolButton:hover { background: #2A2A33; color: #E4E4EA; }
QToolBar QToolButton:checked { background: #7A2A4E; border-color: #F0628F; color: #FFFFFF; }
QToolBar QToolButton:checked:hover { background: #8C3159; }
QLabel#toolLabel { color: #8E8E9C; background: transparent; }
QComboBox { background: #24242C; border: 1px solid #30303A; border-radius: 6px; padding: 4px 10px; min-height: 22px; }
QComboBox:hover { border-color: #4A4A58; }
QComboBox QAbstractItemView { background: #24242C; selection-background-color: #3A2430; border: 1px solid #30303A; }
QPushButton { background: #26262E; border: 1px solid #32323C; border-radius: 7px; padding: 6px 12px; color: #E4E4EA; }
QPushButton:hover { background: #2E2E38; border-color: #45454F; }
QPushButton:disabled { color: #5E5E6A; border-color: #2A2A32; }
QPushButton#accentButton { background: #F0628F; border: none; color: white; font-weight: 600; padding: 7px 18px; }
QPushButton#accentButton:hover { background: #F47BA0; }
QPushButton#recButton { padding: 7px 16px; }
QPushButton#recButton:checked { background: #C9303F; border-color: #C9303F; color: white; font-weight: 600; }
QPushButton#segment { padding: 5px 4px; border-radius: 6px; }
QPushButton#segment:checked { background: #3A2430; border-color: #F0628F; color: #FFD0DE; }
QPushButton#iconButton { font-size: 18px; padding: 0; border-radius: 18px; color: #F0628F; }
QPushButton#iconButton:checked { background: #3A2430; }
QFrame#card { background: #202028; border: 1px solid #2C2C36; border-radius: 10px; }
QFrame#card QLabel { background: transparent; }
QLabel#shadeName { font-size: 15px; font-weight: 600; }
QLabel#muted { color: #9A9AA8; background: transparent; }
QLabel#ownTag { color: #A4A4B2; background: #26262E; border-radius: 7px; padding: 0px 7px; font-size: 10px; }
QLabel#ownTag[yours="true"] { color: #FFE0EA; background: #6B2645; }
QPushButton#linkButton { background: transparent; border: none; color: #F58FB0; padding: 1px 2px; }
QPushButton#linkButton:hover { color: #FFC0D4; text-decoration: underline; }
QPushButton#linkButton:disabled { color: #55555F; }
QPushButton#lookLine { background: transparent; border: none; color: #9A9AA8; padding: 0; text-align: left; }
QPushButton#lookLine:hover { color: #F58FB0; }
QPushButton#familyChip { background: #26262E; border: 1px solid #30303A; border-radius: 9px; color: #B4B4C0; padding: 2px 6px; font-size: 11px; }
QPushButton#familyChip:hover { border-color: #F0628F; color: #FFD0DE; }
QLabel#sectionTitle { color: #9A9AA8; font-size: 11px; font-weight: 600; letter-spacing: 1px; padding-top: 4px; text-transform: uppercase; }
QTabWidget#sideTabs::pane { border: 1px solid #26262E; border-radius: 10px; background: #1B1B21; top: -1px; }
QTabWidget#sideTabs QWidget#swatchHost, QTabWidget#sideTabs QScrollArea, QTabWidget#sideTabs QScrollArea > QWidget > QWidget { background: #1B1B21; }
SwatchPanel, SwatchPanel QWidget { background: #1B1B21; }
QTabBar::tab { background: transparent; color: #9A9AA8; padding: 8px 18px; border: none; font-weight: 600; }
QTabBar::tab:selected { color: #FFFFFF; border-bottom: 2px solid #F0628F; }
QSlider::groove:horizontal { height: 4px; background: #34343E; border-radius: 2px; }
QSlider::sub-page:horizontal { background: #F0628F; border-radius: 2px; }
QSlider::handle:horizontal { background: white; width: 16px; height: 16px; margin: -6px 0; border-radius: 8px; }
QSlider::sub-page:horizontal:disabled { background: #4A4A55; }
QListWidget#strip { background: #1B1B21; border: 1px solid #26262E; border-radius: 8px; padding: 4px; }
QListWidget#strip::item { border-radius: 6px; padding: 2px; }
QListWidget#strip::item:selected { background: #3A2430; }
QStatusBar { background: #1C1C22; color: #B4B4C0; border-top: 1px solid #26262E; }
QStatusBar QLabel#statusItem { color: #9A9AA8; padding: 0 10px; background: transparent; }
QStatusBar QLabel#recBadge { color: white; background: #C9303F; border-radius: 8px; padding: 1px 10px; font-weight: 600; }
QMenuBar { background: #1C1C22; }
QMenuBar::item:selected { background: #2A2A33; }
QMenu { background: #22222A; border: 1px solid #30303A; }
QMenu::item:selected { background: #3A2430; }
QScrollBar:vertical { background: transparent; width: 8px; }
QScrollBar::handle:vertical { background: #3A3A46; border-radius: 4px; min-height: 30px; }
QScrollBar::add-line, QScrollBar::sub-line { height: 0; width: 0; }
QScrollBar:horizontal { background: transparent; height: 8px; }
QScrollBar::handle:horizontal { background: #3A3A46; border-radius: 4px; min-width: 30px; }
QToolButton#bannerClose { background: transparent; border: none; color: #E0E0E8; padding: 2px 8px; }
QFrame#banner QLabel { background: transparent; }
QSplitter::handle { background: #16161B; width: 10px; }
QToolTip { background: #2A2A33; color: #ECECF1; border: 1px solid #3A3A46; padding: 4px; }
"""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#16161B"), (QPalette.ColorRole.WindowText, "#ECECF1"),
        (QPalette.ColorRole.Base, "#1E1E25"), (QPalette.ColorRole.AlternateBase, "#24242C"),
        (QPalette.ColorRole.Text, "#ECECF1"), (QPalette.ColorRole.Button, "#26262E"),
        (QPalette.ColorRole.ButtonText, "#ECECF1"), (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, "#FFFFFF"), (QPalette.ColorRole.ToolTipBase, "#2A2A33"),
        (QPalette.ColorRole.ToolTipText, "#ECECF1"), (QPalette.ColorRole.PlaceholderText, "#7A7A88"),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    app.setStyleSheet(STYLESHEET)


def toggle_icon(size: int = 18, dpr: float = 2.0) -> QIcon:
    """An on/off lamp for the toolbar's toggles: a filled white dot when on, a hollow grey ring when off, so
    the state reads by shape as well as by colour."""
    icon = QIcon()
    for state, on in ((QIcon.State.On, True), (QIcon.State.Off, False)):
        pm = QPixmap(int(size * dpr), int(size * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        c = QPointF(size / 2, size / 2)
        if on:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#FFFFFF"))
            p.drawEllipse(c, size * 0.28, size * 0.28)
        else:
            p.setPen(QPen(QColor("#8A8A98"), 1.6))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(c, size * 0.26, size * 0.26)
        p.end()
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Active, QIcon.Mode.Selected):
            icon.addPixmap(pm, mode, state)
    return icon
