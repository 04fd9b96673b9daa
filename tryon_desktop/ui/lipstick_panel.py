"""The lipstick panel: the catalogue as named swatches grouped by family, favourites, finish,
opacity and a custom colour. Emits `shadeChanged(Shade | None)` whenever the choice changes; the window puts
it into the whole look (the panel edits its own part of the look, never the rest)."""

from __future__ import annotations

import json

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QColorDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from tryon_desktop.core.looks import FINISHES, Finish, Shade
from tryon_desktop.ui.i18n import family_name, finish_name, shade_name, tr

COLUMNS = 4


class SwatchButton(QAbstractButton):
    """A round colour chip with the shade's name under it."""

    def __init__(self, shade: Shade, parent=None) -> None:
        super().__init__(parent)
        self.shade = shade
        self.setCheckable(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedSize(QSize(74, 80))
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.retranslate()

    def retranslate(self) -> None:
        name = shade_name(self.shade.name)
        self.setToolTip(f"{name}\n{self.shade.hex} · {finish_name(self.shade.finish)} · "
                        f"{round(self.shade.opacity * 100)}%")
        self.setAccessibleName(name)
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        d = 44
        cx = self.width() / 2
        chip = QRectF(cx - d / 2, 6, d, d)
        if self.isChecked() or self.underMouse() or self.hasFocus():
            ring = QColor("#F0628F") if self.isChecked() else QColor(255, 255, 255, 90)
            p.setPen(QPen(ring, 2.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(chip.adjusted(-4, -4, 4, 4))
        base = QColor(*self.shade.rgb)
        p.setPen(QPen(QColor(255, 255, 255, 40), 1))
        p.setBrush(base)
        p.drawEllipse(chip)
        if self.shade.finish in (Finish.GLOSS, Finish.SHIMMER):  # a highlight hints at the finish
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 90 if self.shade.finish == Finish.GLOSS else 60))
            p.drawEllipse(QRectF(chip.left() + 9, chip.top() + 7, 14, 9))
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.82))
        p.setFont(f)
        p.setPen(QColor("#ECECF1") if self.isChecked() else QColor("#A9A9B8"))
        text = p.fontMetrics().elidedText(shade_name(self.shade.name), Qt.TextElideMode.ElideRight, self.width() - 4)
        p.drawText(QRectF(0, chip.bottom() + 6, self.width(), 20), Qt.AlignmentFlag.AlignHCenter, text)
        p.end()

    def enterEvent(self, e) -> None:
        self.update()

    def leaveEvent(self, e) -> None:
        self.update()


class LipstickPanel(QWidget):
    shadeChanged = Signal(object)  # Shade | None
    favouritesChanged = Signal()

    def __init__(self, catalogue: tuple[Shade, ...], parent=None) -> None:
        super().__init__(parent)
        self.catalogue = tuple(catalogue)
        self.shade: Shade | None = None  # None: bare lips
        self.favourites: list[Shade] = []
        self.swatches: list[SwatchButton] = []
        self._group = QButtonGroup(self)
        self._group.setExclusive(False)  # we keep exclusivity ourselves (a shade may show twice)
        self._section_labels: list[tuple[QLabel, str]] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(14, 14, 14, 10)
        outer.setSpacing(10)

        # current shade card
        card = QFrame(objectName="card")
        cl = QHBoxLayout(card)
        cl.setContentsMargins(12, 10, 12, 10)
        self.chip = QLabel()
        self.chip.setFixedSize(40, 40)
        self.name_label = QLabel(objectName="shadeName")
        self.detail_label = QLabel(objectName="muted")
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.name_label)
        names.addWidget(self.detail_label)
        self.fav_button = QPushButton(objectName="iconButton")
        self.fav_button.setCheckable(True)
        self.fav_button.setFixedSize(36, 36)
        self.fav_button.clicked.connect(self.toggle_favourite)
        cl.addWidget(self.chip)
        cl.addLayout(names, 1)
        cl.addWidget(self.fav_button)
        outer.addWidget(card)

        # finish
        self.finish_title = QLabel(objectName="sectionTitle")
        outer.addWidget(self.finish_title)
        fin_row = QHBoxLayout()
        fin_row.setSpacing(6)
        self.finish_group = QButtonGroup(self)
        self.finish_buttons: dict[Finish, QPushButton] = {}
        for f in FINISHES:
            b = QPushButton(objectName="segment")
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.finish_group.addButton(b)
            self.finish_buttons[f] = b
            b.clicked.connect(lambda _=False, f=f: self.set_finish(f))
            fin_row.addWidget(b)
        outer.addLayout(fin_row)

        # opacity
        op_row = QHBoxLayout()
        self.opacity_title = QLabel(objectName="sectionTitle")
        self.opacity_value = QLabel(objectName="muted")
        op_row.addWidget(self.opacity_title)
        op_row.addStretch(1)
        op_row.addWidget(self.opacity_value)
        outer.addLayout(op_row)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setPageStep(10)
        self.opacity.valueChanged.connect(self._opacity_moved)
        outer.addWidget(self.opacity)

        # actions
        act = QHBoxLayout()
        self.custom_button = QPushButton()
        self.custom_button.clicked.connect(self.choose_custom_colour)
        self.bare_button = QPushButton()
        self.bare_button.clicked.connect(lambda: self.set_shade(None))
        act.addWidget(self.custom_button, 1)
        act.addWidget(self.bare_button, 1)
        outer.addLayout(act)

        # swatches
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid_host = QWidget(objectName="swatchHost")
        self.grid_layout = QVBoxLayout(self.grid_host)
        self.grid_layout.setContentsMargins(0, 0, 0, 0)
        self.grid_layout.setSpacing(4)
        self.scroll.setWidget(self.grid_host)
        outer.addWidget(self.scroll, 1)
        self._build_grid()
        self.retranslate()
        self._sync_controls()

    # ---- building ------------------------------------------------------------------------------
    def _build_grid(self) -> None:
        while self.grid_layout.count():
            item = self.grid_layout.takeAt(0)
            w = item.widget()
            if w is not None:  # detach now: a widget awaiting deleteLater still paints
                w.hide()
                w.setParent(None)
                w.deleteLater()
        for b in self.swatches:
            self._group.removeButton(b)
        self.swatches = []
        self._section_labels = []
        sections: list[tuple[str, list[Shade]]] = []
        if self.favourites:
            sections.append(("__favourites__", self.favourites))
        families: dict[str, list[Shade]] = {}
        for s in self.catalogue:
            families.setdefault(s.family, []).append(s)
        sections.extend(families.items())
        for key, shades in sections:
            title = QLabel(objectName="sectionTitle")
            self._section_labels.append((title, key))
            self.grid_layout.addWidget(title)
            holder = QWidget()
            g = QGridLayout(holder)
            g.setContentsMargins(0, 0, 0, 6)
            g.setHorizontalSpacing(2)
            g.setVerticalSpacing(2)
            for i, shade in enumerate(shades):
                b = SwatchButton(shade)
                b.clicked.connect(lambda _=False, s=shade: self.set_shade(s))
                self._group.addButton(b)
                self.swatches.append(b)
                g.addWidget(b, i // COLUMNS, i % COLUMNS)
            g.setColumnStretch(COLUMNS, 1)
            self.grid_layout.addWidget(holder)
        self.grid_layout.addStretch(1)
        self._retranslate_sections()
        self._sync_swatches()

    def _retranslate_sections(self) -> None:
        for label, key in self._section_labels:
            label.setText(tr("favourites") if key == "__favourites__" else family_name(key))

    def retranslate(self) -> None:
        self.finish_title.setText(tr("finish"))
        self.opacity_title.setText(tr("opacity"))
        for f, b in self.finish_buttons.items():
            b.setText(finish_name(f))
        self.custom_button.setText(tr("custom_colour"))
        self.bare_button.setText(tr("bare_lips"))
        self.fav_button.setToolTip(tr("favourite_tip"))
        for b in self.swatches:
            b.retranslate()
        self._retranslate_sections()
        self._sync_controls()

    # ---- state ---------------------------------------------------------------------------------
    def set_shade(self, shade: Shade | None, emit: bool = True) -> None:
        self.shade = shade
        self._sync_controls()
        if emit:
            self.shadeChanged.emit(self.shade)

    def set_finish(self, finish: Finish | str) -> None:
        if self.shade is None:
            self._sync_controls()
            return
        self.set_shade(self.shade.with_(finish=Finish.parse(finish)))

    def set_opacity(self, value: float) -> None:
        self.opacity.setValue(int(round(max(0.0, min(1.0, value)) * 100)))

    def nudge_opacity(self, delta: float) -> None:
        if self.shade is not None:
            self.set_opacity(self.shade.opacity + delta)

    def _opacity_moved(self, v: int) -> None:
        self.opacity_value.setText(f"{v}%")
        if self.shade is not None and round(self.shade.opacity * 100) != v:
            self.set_shade(self.shade.with_(opacity=v / 100.0))

    def step_shade(self, step: int) -> None:
        """Next/previous catalogue shade (keyboard)."""
        names = [s.name for s in self.catalogue]
        if self.shade is not None and self.shade.name in names:
            i = (names.index(self.shade.name) + step) % len(names)
        else:
            i = 0 if step > 0 else len(names) - 1
        self.set_shade(self.catalogue[i])

    def choose_custom_colour(self) -> None:
        start = QColor(*self.shade.rgb) if self.shade else QColor("#B0243A")
        colour = QColorDialog.getColor(start, self, tr("custom_colour_title"))
        if colour.isValid():
            self.set_custom_colour(colour.red(), colour.green(), colour.blue())

    def set_custom_colour(self, r: int, g: int, b: int) -> None:
        finish = self.shade.finish if self.shade else Finish.SATIN
        opacity = self.shade.opacity if self.shade else 0.85
        hexname = f"#{r:02X}{g:02X}{b:02X}"
        self.set_shade(Shade(name=hexname, rgb=(r, g, b), finish=finish, opacity=opacity, family="custom"))

    def is_favourite(self, shade: Shade | None) -> bool:
        return shade is not None and any(f.name == shade.name and f.rgb == shade.rgb for f in self.favourites)

    def toggle_favourite(self) -> None:
        if self.shade is None:
            self._sync_controls()
            return
        if self.is_favourite(self.shade):
            self.favourites = [f for f in self.favourites if not (f.name == self.shade.name and f.rgb == self.shade.rgb)]
        else:
            self.favourites.append(self.shade)
        self._build_grid()
        self._sync_controls()
        self.favouritesChanged.emit()

    def favourites_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.favourites])

    def load_favourites(self, text: str) -> None:
        try:
            self.favourites = [Shade.from_dict(d) for d in json.loads(text or "[]")]
        except Exception:  # a hand-edited settings file: start with none rather than fail
            self.favourites = []
        self._build_grid()

    def _sync_swatches(self) -> None:
        for b in self.swatches:
            on = self.shade is not None and b.shade.name == self.shade.name and b.shade.rgb == self.shade.rgb
            b.setChecked(on)

    def _sync_controls(self) -> None:
        s = self.shade
        self._sync_swatches()
        colour = s.hex if s else "transparent"
        border = "rgba(255,255,255,0.25)" if s else "#6A6A78"
        style = "dashed" if s is None else "solid"
        self.chip.setStyleSheet(f"background:{colour}; border-radius:20px; border:1px {style} {border};")
        if s is None:
            self.name_label.setText(tr("bare_lips"))
            self.detail_label.setText(tr("bare_detail"))
        else:
            self.name_label.setText(shade_name(s.name))
            self.detail_label.setText(f"{s.hex} · {finish_name(s.finish)} · {round(s.opacity * 100)}%")
        for f, b in self.finish_buttons.items():
            b.setEnabled(s is not None)
            b.setChecked(s is not None and s.finish == f)
        self.opacity.setEnabled(s is not None)
        self.opacity.blockSignals(True)
        self.opacity.setValue(round(s.opacity * 100) if s else 0)
        self.opacity.blockSignals(False)
        self.opacity_value.setText(f"{round(s.opacity * 100)}%" if s else "–")
        fav = self.is_favourite(s)
        self.fav_button.setEnabled(s is not None)
        self.fav_button.setChecked(fav)
        self.fav_button.setText("★" if fav else "☆")
