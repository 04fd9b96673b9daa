"""The main window: preview + HUD, the lipstick and outfit panels (in tabs; the look keys act on the tab
shown), source and resolution pickers, snapshots and recording, messages, settings and language.

The GUI thread only polls: a 5 ms timer drains pipeline events and takes the newest result from the
result slot; PNG encoding and MP4 encoding run in their own threads. Every handler is timed by a
BlockMeter so the 16 ms budget is measured, not assumed.
"""

from __future__ import annotations

import html
import json
import logging
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
from PySide6.QtCore import QSettings, QSize, QStandardPaths, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QFont, QFontMetrics, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tryon_desktop.core.looks import (
    Look,
    OutfitSwatch,
    Shade,
    default_catalogue,
    default_outfit_catalogue,
    load_outfit_catalogue,
)
from tryon_desktop.errors import LookError, TryOnError
from tryon_desktop.pipeline.capture import (
    DEFAULT_RESOLUTION,
    RESOLUTIONS,
    CameraInfo,
    CameraSource,
    DemoSource,
    FrameSource,
    PipelineEvent,
    list_cameras,
    parse_source,
)
from tryon_desktop.pipeline.recorder import (
    Snapshot,
    VideoRecorder,
    folder_problem,
    recent_snapshots,
    recording_name,
    save_snapshot,
    snapshot_meta,
)
from tryon_desktop.pipeline.worker import Pipeline, default_engine_factory
from tryon_desktop.ui import i18n
from tryon_desktop.ui.garment_swatch_dialog import GarmentSwatchDialog
from tryon_desktop.ui.hud import BlockMeter, HudStats
from tryon_desktop.ui.i18n import tr
from tryon_desktop.ui.lipstick_panel import LipstickPanel
from tryon_desktop.ui.outfit_panel import OutfitPanel
from tryon_desktop.ui.preview import PreviewWidget, to_qimage
from tryon_desktop.ui.style import toggle_icon
from tryon_desktop.ui.swatch_panel import SwatchPanel
from tryon_desktop.vision.garment_swatch import load_custom_swatches

log = logging.getLogger(__name__)

TICK_MS = 5
STRIP_MAX = 12
MIN_SIZE = (1024, 640)  # everything fits and works from here up


def default_snapshot_dir() -> str:
    pics = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation) or str(Path.home())
    return str(Path(pics) / "tryon-desktop")


def bgr_to_pixmap(bgr) -> QPixmap:
    return QPixmap.fromImage(to_qimage(bgr))


class Banner(QFrame):
    """Messages over the preview that the user must see (no camera, errors), up to three at once:
    a newer message does not hide an older one (e.g. "no camera" stays beside the renderer notice)."""

    COLOURS = {"info": "#2B3A55", "warning": "#5A4516", "error": "#5E2129"}
    RANK = {"info": 0, "warning": 1, "error": 2}
    MAX_LINES = 3

    def __init__(self, parent=None) -> None:
        super().__init__(parent, objectName="banner")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 6, 6)
        self.label = QLabel(wordWrap=True)
        self.close_button = QToolButton(text="✕", objectName="bannerClose")
        self.close_button.clicked.connect(self.clear)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.close_button)
        self.messages: dict[str, tuple[str, str]] = {}  # key -> (level, text), oldest first
        self.key = ""  # the newest message's key
        self.hide()

    def show_message(self, level: str, text: str, key: str = "") -> None:
        key = key or text
        self.messages.pop(key, None)
        self.messages[key] = (level, text)
        while len(self.messages) > self.MAX_LINES:
            self.messages.pop(next(iter(self.messages)))
        self.key = key
        self._render()

    def remove(self, *keys: str) -> None:
        for k in keys:
            self.messages.pop(k, None)
        self.key = next(reversed(self.messages), "") if self.messages else ""
        self._render()

    def clear(self) -> None:
        self.messages.clear()
        self.key = ""
        self._render()

    def _render(self) -> None:
        if not self.messages:
            self.hide()
            return
        level = max((lv for lv, _ in self.messages.values()), key=lambda lv: self.RANK.get(lv, 0))
        self.setStyleSheet(f"#banner {{ background: {self.COLOURS.get(level, '#2B3A55')}; border-radius: 8px; }}")
        self.label.setText("\n".join(t for _, t in reversed(self.messages.values())))
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, source: str | None = None, settings: QSettings | None = None,
                 engine_factory=default_engine_factory, snapshot_dir: str | None = None,
                 resolution: tuple[int, int] | None = None, lang: str | None = None,
                 cameras: list[CameraInfo] | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings("tryon-desktop", "tryon-desktop")
        i18n.set_language(lang or str(self.settings.value("language", i18n.system_language())))
        i18n.install_qt_translations(i18n.language())
        self.stats = HudStats()
        self.meter = BlockMeter()
        self.pipeline = Pipeline(engine_factory)
        self.catalogue = default_catalogue()
        self.outfit_catalogue, self._outfit_catalogue_problem = self._load_outfit_catalogue()
        self.cameras = cameras if cameras is not None else self._enumerate_cameras()
        self.resolution = resolution or self._saved_resolution()
        self._folder_notices: list[tuple[str, dict]] = []
        self.snapshot_dir = self._initial_snapshot_dir(snapshot_dir)
        self.recorder: VideoRecorder | None = None
        self._finishing: list[VideoRecorder] = []
        self._snap_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot")
        self._snap_done: queue.Queue = queue.Queue()
        self._strip_loaded: queue.Queue = queue.Queue()
        self._snap_busy = 0
        self.snapshots: list[Snapshot] = []
        self.source_spec: str = "demo"
        self.file_source: str | None = None
        self.last_message: tuple[str, str] = ("", "")
        self._last_tick = time.perf_counter()
        self.tick_gap_max = 0.0
        self._closed = False
        self._banner_args: dict[str, tuple[str, dict]] = {}

        self.setMinimumSize(QSize(*MIN_SIZE))
        self._build_ui()
        self._build_actions()
        self._restore_look()
        self.retranslate()
        for key, args in self._folder_notices:
            self._show("warning", key, **args)
        if self._outfit_catalogue_problem:
            self._show("warning", "outfit_catalogue_bad", detail=self._outfit_catalogue_problem)
        if self._custom_problems:
            self._show("warning", "custom_swatches_bad", detail=self._custom_problems[0])
        self._load_recent_snapshots()

        self.pipeline.display.mirror = self.mirror_action.isChecked()
        self.pipeline.worker.start()
        self._start_initial_source(source)

        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start(TICK_MS)
        self.status_timer = QTimer(self)
        self.status_timer.timeout.connect(self._refresh_status)
        self.status_timer.start(500)

        geo = self.settings.value("geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1360, 860)

    # ---- construction --------------------------------------------------------------------------
    @staticmethod
    def _load_outfit_catalogue() -> tuple[tuple[OutfitSwatch, ...], str]:
        """The outfit catalogue, and what was wrong with it: a bad entry is left out (the rest stay), an
        unreadable file leaves the panel with its custom colour only; the lipstick is never held up by it."""
        try:
            return default_outfit_catalogue(), ""
        except LookError:
            pass
        skipped: list[str] = []
        try:
            good = tuple(load_outfit_catalogue(skipped=skipped))
        except LookError as exc:
            return (), str(exc)
        return good, skipped[0] + (f" (+{len(skipped) - 1} more)" if len(skipped) > 1 else "")

    def _enumerate_cameras(self) -> list[CameraInfo]:
        try:
            return list_cameras()
        except Exception:
            log.exception("camera enumeration failed")
            return []

    def _saved_resolution(self) -> tuple[int, int]:
        text = str(self.settings.value("resolution", "{}x{}".format(*DEFAULT_RESOLUTION)))
        try:
            w, h = (int(v) for v in text.lower().split("x"))
            return (w, h)
        except ValueError:
            return DEFAULT_RESOLUTION

    def _initial_snapshot_dir(self, wanted: str | None) -> str:
        """The snapshot folder: the one asked for (--snapshot-dir), else the saved one, else the default;
        a folder snapshots cannot go to is reported (what is wrong with it) and never saved, and the
        previous good value is kept."""
        saved = str(self.settings.value("snapshot_dir", "") or "")
        candidates = [str(Path(c).expanduser()) for c in (wanted, saved) if c and str(c).strip()]
        for cand in candidates:
            problem = folder_problem(cand)
            if problem is None:
                chosen = str(cand)
                break
            self._folder_notices.append(("folder_" + problem, {"folder": str(cand)}))
        else:
            chosen = default_snapshot_dir()
        for _, args in self._folder_notices:
            args["kept"] = chosen
        return chosen

    def _build_ui(self) -> None:
        # toolbar: source, resolution, view toggles, capture buttons
        tb = QToolBar(objectName="mainToolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(18, 18))
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb
        self.source_label = QLabel(objectName="toolLabel")
        # a fixed width (a long camera name must not push the capture buttons off a 1024 px toolbar): a long
        # name is elided in the box, shown whole in its list and its tooltip
        self.source_combo = QComboBox(minimumContentsLength=16)
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_combo.activated.connect(self._source_chosen)
        self.res_label = QLabel(objectName="toolLabel")
        self.res_combo = QComboBox()
        for w, h in RESOLUTIONS:
            self.res_combo.addItem(f"{w} × {h}", (w, h))
        self.res_combo.activated.connect(self._resolution_chosen)
        tb.addWidget(self.source_label)
        tb.addWidget(self.source_combo)
        tb.addSeparator()
        tb.addWidget(self.res_label)
        tb.addWidget(self.res_combo)
        tb.addSeparator()

        central = QWidget()
        root = QHBoxLayout(central)
        root.setContentsMargins(10, 10, 10, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        root.addWidget(split)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(8)
        self.banner = Banner()
        lv.addWidget(self.banner)
        self.preview = PreviewWidget(self.stats, self.meter)
        self.preview.setObjectName("preview")
        self.preview.displaySizeChanged.connect(self._display_size_changed)
        lv.addWidget(self.preview, 1)

        strip_row = QHBoxLayout()
        strip_row.setSpacing(8)
        self.strip_title = QLabel(objectName="sectionTitle")
        self.strip = QListWidget(objectName="strip")
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(QSize(112, 64))
        self.strip.setFixedHeight(88)
        self.strip.setMovement(QListWidget.Movement.Static)
        self.strip.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.strip.itemActivated.connect(self._open_snapshot)
        self.strip_empty = QLabel(objectName="muted")
        self.open_folder_button = QPushButton()
        self.open_folder_button.clicked.connect(self.open_snapshot_folder)
        col = QVBoxLayout()
        col.addWidget(self.strip_title)
        col.addWidget(self.open_folder_button)
        col.addStretch(1)
        strip_row.addLayout(col)
        strip_row.addWidget(self.strip, 1)
        strip_row.addWidget(self.strip_empty, 1)
        lv.addLayout(strip_row)
        split.addWidget(left)

        self.tabs = QTabWidget(objectName="sideTabs")
        self.lipstick_panel = LipstickPanel(self.catalogue)
        self.lipstick_panel.shadeChanged.connect(self._shade_changed)
        self.lipstick_panel.favouritesChanged.connect(
            lambda: self.settings.setValue("favourites", self.lipstick_panel.favourites_json()))
        self.tabs.addTab(self.lipstick_panel, "")
        self.outfit_panel = OutfitPanel(self.outfit_catalogue)
        self.outfit_panel.outfitChanged.connect(self._outfit_changed)
        self.outfit_panel.favouritesChanged.connect(
            lambda: self.settings.setValue("outfit_favourites", self.outfit_panel.favourites_json()))
        self.outfit_panel.fromPhotoRequested.connect(self.swatch_from_photo)
        custom, self._custom_problems = load_custom_swatches()
        self.outfit_panel.add_custom(custom)
        self.tabs.addTab(self.outfit_panel, "")
        # the card's line about the rest of the look leads to the other tab
        self.lipstick_panel.otherEffectRequested.connect(lambda: self.tabs.setCurrentWidget(self.outfit_panel))
        self.outfit_panel.otherEffectRequested.connect(lambda: self.tabs.setCurrentWidget(self.lipstick_panel))
        self.tabs.setMinimumWidth(352)
        self.tabs.setMaximumWidth(440)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        self.setCentralWidget(central)

        # status bar: message on the left, source / engine / recording on the right
        sb = self.statusBar()
        self.status_source = QLabel(objectName="statusItem")
        self.status_engine = QLabel(objectName="statusItem")
        self.status_rec = QLabel(objectName="recBadge")
        self.status_rec.hide()
        sb.addPermanentWidget(self.status_rec)
        sb.addPermanentWidget(self.status_source)
        sb.addPermanentWidget(self.status_engine)
        self._refresh_sources()

    def _build_actions(self) -> None:
        def action(shortcuts, slot, checkable=False, checked=False):
            a = QAction(self)
            a.setShortcuts([QKeySequence(s) for s in shortcuts])
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setCheckable(checkable)
            if checkable:
                a.setChecked(checked)
                a.toggled.connect(slot)
            else:
                a.triggered.connect(slot)
            self.addAction(a)
            return a

        s = self.settings
        self.snapshot_action = action(["S", "Ctrl+S"], self.take_snapshot)
        self.record_action = action(["R", "Ctrl+R"], self.toggle_recording)
        self.open_action = action(["Ctrl+O"], self.open_file_dialog)
        self.folder_action = action(["Ctrl+Shift+O"], self.open_snapshot_folder)
        self.choose_folder_action = action([], self.choose_snapshot_folder)
        self.quit_action = action(["Ctrl+Q"], self.close)
        self.mirror_action = action(["M"], self._mirror_toggled, True, _bool(s.value("mirror", True)))
        # Snapshots and videos keep the true (un-mirrored) view, as most selfie apps save them, unless asked.
        self.mirror_saves_action = action([], self._mirror_saves_toggled, True, _bool(s.value("mirror_saves", False)))
        self.split_action = action(["B"], self._split_toggled, True, False)
        self.hud_action = action(["H"], self._hud_toggled, True, _bool(s.value("hud", True)))
        # a magnified inset of the lips, so a finish can be judged when the face is small in the picture
        self.zoom_action = action(["Z"], self._zoom_toggled, True, _bool(s.value("zoom", True)))
        self.mask_action = action(["G"], self._mask_toggled, True, False)
        self.mask_action.toggled.connect(self.outfit_panel.set_mask_shown)  # one state: the action's
        self.outfit_panel.maskToggled.connect(self.mask_action.setChecked)
        # the garment mask's body fill (the person's outline completes the live mask): on unless turned off
        self.fill_action = action(["W"], self._fill_toggled, True, _bool(s.value("body_fill", True)))
        self.fill_action.toggled.connect(self.outfit_panel.set_fill_on)
        self.outfit_panel.fillToggled.connect(self.fill_action.setChecked)
        self.outfit_panel.set_fill_on(self.fill_action.isChecked())
        self.pipeline.display.body_fill = self.fill_action.isChecked()
        self.full_action = action(["F11"], self._fullscreen_toggled, True, False)
        # the look keys act on the tab shown: its swatches, its amount (opacity, strength), its favourites
        self.next_action = action(["Right", "]"], lambda: self.shown_panel().step(1))
        self.prev_action = action(["Left", "["], lambda: self.shown_panel().step(-1))
        self.more_action = action(["Up", "+", "="], lambda: self.shown_panel().nudge(0.05))
        self.less_action = action(["Down", "-"], lambda: self.shown_panel().nudge(-0.05))
        self.bare_action = action(["0"], lambda: self.shown_panel().clear())
        self.fav_action = action(["F"], lambda: self.shown_panel().toggle_favourite())
        self.custom_action = action(["C"], lambda: self.shown_panel().choose_custom_colour())
        self.finish_actions = []
        for i, f in enumerate(self.lipstick_panel.finish_buttons):
            self.finish_actions.append(action([f"Ctrl+{i + 1}"], lambda _=False, f=f: self.lipstick_panel.set_finish(f)))
        self.keys_action = action(["F1", "?"], self.show_shortcuts)
        self.about_action = action([], self.show_about)
        self.lang_actions = {}
        for code in i18n.LANGUAGES:
            a = QAction(i18n.LANGUAGES[code], self)
            a.setCheckable(True)
            a.triggered.connect(lambda _=False, c=code: self.set_language(c))
            self.lang_actions[code] = a

        # toolbar buttons
        tb = self.toolbar
        # the view toggles, each with an on/off lamp (the stats overlay and the garment mask overlay are in
        # the View menu: the toolbar keeps room for the capture buttons from 1024 px up)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        lamp = toggle_icon()
        for a in (self.mirror_action, self.mirror_saves_action, self.split_action, self.hud_action,
                  self.zoom_action, self.mask_action, self.fill_action):
            a.setIcon(lamp)
            a.setIconVisibleInMenu(False)  # menus show their own check marks
        for a in (self.mirror_action, self.split_action, self.zoom_action):
            tb.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy())
        tb.addWidget(spacer)
        self.snap_button = QPushButton(objectName="accentButton")
        self.snap_button.clicked.connect(self.take_snapshot)
        self.rec_button = QPushButton(objectName="recButton")
        self.rec_button.setCheckable(True)
        self.rec_button.clicked.connect(self.toggle_recording)
        tb.addWidget(self.rec_button)
        tb.addWidget(self.snap_button)
        self._fix_rec_button_width()

        # menus
        mb = self.menuBar()
        self.file_menu = mb.addMenu("")
        for a in (self.open_action, None, self.snapshot_action, self.record_action, None, self.folder_action,
                  self.choose_folder_action, None, self.quit_action):
            self.file_menu.addSeparator() if a is None else self.file_menu.addAction(a)
        self.look_menu = mb.addMenu("")
        for a in (self.next_action, self.prev_action, self.more_action, self.less_action, self.bare_action,
                  self.fav_action, self.custom_action, None, *self.finish_actions):
            self.look_menu.addSeparator() if a is None else self.look_menu.addAction(a)
        self.view_menu = mb.addMenu("")
        for a in (self.mirror_action, self.mirror_saves_action, self.split_action, self.zoom_action, self.hud_action,
                  self.mask_action, self.fill_action, self.full_action):
            self.view_menu.addAction(a)
        self.view_menu.addSeparator()
        self.lang_menu = self.view_menu.addMenu("")
        for a in self.lang_actions.values():
            self.lang_menu.addAction(a)
        self.help_menu = mb.addMenu("")
        self.help_menu.addAction(self.keys_action)
        self.help_menu.addAction(self.about_action)
        self.preview.hud_visible = self.hud_action.isChecked()
        self.preview.set_zoom_enabled(self.zoom_action.isChecked())

    def _fix_rec_button_width(self) -> None:
        """One width for the Record/Stop button that fits its longest label in every language and in both
        states (checked is bold): the toolbar does not jump when it changes, and "Stop" is never clipped."""
        b = self.rec_button
        b.ensurePolished()
        bold = QFont(b.font())
        bold.setBold(True)
        plain_fm, bold_fm = QFontMetrics(b.font()), QFontMetrics(bold)
        text, checked = b.text(), b.isChecked()
        width = 0
        for label in rec_button_labels():
            b.setText(label)
            extra = max(0, bold_fm.horizontalAdvance(label) - plain_fm.horizontalAdvance(label))
            width = max(width, b.sizeHint().width() + extra)
        b.setText(text)
        b.setChecked(checked)
        b.setFixedWidth(width + 8)

    def retranslate(self) -> None:
        self.setWindowTitle(tr("app_title"))
        self.source_label.setText(tr("source") + " ")
        self.res_label.setText(tr("resolution") + " ")
        self.res_combo.setToolTip(tr("resolution_tip"))
        names = {
            self.snapshot_action: "snapshot", self.record_action: "record", self.open_action: "open_file",
            self.folder_action: "open_folder", self.choose_folder_action: "choose_folder",
            self.quit_action: "quit", self.mirror_action: "mirror", self.mirror_saves_action: "mirror_saves",
            self.split_action: "before_after",
            self.hud_action: "hud", self.zoom_action: "zoom", self.mask_action: "mask_overlay",
            self.fill_action: "body_fill",
            self.full_action: "fullscreen", self.fav_action: "favourite", self.custom_action: "custom_colour",
            self.keys_action: "shortcuts", self.about_action: "about",
        }
        self._name_actions(names)
        self._name_look_actions()
        for a, f in zip(self.finish_actions, self.lipstick_panel.finish_buttons, strict=True):
            a.setText(tr("finish") + ": " + i18n.finish_name(f))
        self.file_menu.setTitle(tr("menu_file"))
        self.look_menu.setTitle(tr("menu_look"))
        self.view_menu.setTitle(tr("menu_view"))
        self.lang_menu.setTitle(tr("language"))
        self.help_menu.setTitle(tr("menu_help"))
        for code, a in self.lang_actions.items():
            a.setChecked(code == i18n.language())
        self.snap_button.setText("  " + tr("snapshot"))
        self.snap_button.setToolTip(self.snapshot_action.toolTip())
        self._sync_rec_button()
        self.strip_title.setText(tr("recent_snapshots"))
        self.strip_empty.setText(tr("no_snapshots"))
        self.open_folder_button.setText(tr("open_folder"))
        self.tabs.setTabText(0, tr("tab_lipstick"))
        self.tabs.setTabText(1, tr("tab_outfit"))
        self.lipstick_panel.retranslate()
        self.outfit_panel.retranslate()
        self.preview.placeholder = tr("starting")
        self._refresh_sources()
        self._refresh_status()
        self._update_strip_visibility()
        for key in list(self.banner.messages):
            if key in self._banner_args:
                level, args = self._banner_args[key]
                self.banner.messages[key] = (level, tr(key, **args))
        self.banner._render()
        if self.source_spec == "demo":
            self.stats.source = tr("demo_source")

    def _name_actions(self, names: dict) -> None:
        for a, key in names.items():
            a.setText(tr(key))
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
            a.setToolTip(f"{tr(key)} ({keys})" if keys else tr(key))

    def _name_look_actions(self) -> None:
        """The look keys say what they do on the tab shown."""
        outfit = self.shown_panel() is self.outfit_panel
        keys = (("next_outfit", "prev_outfit", "more_strength", "less_strength", "no_outfit") if outfit else
                ("next_shade", "prev_shade", "more_opacity", "less_opacity", "bare_lips"))
        self._name_actions(dict(zip((self.next_action, self.prev_action, self.more_action, self.less_action,
                                     self.bare_action), keys, strict=True)))

    def shown_panel(self) -> SwatchPanel:
        """The panel of the tab shown: the look keys act on it."""
        w = self.tabs.currentWidget()
        return w if isinstance(w, SwatchPanel) else self.lipstick_panel

    def _tab_changed(self, index: int) -> None:
        self._name_look_actions()
        self.settings.setValue("side_tab", index)

    # ---- sources -------------------------------------------------------------------------------
    def _refresh_sources(self) -> None:
        combo = self.source_combo
        combo.blockSignals(True)
        combo.clear()
        for cam in self.cameras:
            combo.addItem(cam.name, f"camera:{cam.index}")
        combo.addItem(tr("demo_source"), "demo")
        if self.file_source:
            combo.addItem(Path(self.file_source).name, f"file:{self.file_source}")
        combo.addItem(tr("open_file") + "…", "open")
        i = combo.findData(self.source_spec)
        combo.setCurrentIndex(max(0, i))
        fm = combo.fontMetrics()
        for k in range(combo.count()):
            combo.setItemData(k, combo.itemText(k), Qt.ItemDataRole.ToolTipRole)
        combo.view().setMinimumWidth(max(fm.horizontalAdvance(combo.itemText(k)) for k in range(combo.count())) + 48)
        combo.setToolTip(combo.currentText())
        combo.blockSignals(False)
        self.res_combo.blockSignals(True)
        # by value: findData compares the stored Python tuples by identity, so it missed and added a twin
        want = tuple(int(v) for v in self.resolution)
        j = next((k for k in range(self.res_combo.count())
                  if tuple(self.res_combo.itemData(k) or ()) == want), -1)
        if j < 0:
            self.res_combo.addItem("{} × {}".format(*self.resolution), self.resolution)
            j = self.res_combo.count() - 1
        self.res_combo.setCurrentIndex(j)
        self.res_combo.setEnabled(not self.source_spec.startswith("file:"))  # files keep their own size
        self.res_combo.blockSignals(False)

    def _start_initial_source(self, source: str | None) -> None:
        if source is not None and str(source).strip() != "":
            spec = str(source).strip()
            if spec.isdigit():
                self.select_source(f"camera:{int(spec)}")
            elif spec.lower() == "demo":
                self.select_source("demo")
            else:
                self.select_source(f"file:{spec}")
            return
        saved = str(self.settings.value("camera", "camera:0"))
        if not saved.startswith("camera:"):
            saved = "camera:0"
        known = {f"camera:{c.index}" for c in self.cameras}
        if saved in known:
            self.select_source(saved)
        elif self.cameras:
            self.select_source(f"camera:{self.cameras[0].index}")
        else:
            self._show("warning", "no_camera")
            self.select_source("demo", remember=False)

    def select_source(self, spec: str, remember: bool = True) -> None:
        try:
            src = self._make_source(spec)
        except TryOnError as exc:
            self._show("error", "source_failed", name=spec, error=str(exc))
            return
        self.source_spec = spec
        if spec.startswith("file:"):
            self.file_source = spec[5:]
        self.stats.reset()
        self.stats.source = src.label
        self.preview.clear(tr("starting"))
        self.pipeline.set_source(src)
        if remember and spec.startswith("camera:"):
            self.settings.setValue("camera", spec)
        self.banner.remove("camera_lost", "camera_reconnecting", "camera_unavailable", "source_ended")
        if spec != "demo":  # "no camera: showing the demo photo" is stale once the user picks something else
            self.banner.remove("no_camera", "camera_unavailable_demo")
        self._refresh_sources()

    def _make_source(self, spec: str) -> FrameSource:
        if spec == "demo":
            src = DemoSource(self.resolution)
            src.label = tr("demo_source")
            return src
        if spec.startswith("camera:"):
            idx = int(spec.split(":", 1)[1])
            name = next((c.name for c in self.cameras if c.index == idx), f"Camera {idx}")
            return CameraSource(idx, self.resolution, name)
        if spec.startswith("file:"):
            return parse_source(spec[5:], self.resolution)
        raise TryOnError(f"unknown source {spec!r}")

    def _source_chosen(self, index: int) -> None:
        spec = self.source_combo.itemData(index)
        if spec == "open":
            self._refresh_sources()
            self.open_file_dialog()
        elif spec and spec != self.source_spec:
            self.select_source(spec)

    def _resolution_chosen(self, index: int) -> None:
        res = self.res_combo.itemData(index)
        if res and tuple(res) != tuple(self.resolution):
            self.resolution = tuple(res)
            self.settings.setValue("resolution", "{}x{}".format(*self.resolution))
            if not self.source_spec.startswith("file:"):
                self.select_source(self.source_spec)

    def open_file_dialog(self) -> None:
        filt = tr("media_filter") + " (*.mp4 *.mov *.avi *.mkv *.webm *.m4v *.png *.jpg *.jpeg *.bmp *.webp)"
        path, _ = QFileDialog.getOpenFileName(self, tr("open_file"), str(Path.home()), filt)
        if path:
            self.select_source(f"file:{path}")

    # ---- looks ---------------------------------------------------------------------------------
    def _restore_look(self) -> None:
        """The last look, every effect of it (settings of earlier versions held only a shade)."""
        self.lipstick_panel.load_favourites(str(self.settings.value("favourites", "[]")))
        self.outfit_panel.load_favourites(str(self.settings.value("outfit_favourites", "[]")))
        text = self.settings.value("look")
        look = None
        if text:
            try:
                look = Look.from_dict(json.loads(str(text)))
            except Exception:
                log.warning("the saved look could not be read; starting bare")
                look = Look()
        if look is None:  # first start: a lipstick to show what the app does
            look = Look(lipstick=next((s for s in self.catalogue if s.name == "Classic Red"), self.catalogue[0]))
        self.look = look
        self.lipstick_panel.set_shade(look.lipstick, emit=False)
        self.outfit_panel.set_outfit(look.outfit, emit=False)
        self.pipeline.set_look(self.look)
        self._show_look()
        tab = self.settings.value("side_tab", 0)
        self.tabs.setCurrentIndex(int(tab) if str(tab).isdigit() and int(tab) < self.tabs.count() else 0)
        self.tabs.currentChanged.connect(self._tab_changed)

    def _set_look(self, look: Look) -> None:
        self.look = look
        self.pipeline.set_look(look)
        self.settings.setValue("look", json.dumps(look.to_dict()))
        self._show_look()

    def _show_look(self) -> None:
        """Each panel's card shows its own effect and, on its last line, the rest of the look."""
        for panel in (self.lipstick_panel, self.outfit_panel):
            panel.show_look(self.look)

    def _shade_changed(self, shade: Shade | None) -> None:
        self._set_look(self.look.with_(lipstick=shade))
        self.settings.setValue("favourites", self.lipstick_panel.favourites_json())

    def swatch_from_photo(self, path: str | None = None) -> GarmentSwatchDialog:
        """The dialog that makes an outfit swatch from a garment photo (it asks for the photo when `path` is
        None); a saved swatch joins the Outfit tab under Custom and is worn at once."""
        dialog = GarmentSwatchDialog(path, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self._custom_swatch_saved)
        dialog.open()
        if path is None:
            dialog.choose_file()
        return dialog

    def _custom_swatch_saved(self, swatch: OutfitSwatch) -> None:
        self.outfit_panel.add_custom([swatch])
        self.outfit_panel.set_outfit(swatch)
        self.tabs.setCurrentWidget(self.outfit_panel)

    def _outfit_changed(self, outfit: OutfitSwatch | None) -> None:
        self._set_look(self.look.with_(outfit=outfit))
        self.settings.setValue("outfit_favourites", self.outfit_panel.favourites_json())

    # ---- view toggles --------------------------------------------------------------------------
    def _mirror_toggled(self, on: bool) -> None:
        self.pipeline.display.mirror = on
        self.settings.setValue("mirror", on)

    def _mirror_saves_toggled(self, on: bool) -> None:
        self.settings.setValue("mirror_saves", on)

    def _split_toggled(self, on: bool) -> None:
        self.pipeline.display.want_original = on
        self.preview.set_split_enabled(on)

    def _mask_toggled(self, on: bool) -> None:
        """Draw the garment mask over the preview (not over snapshots), to see why an outfit looks wrong."""
        self.pipeline.display.show_mask = on

    def _fill_toggled(self, on: bool) -> None:
        """The garment mask's body fill on or off (the worker hands it to the engine before the next frame)."""
        self.pipeline.display.body_fill = on
        self.settings.setValue("body_fill", on)

    def _hud_toggled(self, on: bool) -> None:
        self.preview.hud_visible = on
        self.preview.update()
        self.settings.setValue("hud", on)

    def _zoom_toggled(self, on: bool) -> None:
        self.preview.set_zoom_enabled(on)
        self.settings.setValue("zoom", on)

    def _fullscreen_toggled(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def _display_size_changed(self, w: int, h: int) -> None:
        self.pipeline.display.size = (w, h)

    def set_language(self, code: str) -> None:
        i18n.set_language(code)
        i18n.install_qt_translations(i18n.language())  # Qt's own dialogs and key names
        self.settings.setValue("language", i18n.language())
        self.retranslate()

    # ---- the GUI loop --------------------------------------------------------------------------
    def _tick(self) -> None:
        with self.meter.measure("tick"):
            now = time.perf_counter()
            self.tick_gap_max = max(self.tick_gap_max, (now - self._last_tick) * 1000.0)
            self._last_tick = now
            for _ in range(20):
                try:
                    self._handle_event(self.pipeline.events.get_nowait())
                except queue.Empty:
                    break
            while True:
                try:
                    self._recent_loaded(*self._strip_loaded.get_nowait())
                except queue.Empty:
                    break
            while True:
                try:
                    self._snapshot_finished(*self._snap_done.get_nowait())
                except queue.Empty:
                    break
            result = self.pipeline.results.take_nowait()
            if result is not None and result.source_id == self.pipeline.source_id:
                self.preview.set_result(result)
                if self.recorder is not None:
                    self.recorder.push(result.frame, result.t_capture, result.mirrored and self.mirror_saves)
            for rec in list(self._finishing):
                if not rec.is_alive():
                    self._finishing.remove(rec)
                    self._recording_finished(rec)

    def _handle_event(self, ev: PipelineEvent) -> None:
        if ev.key == "engine_ready":
            self.stats.provider = ev.args.get("provider", "")
            self.stats.renderer = ev.args.get("renderer", "")
            self.stats.notice = ev.args.get("notice", "")
            if self.stats.notice:
                self._show("warning", "reference_notice")
            if ev.args.get("garment_notice"):
                self._show("warning", "garment_notice", detail=ev.args["garment_notice"])
            possible = bool(ev.args.get("body_fill_possible", True))
            self.fill_action.setEnabled(possible)
            self.outfit_panel.set_fill_possible(possible)
            self._refresh_status()
            return
        if ev.source_id not in (-1, self.pipeline.source_id):
            return  # about a source we already left
        if ev.key == "engine_failed":
            self._show("error", "engine_failed", **ev.args)
        elif ev.key == "worker_error":
            self._show("error", "worker_error", **ev.args)
        elif ev.key == "camera_unavailable":
            self._show("warning", "camera_unavailable_demo", **ev.args)
            self.select_source("demo", remember=False)
        elif ev.key in ("camera_lost", "camera_reconnecting"):
            self._show("warning", ev.key, **ev.args)
        elif ev.key == "camera_back":
            self._show("info", "camera_back", **ev.args)
        elif ev.key in ("source_failed", "capture_crashed", "source_ended"):
            self._show("error", ev.key, **ev.args)
            if self.source_spec != "demo":
                self.select_source("demo", remember=False)

    def _show(self, level: str, key: str, **args) -> None:
        """A message the user sees in the banner and the status bar, and that the log keeps."""
        text = tr(key, **args)
        self.last_message = (level, key)
        getattr(log, {"info": "info", "warning": "warning"}.get(level, "error"))(text)
        self.statusBar().showMessage(text, 8000)
        if level in ("warning", "error") or key in ("camera_back",):
            self._banner_args[key] = (level, args)
            self.banner.show_message(level, text, key)
            if key == "camera_back":
                self.banner.remove("camera_lost", "camera_reconnecting")
                QTimer.singleShot(3000, lambda: self.banner.remove("camera_back"))

    def _refresh_status(self) -> None:
        w, h = self.stats.size if self.stats.size != (0, 0) else (0, 0)
        r = self.preview.result
        if r is not None:
            h, w = r.frame.shape[:2]
        size = f" · {w}×{h}" if w else ""
        self.status_source.setText(f"{self.stats.source}{size}")
        if self.stats.provider:
            self.status_engine.setText(tr("status_engine", renderer=tr("renderer_" + (self.stats.renderer or "none")),
                                          provider=self.stats.provider))
        else:
            self.status_engine.setText(tr("engine_starting"))
        if self.recorder is not None:
            secs = int(time.perf_counter() - self._rec_started)
            self.status_rec.setText(f"● {tr('rec')} {secs // 60:02d}:{secs % 60:02d}")

    # ---- snapshots -----------------------------------------------------------------------------
    @property
    def mirror_saves(self) -> bool:
        """Whether snapshots and videos are saved mirrored like the preview (off: the true view)."""
        return self.mirror_saves_action.isChecked()

    def shown_frame(self):
        """The made-up frame as it is saved, full resolution: the true (un-mirrored) view, or mirrored like
        the preview when the user asked for mirrored saves. Returns (frame, result, mirrored)."""
        r = self.preview.result
        if r is None:
            return None, None, False
        mirrored = bool(r.mirrored and self.mirror_saves)
        frame = cv2.flip(r.frame, 1) if mirrored else r.frame
        return frame, r, mirrored

    def take_snapshot(self) -> None:
        frame, r, mirrored = self.shown_frame()
        if frame is None:
            self._show("warning", "nothing_to_save")
            return
        meta = snapshot_meta(r.look, self.pipeline.worker.engine_info, mirrored, (frame.shape[1], frame.shape[0]))
        folder = self.snapshot_dir
        self._snap_busy += 1

        def job():
            try:
                snap = save_snapshot(frame, folder, meta)
                self._snap_done.put((snap, None))
            except TryOnError as exc:
                self._snap_done.put((None, str(exc)))
            except Exception as exc:  # never let a snapshot take the app down
                log.exception("snapshot failed")
                self._snap_done.put((None, f"{type(exc).__name__}: {exc}"))

        self._snap_pool.submit(job)

    def _snapshot_finished(self, snap: Snapshot | None, error: str | None) -> None:
        self._snap_busy -= 1
        if snap is None:
            self._show("error", "snapshot_failed", error=error)
            return
        self.snapshots.insert(0, snap)
        self.strip.insertItem(0, self._strip_item(snap))
        while self.strip.count() > STRIP_MAX:
            self.strip.takeItem(self.strip.count() - 1)
        self._update_strip_visibility()
        self.statusBar().showMessage(tr("snapshot_saved", name=snap.png.name, folder=str(snap.png.parent)), 5000)
        self.banner.remove("snapshot_failed")

    def _strip_item(self, snap: Snapshot) -> QListWidgetItem:
        item = QListWidgetItem(QIcon(bgr_to_pixmap(snap.thumbnail)), "")
        item.setData(Qt.ItemDataRole.UserRole, str(snap.png))
        shade, outfit = snap.meta.get("shade"), snap.meta.get("outfit")
        lines = [snap.png.name, f"{tr('tab_lipstick')}: {i18n.shade_name(shade) if shade else tr('bare_lips')}"]
        if outfit:
            lines.append(f"{tr('tab_outfit')}: {i18n.outfit_name(outfit)}")
        item.setToolTip("\n".join(lines))
        return item

    def _load_recent_snapshots(self) -> None:
        """Fill the strip from the folder's existing snapshots (newest first), off the GUI thread."""
        folder = self.snapshot_dir

        def job():
            try:
                snaps = recent_snapshots(folder, STRIP_MAX)
            except Exception:  # the strip is a convenience: never let it break the start
                log.exception("reading earlier snapshots failed")
                snaps = []
            self._strip_loaded.put((folder, snaps))

        self._snap_pool.submit(job)

    def _recent_loaded(self, folder: str, snaps: list[Snapshot]) -> None:
        if folder != self.snapshot_dir:
            return  # the user chose another folder meanwhile
        have = {str(s.png) for s in self.snapshots}
        for snap in snaps:  # older than anything taken since the start: they go after it
            if self.strip.count() >= STRIP_MAX:
                break
            if str(snap.png) in have:
                continue
            self.snapshots.append(snap)
            self.strip.addItem(self._strip_item(snap))
        self._update_strip_visibility()

    def _update_strip_visibility(self) -> None:
        has = self.strip.count() > 0
        self.strip.setVisible(has)
        self.strip_empty.setVisible(not has)

    def _open_snapshot(self, item: QListWidgetItem) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(item.data(Qt.ItemDataRole.UserRole)))

    def open_snapshot_folder(self) -> None:
        folder = Path(self.snapshot_dir)
        if not folder.is_dir():
            self._show("warning", "folder_missing", folder=str(folder))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def choose_snapshot_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, tr("choose_folder"), self.snapshot_dir)
        if path:
            self.set_snapshot_folder(path)

    def set_snapshot_folder(self, path: str) -> bool:
        """Use `path` for snapshots and recordings when they can be saved there; else say why and keep the
        current folder (a bad value is never saved, so it cannot break later starts)."""
        problem = folder_problem(path)
        if problem is not None:
            self._show("error", "folder_" + problem, folder=str(path), kept=self.snapshot_dir)
            return False
        path = str(Path(path).expanduser())
        changed = path != self.snapshot_dir
        self.snapshot_dir = path
        self.settings.setValue("snapshot_dir", path)
        self.banner.remove("folder_is_file", "folder_not_writable", "folder_cannot_create")
        self.statusBar().showMessage(tr("folder_set", folder=path), 5000)
        if changed:
            self.strip.clear()
            self.snapshots.clear()
            self._update_strip_visibility()
            self._load_recent_snapshots()
        return True

    # ---- recording -----------------------------------------------------------------------------
    def toggle_recording(self) -> None:
        if self.recorder is None:
            self.start_recording()
        else:
            self.stop_recording()

    def start_recording(self, fps: float | None = None) -> bool:
        frame, r, _ = self.shown_frame()
        if frame is None:
            self._show("warning", "nothing_to_save")
            self._sync_rec_button()
            return False
        if fps is None:
            measured = self.stats.fps()
            fps = min(60.0, max(5.0, round(measured))) if measured > 1 else 30.0
        try:
            self.recorder = VideoRecorder(recording_name(self.snapshot_dir), fps, (frame.shape[1], frame.shape[0]))
        except TryOnError as exc:
            self._show("error", "recording_failed", error=str(exc))
            self.recorder = None
            self._sync_rec_button()
            return False
        self.recorder.start()
        self._rec_started = time.perf_counter()
        self.status_rec.show()
        self._sync_rec_button()
        self._refresh_status()
        self.statusBar().showMessage(tr("recording_started", fps=f"{fps:.0f}"), 4000)
        return True

    def stop_recording(self) -> VideoRecorder | None:
        rec, self.recorder = self.recorder, None
        if rec is None:
            return None
        rec.stop()  # the encoder thread finishes the file; _tick reports when it is done
        self._finishing.append(rec)
        self.status_rec.hide()
        self._sync_rec_button()
        return rec

    def _recording_finished(self, rec: VideoRecorder) -> None:
        if rec.error:
            self._show("error", "recording_failed", error=rec.error)
        elif rec.path.exists():
            self.statusBar().showMessage(tr("recording_saved", name=rec.path.name, frames=rec.frames_written), 6000)

    def _sync_rec_button(self) -> None:
        on = self.recorder is not None
        self.rec_button.setChecked(on)
        self.rec_button.setText("  " + (tr("stop_recording") if on else tr("record")))
        self.rec_button.setToolTip(self.record_action.toolTip())

    # ---- dialogs -------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        rows = []
        for a in (self.snapshot_action, self.record_action, self.mirror_action, self.split_action, self.zoom_action,
                  self.hud_action, self.mask_action, self.fill_action,
                  self.next_action, self.prev_action, self.more_action, self.less_action, self.bare_action,
                  self.fav_action, self.custom_action, *self.finish_actions, self.open_action, self.folder_action,
                  self.full_action, self.keys_action, self.quit_action):
            keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts())
            rows.append(f"<tr><td style='padding:2px 18px 2px 0'><b>{keys}</b></td><td>{a.text()}</td></tr>")
        QMessageBox.information(self, tr("shortcuts"), "<table>" + "".join(rows) + "</table>")

    def about_text(self) -> str:
        """The About box's text: the app, and what its shipped models were trained on, quoted from each
        model manifest's licence note when the box opens (so it stays true when the models change)."""
        from tryon_desktop import __version__

        parts = [tr("about_text", version=__version__)]
        models = shipped_models()
        if models:
            items = "".join(f"<li><b>{html.escape(name)}</b> {html.escape(version)}: {html.escape(note or tr('about_no_note'))}</li>"
                            for name, version, note in models)
            parts.append(f"<p>{tr('about_models')}</p><ul>{items}</ul><p>{tr('about_not_commercial')}</p>")
        else:
            parts.append(f"<p>{tr('about_no_models')}</p>")
        return "".join(parts)

    def show_about(self) -> None:
        QMessageBox.about(self, tr("about"), self.about_text())

    # ---- shutdown ------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 1.0) -> bool:
        """Stop every thread and wait for it (never terminate). True when all ended within `timeout`."""
        if self._closed:
            return True
        self._closed = True
        t0 = time.perf_counter()
        self.timer.stop()
        self.status_timer.stop()
        if self.recorder is not None:
            self.stop_recording()
        ok = self.pipeline.stop(timeout=max(0.1, timeout * 0.6))
        for rec in self._finishing:
            rec.join(max(0.0, timeout - (time.perf_counter() - t0)))
            if rec.is_alive():
                ok = False
            else:
                self._recording_finished(rec)
        self._snap_pool.shutdown(wait=True)
        return ok and not any(r.is_alive() for r in self._finishing)

    def wait_for_saves(self, timeout: float = 60.0) -> bool:
        """After close: wait (bounded) for videos still being encoded and snapshots still being written, so
        that leaving the process cannot cut a file short (close() waits only briefly, to stay responsive).
        True when every thread of the window has ended."""
        deadline = time.monotonic() + timeout
        self._snap_pool.shutdown(wait=True)
        for rec in list(self._finishing):
            rec.join(max(0.0, deadline - time.monotonic()))
            if rec.is_alive():
                log.error("the recording %s is still being written after %.0f s", rec.path, timeout)
                continue
            self._finishing.remove(rec)
            if rec.error:
                log.error("recording not saved: %s", rec.error)
            else:
                log.info("saved %s (%d frames)", rec.path, rec.frames_written)
        # a camera driver stuck in read() gets more time too; True when no thread of ours is left
        threads_done = self.pipeline.stop(timeout=max(0.1, min(10.0, deadline - time.monotonic())))
        return threads_done and not self._finishing

    def closeEvent(self, event) -> None:
        if self._closed:  # closed before (the app closes once more after its event loop ends)
            super().closeEvent(event)
            return
        self.settings.setValue("geometry", self.saveGeometry())
        if folder_problem(self.snapshot_dir) is None:  # never save a folder that cannot work
            self.settings.setValue("snapshot_dir", self.snapshot_dir)
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)


def shipped_models() -> list[tuple[str, str, str]]:
    """(name, version, licence note) of every model manifest in the models folder whose weights are there,
    read now (not at import), so the About box describes the models actually installed."""
    from tryon_desktop import paths

    out = []
    for manifest in sorted(Path(paths.MODELS_DIR).glob("*.json")):
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("model manifest %s cannot be read", manifest)
            continue
        if not isinstance(meta, dict):
            continue
        weights = meta.get("file")
        if weights and not (manifest.parent / str(weights)).is_file():
            continue  # a manifest without its weights: that model is not shipped
        out.append((str(meta.get("name") or manifest.stem), str(meta.get("version") or ""),
                    str(meta.get("licence_note") or "")))
    return out


def rec_button_labels() -> list[str]:
    """Every text the Record button can show, in every language."""
    saved = i18n.language()
    try:
        out = []
        for code in i18n.LANGUAGES:
            i18n.set_language(code)
            out += ["  " + tr("record"), "  " + tr("stop_recording")]
        return out
    finally:
        i18n.set_language(saved)


def _bool(v) -> bool:
    if isinstance(v, str):
        return v.lower() in ("1", "true", "yes")
    return bool(v)

