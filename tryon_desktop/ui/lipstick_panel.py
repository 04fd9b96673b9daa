"""The lipstick panel: the catalogue as named swatches grouped by family, favourites, finish,
opacity and a custom colour. Emits `shadeChanged(Shade | None)` whenever the choice changes; the window puts
it into the whole look (the panel edits its own part of the look, never the rest).

The finish and opacity rule: every shade has its own finish and opacity. One the user sets by hand (a finish
button, the slider, the keys) is theirs: it stays when they pick another shade, and the panel says so
("yours" beside the title), until they press "Reset to shade's", which brings back the picked shade's own values."""

from __future__ import annotations

import json

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
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
SWATCH_SIZE = QSize(74, 78)
CHIP = 40


def swatch_font(base: QFont) -> QFont:
    f = QFont(base)
    f.setPointSizeF(max(7.0, f.pointSizeF() * 0.82))
    return f


def name_lines(name: str, fm: QFontMetrics, width: int, max_lines: int = 2) -> list[str]:
    """`name` in at most `max_lines` lines of at most `width` pixels: whole words per line (a name without
    spaces, e.g. Chinese, breaks between characters); only a word longer than a line is elided."""
    if fm.horizontalAdvance(name) <= width:
        return [name]
    words = name.split(" ") if " " in name else list(name)
    sep = " " if " " in name else ""
    lines: list[str] = []
    cur = ""
    for w in words:
        cand = f"{cur}{sep}{w}" if cur else w
        if fm.horizontalAdvance(cand) <= width or not cur:
            cur = cand
        else:
            lines.append(cur)
            cur = w
    lines.append(cur)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [sep.join(lines[max_lines - 1:])]
    return [fm.elidedText(t, Qt.TextElideMode.ElideRight, width) for t in lines]


class SwatchButton(QAbstractButton):
    """A round colour chip with the shade's name under it, on up to two lines (never cut: a name too long
    even for two lines is elided and the tooltip carries it whole)."""

    def __init__(self, shade: Shade, parent=None) -> None:
        super().__init__(parent)
        self.shade = shade
        self.setCheckable(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedSize(SWATCH_SIZE)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.retranslate()

    def retranslate(self) -> None:
        name = shade_name(self.shade.name)
        self.setToolTip(f"{name}\n{self.shade.hex} · {finish_name(self.shade.finish)} · "
                        f"{round(self.shade.opacity * 100)}%")
        self.setAccessibleName(name)
        self.update()

    def text_width(self) -> int:
        return self.width() - 4

    def label_lines(self) -> list[str]:
        """The name as painted, line by line."""
        fm = QFontMetrics(swatch_font(self.font()))
        return name_lines(shade_name(self.shade.name), fm, self.text_width())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        d = CHIP
        cx = self.width() / 2
        chip = QRectF(cx - d / 2, 5, d, d)
        if self.isChecked() or self.underMouse() or self.hasFocus():
            ring = QColor("#F0628F") if self.isChecked() else QColor(255, 255, 255, 90)
            p.setPen(QPen(ring, 2.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(chip.adjusted(-3.5, -3.5, 3.5, 3.5))
        base = QColor(*self.shade.rgb)
        p.setPen(QPen(QColor(255, 255, 255, 40), 1))
        p.setBrush(base)
        p.drawEllipse(chip)
        if self.shade.finish in (Finish.GLOSS, Finish.SHIMMER):  # a highlight hints at the finish
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 90 if self.shade.finish == Finish.GLOSS else 60))
            p.drawEllipse(QRectF(chip.left() + 8, chip.top() + 6, 13, 8))
        p.setFont(swatch_font(self.font()))
        fm = p.fontMetrics()
        p.setPen(QColor("#ECECF1") if self.isChecked() else QColor("#B4B4C2"))
        y = chip.bottom() + 6
        lh = fm.height()
        for line in self.label_lines():
            p.drawText(QRectF(0, y, self.width(), lh), Qt.AlignmentFlag.AlignHCenter, line)
            y += lh - 1
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
        # paint the panel's own background (a plain QWidget subclass does not), so every label sits on
        # the same colour as the panel around it
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.catalogue = tuple(catalogue)
        self.shade: Shade | None = None  # what is worn (None: bare lips)
        self.base: Shade | None = None  # the shade as picked: its own finish and opacity
        self.finish_override: Finish | None = None  # set by hand: kept across shades until reset
        self.opacity_override: float | None = None
        self.favourites: list[Shade] = []
        self.swatches: list[SwatchButton] = []
        self._group = QButtonGroup(self)
        self._group.setExclusive(False)  # we keep exclusivity ourselves (a shade may show twice)
        self._section_labels: list[tuple[QLabel, str]] = []

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(6)

        # current shade card
        card = QFrame(objectName="card")
        cl = QHBoxLayout(card)
        cl.setContentsMargins(10, 7, 8, 7)
        self.chip = QLabel()
        self.chip.setFixedSize(34, 34)
        self.name_label = QLabel(objectName="shadeName")
        self.detail_label = QLabel(objectName="muted")
        names = QVBoxLayout()
        names.setSpacing(1)
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

        # finish: title, whose it is (the shade's own or the user's), and the way back to the shade's own
        fin_head = QHBoxLayout()
        fin_head.setSpacing(6)
        self.finish_title = QLabel(objectName="sectionTitle")
        self.finish_tag = QLabel(objectName="ownTag")
        self.reset_button = QPushButton(objectName="linkButton")
        self.reset_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.reset_button.clicked.connect(self.reset_to_shade)
        fin_head.addWidget(self.finish_title)
        fin_head.addWidget(self.finish_tag)
        fin_head.addStretch(1)
        fin_head.addWidget(self.reset_button)
        outer.addLayout(fin_head)
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

        # opacity: title, whose it is, the slider and its value on one line
        op_head = QHBoxLayout()
        op_head.setSpacing(6)
        self.opacity_title = QLabel(objectName="sectionTitle")
        self.opacity_tag = QLabel(objectName="ownTag")
        op_head.addWidget(self.opacity_title)
        op_head.addWidget(self.opacity_tag)
        op_head.addStretch(1)
        outer.addLayout(op_head)
        op_row = QHBoxLayout()
        op_row.setSpacing(10)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setPageStep(10)
        self.opacity.valueChanged.connect(self._opacity_moved)
        self.opacity_value = QLabel(objectName="muted")
        self.opacity_value.setMinimumWidth(QFontMetrics(self.opacity_value.font()).horizontalAdvance("100%") + 4)
        self.opacity_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        op_row.addWidget(self.opacity, 1)
        op_row.addWidget(self.opacity_value)
        outer.addLayout(op_row)

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
        self.grid_layout.setSpacing(0)
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
            g.setContentsMargins(0, 0, 0, 2)
            g.setHorizontalSpacing(2)
            g.setVerticalSpacing(2)
            for i, shade in enumerate(shades):
                b = SwatchButton(shade)
                b.clicked.connect(lambda _=False, s=shade: self.pick_shade(s))
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
        self.reset_button.setText("↺ " + tr("shade_own"))
        self.reset_button.setToolTip(tr("shade_own_tip"))
        for b in self.swatches:
            b.retranslate()
        self._retranslate_sections()
        self._sync_controls()

    # ---- state ---------------------------------------------------------------------------------
    def own_shade(self, shade: Shade) -> Shade:
        """The shade as it comes, with its own finish and opacity: the catalogue's or a favourite's entry of
        the same name and colour, else the shade itself (a custom colour)."""
        for s in (*self.catalogue, *self.favourites):
            if s.name == shade.name and s.rgb == shade.rgb:
                return s
        return shade

    def _worn(self, base: Shade) -> Shade:
        """`base` with the user's own finish and opacity, where they set them."""
        changes = {}
        if self.finish_override is not None:
            changes["finish"] = self.finish_override
        if self.opacity_override is not None:
            changes["opacity"] = self.opacity_override
        return base.with_(**changes) if changes else base

    def _apply(self, emit: bool) -> None:
        self.shade = None if self.base is None else self._worn(self.base)
        self._sync_controls()
        if emit:
            self.shadeChanged.emit(self.shade)

    def set_shade(self, shade: Shade | None, emit: bool = True) -> None:
        """Wear exactly `shade` (restoring a look, scripts, tests). Where its finish or opacity differ from the
        shade's own, they count as the user's (so they stay when another shade is picked). None: bare lips,
        the user's finish and opacity kept for the next shade."""
        if shade is None:
            self.base = None
        else:
            own = self.own_shade(shade)
            self.base = own
            self.finish_override = shade.finish if shade.finish != own.finish else None
            self.opacity_override = shade.opacity if abs(shade.opacity - own.opacity) > 0.004 else None
        self._apply(emit)

    def pick_shade(self, shade: Shade, emit: bool = True) -> None:
        """The user picked a swatch: its colour, with the finish and opacity they set by hand if they did,
        else the shade's own."""
        self.base = shade
        self._apply(emit)

    def reset_to_shade(self) -> None:
        """Forget the user's finish and opacity: the shade's own again (and for the shades picked next)."""
        self.finish_override = None
        self.opacity_override = None
        self._apply(True)

    def set_finish(self, finish: Finish | str) -> None:
        if self.shade is None:
            self._sync_controls()
            return
        self.finish_override = Finish.parse(finish)
        self._apply(True)

    def set_opacity(self, value: float) -> None:
        self.opacity.setValue(int(round(max(0.0, min(1.0, value)) * 100)))

    def nudge_opacity(self, delta: float) -> None:
        if self.shade is not None:
            self.set_opacity(self.shade.opacity + delta)

    def _opacity_moved(self, v: int) -> None:
        self.opacity_value.setText(f"{v}%")
        if self.shade is not None and round(self.shade.opacity * 100) != v:
            self.opacity_override = v / 100.0
            self._apply(True)

    def step_shade(self, step: int) -> None:
        """Next/previous catalogue shade (keyboard)."""
        names = [s.name for s in self.catalogue]
        if self.shade is not None and self.shade.name in names:
            i = (names.index(self.shade.name) + step) % len(names)
        else:
            i = 0 if step > 0 else len(names) - 1
        self.pick_shade(self.catalogue[i])

    def choose_custom_colour(self) -> None:
        start = QColor(*self.shade.rgb) if self.shade else QColor("#B0243A")
        colour = QColorDialog.getColor(start, self, tr("custom_colour_title"))
        if colour.isValid():
            self.set_custom_colour(colour.red(), colour.green(), colour.blue())

    def set_custom_colour(self, r: int, g: int, b: int) -> None:
        """A colour of the user's own: it comes with the finish and opacity worn now."""
        finish = self.shade.finish if self.shade else Finish.SATIN
        opacity = self.shade.opacity if self.shade else 0.85
        hexname = f"#{r:02X}{g:02X}{b:02X}"
        self.pick_shade(Shade(name=hexname, rgb=(r, g, b), finish=finish, opacity=opacity, family="custom"))

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

    def _sync_tag(self, tag: QLabel, yours: bool, worn: bool) -> None:
        tag.setVisible(worn)
        tag.setText(tr("tag_yours") if yours else tr("tag_shades"))
        tag.setProperty("yours", yours)
        tag.setToolTip(tr("tag_yours_tip") if yours else tr("tag_shades_tip"))
        tag.style().unpolish(tag)
        tag.style().polish(tag)

    def _sync_controls(self) -> None:
        s = self.shade
        self._sync_swatches()
        colour = s.hex if s else "transparent"
        border = "rgba(255,255,255,0.25)" if s else "#6A6A78"
        style = "dashed" if s is None else "solid"
        self.chip.setStyleSheet(f"background:{colour}; border-radius:17px; border:1px {style} {border};")
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
        self._sync_tag(self.finish_tag, self.finish_override is not None, s is not None)
        self._sync_tag(self.opacity_tag, self.opacity_override is not None, s is not None)
        own = self.base
        self.reset_button.setEnabled(self.finish_override is not None or self.opacity_override is not None)
        if own is not None:
            self.reset_button.setToolTip(tr("shade_own_tip") + "\n" + tr(
                "shade_own_values", name=shade_name(own.name), finish=finish_name(own.finish),
                opacity=round(own.opacity * 100)))
        fav = self.is_favourite(s)
        self.fav_button.setEnabled(s is not None)
        self.fav_button.setChecked(fav)
        self.fav_button.setText("★" if fav else "☆")
