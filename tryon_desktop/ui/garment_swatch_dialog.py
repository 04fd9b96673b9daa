"""A dialog that makes a custom outfit swatch from a photo of a garment (vision/garment_swatch.py).

The photo (opened, dropped on the dialog, or given) is searched for the garment, shown with the garment
outlined and a square crop box on its fabric that the user drags (and resizes with the wheel, the corner
handle or the keyboard); the found colour is shown as a chip. Save writes the swatch (the colour, or the
fabric crop as a tile) to the custom swatch store and emits `saved(OutfitSwatch)`; anything that goes wrong
(unreadable file, no garment, a failed write) is said in the dialog and nothing is saved.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from tryon_desktop.core.looks import OutfitSwatch
from tryon_desktop.core.media import IMAGE_EXTS, read_image
from tryon_desktop.errors import TryOnError
from tryon_desktop.ui.i18n import tr
from tryon_desktop.ui.preview import to_qimage
from tryon_desktop.vision import garment_swatch as gs

log = logging.getLogger(__name__)

OUTLINE = QColor("#5BE37D")
BOX = QColor("#F0628F")
HANDLE_PX = 12  # the resize handle's side, in widget pixels
MIN_BOX = 16  # the smallest crop, in photo pixels


class CropView(QWidget):
    """The photo scaled to fit, the garment's outline over it and a square crop box (photo pixels) the user
    moves by dragging and resizes with the wheel, the bottom-right handle or the keys (arrows, + and -).
    `boxChanged` while it moves, `boxSettled` when a move ends."""

    boxChanged = Signal(tuple)
    boxSettled = Signal(tuple)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self._pixmap: QPixmap | None = None
        self._outline: QPainterPath | None = None
        self._size = (0, 0)  # photo (w, h)
        self.box: tuple[int, int, int, int] | None = None
        self._drag: tuple[str, QPointF, tuple[int, int, int, int]] | None = None
        self.hint = ""

    def set_photo(self, bgr: np.ndarray | None, mask: np.ndarray | None = None,
                  box: tuple[int, int, int, int] | None = None) -> None:
        if bgr is None:
            self._pixmap, self._outline, self.box, self._size = None, None, None, (0, 0)
        else:
            self._pixmap = QPixmap.fromImage(to_qimage(bgr))
            self._size = (bgr.shape[1], bgr.shape[0])
            self._outline = _outline_path(mask) if mask is not None else None
            self.box = self._clamped(box) if box is not None else None
        self.update()

    # ---- geometry: photo pixels <-> widget pixels ----
    def _fit(self) -> tuple[float, float, float]:
        w, h = self._size
        if not w or not h:
            return 1.0, 0.0, 0.0
        s = min(self.width() / w, self.height() / h)
        return s, (self.width() - w * s) / 2, (self.height() - h * s) / 2

    def _to_photo(self, p: QPointF) -> QPointF:
        s, ox, oy = self._fit()
        return QPointF((p.x() - ox) / s, (p.y() - oy) / s)

    def _box_rect(self) -> QRectF:
        s, ox, oy = self._fit()
        x, y, side, _ = self.box
        return QRectF(ox + x * s, oy + y * s, side * s, side * s)

    def _handle_rect(self) -> QRectF:
        r = self._box_rect()
        return QRectF(r.right() - HANDLE_PX / 2, r.bottom() - HANDLE_PX / 2, HANDLE_PX, HANDLE_PX)

    def _clamped(self, box) -> tuple[int, int, int, int]:
        w, h = self._size
        x, y, side = (int(round(v)) for v in box[:3])
        side = max(min(MIN_BOX, w, h), min(side, w, h))
        return min(max(0, x), w - side), min(max(0, y), h - side), side, side

    def set_box(self, box, settled: bool = True) -> None:
        if self._pixmap is None:
            return
        box = self._clamped(box)
        if box != self.box:
            self.box = box
            self.update()
            self.boxChanged.emit(box)
        if settled:
            self.boxSettled.emit(self.box)

    def resize_box(self, factor: float, settled: bool = True) -> None:
        if self.box is None:
            return
        x, y, side, _ = self.box
        new = max(MIN_BOX, round(side * factor))
        if new == side:
            new = side + (1 if factor > 1 else -1)
        c = (x + side / 2, y + side / 2)
        self.set_box((c[0] - new / 2, c[1] - new / 2, new, new), settled)

    # ---- painting ----
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        if self._pixmap is None:
            p.setPen(QColor("#9A9AA8"))
            p.drawText(self.rect().adjusted(24, 24, -24, -24), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.hint)
            p.end()
            return
        s, ox, oy = self._fit()
        w, h = self._size
        p.drawPixmap(QRectF(ox, oy, w * s, h * s), self._pixmap, QRectF(0, 0, w, h))
        if self._outline is not None:
            p.save()
            p.translate(ox, oy)
            p.scale(s, s)
            p.setPen(QPen(OUTLINE, 2.0 / s))
            p.drawPath(self._outline)
            p.restore()
        if self.box is not None:
            r = self._box_rect()
            p.setPen(QPen(QColor(0, 0, 0, 150), 4))
            p.drawRect(r)
            p.setPen(QPen(BOX, 2))
            p.drawRect(r)
            p.fillRect(self._handle_rect(), BOX)
        p.end()

    # ---- the mouse and the keys ----
    def mousePressEvent(self, e) -> None:
        if self.box is None or e.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(e)
        pos = e.position()
        if self._handle_rect().adjusted(-4, -4, 4, 4).contains(pos):
            self._drag = ("resize", pos, self.box)
        elif self._box_rect().contains(pos):
            self._drag = ("move", pos, self.box)
        else:  # a click elsewhere brings the box there
            q = self._to_photo(pos)
            side = self.box[2]
            self.set_box((q.x() - side / 2, q.y() - side / 2, side, side), settled=False)
            self._drag = ("move", pos, self.box)
        e.accept()

    def mouseMoveEvent(self, e) -> None:
        pos = e.position()
        if self._drag is None:
            if self.box is not None:
                over_handle = self._handle_rect().adjusted(-4, -4, 4, 4).contains(pos)
                over_box = self._box_rect().contains(pos)
                self.setCursor(Qt.CursorShape.SizeFDiagCursor if over_handle else
                               Qt.CursorShape.SizeAllCursor if over_box else Qt.CursorShape.ArrowCursor)
            return
        kind, start, (x, y, side, _) = self._drag
        s = self._fit()[0]
        dx, dy = (pos.x() - start.x()) / s, (pos.y() - start.y()) / s
        if kind == "move":
            self.set_box((x + dx, y + dy, side, side), settled=False)
        else:
            new = max(MIN_BOX, side + max(dx, dy))
            self.set_box((x, y, new, new), settled=False)

    def mouseReleaseEvent(self, e) -> None:
        if self._drag is not None:
            self._drag = None
            self.boxSettled.emit(self.box)
        super().mouseReleaseEvent(e)

    def wheelEvent(self, e) -> None:
        steps = e.angleDelta().y() / 120.0
        if self.box is None or not steps:
            return super().wheelEvent(e)
        self.resize_box(1.08 ** steps)
        e.accept()

    def keyPressEvent(self, e) -> None:
        if self.box is None:
            return super().keyPressEvent(e)
        x, y, side, _ = self.box
        step = max(1, side // 20)
        moves = {Qt.Key.Key_Left: (-step, 0), Qt.Key.Key_Right: (step, 0), Qt.Key.Key_Up: (0, -step),
                 Qt.Key.Key_Down: (0, step)}
        if e.key() in moves:
            dx, dy = moves[e.key()]
            self.set_box((x + dx, y + dy, side, side))
        elif e.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.resize_box(1.08)
        elif e.key() == Qt.Key.Key_Minus:
            self.resize_box(1 / 1.08)
        else:
            return super().keyPressEvent(e)
        e.accept()


def _outline_path(mask: np.ndarray) -> QPainterPath:
    contours, _ = cv2.findContours(np.asarray(mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    path = QPainterPath()
    for c in contours:
        pts = c.reshape(-1, 2)
        if len(pts) < 3:
            continue
        path.moveTo(float(pts[0, 0]) + 0.5, float(pts[0, 1]) + 0.5)
        for px, py in pts[1:]:
            path.lineTo(float(px) + 0.5, float(py) + 0.5)
        path.closeSubpath()
    return path


class GarmentSwatchDialog(QDialog):
    """GarmentSwatchDialog(path, store_dir, parent): make a custom outfit swatch from a garment photo.

    path: the photo to open first (None: the dialog waits for one to be opened or dropped). store_dir: the
    custom swatch store (None: the user's data folder, vision.garment_swatch.user_data_dir). finder: a
    GarmentFinder to reuse (else the dialog makes one, and frees it when it closes). On save, `saved` is
    emitted with the OutfitSwatch, which is also kept in `swatch`, and the dialog is accepted."""

    saved = Signal(object)

    def __init__(self, path: str | Path | None = None, store_dir: str | Path | None = None, parent=None,
                 finder: gs.GarmentFinder | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("swatch_title"))
        self.setAcceptDrops(True)
        self.resize(900, 640)
        self.store_dir = store_dir
        self.swatch: OutfitSwatch | None = None
        self.path: Path | None = None
        self.image: np.ndarray | None = None
        self.found: gs.GarmentFind | None = None
        self.colour: tuple[int, int, int] | None = None
        self._finder = finder
        self._own_finder = finder is None

        self.view = CropView(self)
        self.view.hint = tr("swatch_hint")
        self.view.setToolTip(tr("swatch_crop_tip"))
        self.view.boxSettled.connect(self._update_fabric)

        side = QVBoxLayout()
        self.open_button = QPushButton(tr("swatch_open"))
        self.open_button.clicked.connect(self.choose_file)
        side.addWidget(self.open_button)
        side.addWidget(QLabel(tr("swatch_look_for")))
        self.how = QComboBox()
        for key, how in (("swatch_how_auto", gs.AUTO), ("swatch_how_product", gs.PRODUCT), ("swatch_how_worn", gs.WORN)):
            self.how.addItem(tr(key), how)
        self.how.currentIndexChanged.connect(lambda _i: self._find())
        side.addWidget(self.how)
        self.found_label = QLabel("")
        self.found_label.setObjectName("muted")
        self.found_label.setWordWrap(True)
        side.addWidget(self.found_label)

        chip_row = QHBoxLayout()
        self.chip = QFrame()
        self.chip.setFixedSize(44, 44)
        self.chip.setObjectName("colourChip")
        self.colour_label = QLabel("")
        chip_row.addWidget(self.chip)
        chip_row.addWidget(self.colour_label, 1)
        side.addLayout(chip_row)
        fabric_row = QHBoxLayout()
        self.fabric_preview = QLabel()
        self.fabric_preview.setFixedSize(88, 88)
        self.fabric_label = QLabel("")
        self.fabric_label.setWordWrap(True)
        fabric_row.addWidget(self.fabric_preview)
        fabric_row.addWidget(self.fabric_label, 1)
        side.addLayout(fabric_row)

        self.use_colour = QRadioButton(tr("swatch_use_colour"))
        self.use_fabric = QRadioButton(tr("swatch_use_fabric"))
        self.use_fabric.setChecked(True)
        self._use = QButtonGroup(self)
        self._use.addButton(self.use_colour)
        self._use.addButton(self.use_fabric)
        side.addWidget(self.use_colour)
        side.addWidget(self.use_fabric)
        side.addWidget(QLabel(tr("swatch_name")))
        self.name = QLineEdit()
        self.name.textChanged.connect(lambda _t: self._update_buttons())
        side.addWidget(self.name)
        side.addStretch(1)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("swatchMessage")
        self.message.setStyleSheet("color: #FF8A8A;")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side.addWidget(self.message)
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton(tr("swatch_cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton(tr("swatch_save"))
        self.save_button.setObjectName("accentButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        side.addLayout(buttons)

        panel = QWidget()
        panel.setLayout(side)
        panel.setFixedWidth(280)
        root = QHBoxLayout(self)
        root.addWidget(self.view, 1)
        root.addWidget(panel)
        self._show_colour(None)
        self._update_buttons()
        if path is not None:
            self.open_path(path)

    # ---- opening ----
    def finder(self) -> gs.GarmentFinder:
        if self._finder is None:
            self._finder = gs.GarmentFinder()
        return self._finder

    def choose_file(self) -> None:
        exts = " ".join(f"*{e}" for e in sorted(IMAGE_EXTS))
        start = str(self.path.parent) if self.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, tr("swatch_open"), start, f"{tr('swatch_filter')} ({exts})")
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Read the photo and look for its garment; False (and a message) when it cannot be used."""
        self.path = Path(path)
        self.image, self.found, self.colour = None, None, None
        self.name.setText(gs.default_name(self.path))
        try:
            self.image = read_image(self.path).bgr
        except TryOnError as exc:
            self._fail(tr("swatch_error_open", name=self.path.name, error=str(exc)))
            return False
        except (OSError, MemoryError, cv2.error) as exc:
            self._fail(tr("swatch_error_open", name=self.path.name, error=str(exc)))
            return False
        return self._find()

    def _find(self) -> bool:
        if self.image is None:
            return False
        self.message.setText("")
        self.found_label.setText(tr("swatch_finding"))
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.found = self.finder().find(self.image, self.how.currentData())
            self.colour = gs.garment_colour(self.image, self.found.mask)
            box = gs.default_crop(self.found.mask, self.image)
        except gs.GarmentNotFoundError as exc:
            self.found = None
            self._fail(tr("swatch_error_none", name=self.path.name, error=str(exc)), keep_photo=True)
            return False
        except TryOnError as exc:
            self.found = None
            self._fail(tr("swatch_error_open", name=self.path.name, error=str(exc)), keep_photo=True)
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.view.set_photo(self.image, self.found.mask, box)
        self.found_label.setText(tr("swatch_found_worn" if self.found.how == gs.WORN else "swatch_found_product"))
        self._show_colour(self.colour)
        self._update_fabric(self.view.box)
        self._update_buttons()
        self.view.setFocus()
        return True

    def _fail(self, text: str, keep_photo: bool = False) -> None:
        log.info("%s", text)
        self.view.set_photo(self.image if keep_photo else None)
        self.found_label.setText("")
        self.message.setText(text)
        self._show_colour(None)
        self.fabric_preview.clear()
        self.fabric_label.setText("")
        self._update_buttons()

    # ---- what is shown ----
    def _show_colour(self, rgb) -> None:
        if rgb is None:
            self.chip.setStyleSheet("QFrame#colourChip { background: transparent; border: 1px dashed #45454F; "
                                    "border-radius: 8px; }")
            self.colour_label.setText("")
            return
        hx = "#{:02X}{:02X}{:02X}".format(*rgb)
        self.chip.setStyleSheet(f"QFrame#colourChip {{ background: {hx}; border: 1px solid #45454F; "
                                f"border-radius: 8px; }}")
        self.colour_label.setText(tr("swatch_colour", hex=hx))

    def _update_fabric(self, box) -> None:
        if self.image is None or self.found is None or box is None:
            return
        try:
            tile, repeat = gs.fabric_tile(gs.fabric_crop(self.image, box))
            scale = gs.fabric_scale(self.found.mask, repeat)
        except TryOnError as exc:
            self.fabric_label.setText(str(exc))
            return
        n = self.fabric_preview.width() // 2
        small = cv2.resize(tile, (n, n), interpolation=cv2.INTER_AREA)
        self.fabric_preview.setPixmap(QPixmap.fromImage(to_qimage(np.ascontiguousarray(np.tile(small, (2, 2, 1))))))
        self.fabric_label.setText(tr("swatch_fabric", pct=round(100 * scale)))

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(self.found is not None and bool(self.name.text().strip()))

    # ---- saving ----
    def save(self) -> OutfitSwatch | None:
        """Write the swatch; on success emit `saved`, accept and return it, else say why and return None."""
        if self.found is None or self.image is None or self.view.box is None:
            return None
        if not self.name.text().strip():
            self.message.setText(tr("swatch_error_name"))
            return None
        use = "colour" if self.use_colour.isChecked() else "fabric"
        try:
            sw = gs.save_custom_swatch(self.name.text(), self.image, self.found.mask, self.view.box, self.store_dir,
                                       use=use, source=str(self.path) if self.path else None)
        except TryOnError as exc:
            self.message.setText(tr("swatch_error_save", error=str(exc)))
            return None
        self.swatch = sw
        self.saved.emit(sw)
        self.accept()
        return sw

    # ---- drag and drop ----
    @staticmethod
    def _dropped_file(mime) -> Path | None:
        urls = [u for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        return Path(urls[0].toLocalFile()) if len(urls) == 1 else None

    def dragEnterEvent(self, e) -> None:
        if self._dropped_file(e.mimeData()) is not None:
            e.acceptProposedAction()
        else:
            e.ignore()

    def dragMoveEvent(self, e) -> None:
        self.dragEnterEvent(e)

    def dropEvent(self, e) -> None:
        path = self._dropped_file(e.mimeData())
        if path is None:
            self.message.setText(tr("swatch_error_drop"))
            e.ignore()
            return
        e.acceptProposedAction()
        self.open_path(path)

    def done(self, result: int) -> None:
        if self._own_finder and self._finder is not None:
            self._finder.close()
            self._finder = None
        super().done(result)
