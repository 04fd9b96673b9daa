"""What the lipstick and the outfit panels share: round named swatches grouped by family (favourites first),
a card with what is worn (and a line with the rest of the look), favourites, stepping through the catalogue
with the keys, the colour dialog, and the "yours" / "…'s own" tags beside a control's title.

A panel edits one effect of the look (a `Shade`, an `OutfitSwatch`: its "item"); the window puts it into the
whole look. Chips are painted from the item: its colour, a lipstick's gloss or shimmer as a highlight, an
outfit pattern as a small drawn patch of the pattern (render/patterns.py, cached)."""

from __future__ import annotations

import json
from functools import lru_cache

import cv2
import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QImage, QPainter, QPainterPath, QPen, QPixmap
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
    QSlider,
    QVBoxLayout,
    QWidget,
)

from tryon_desktop.core.looks import PATTERNS, Finish, OutfitSwatch, Shade
from tryon_desktop.ui.i18n import family_name, finish_name, outfit_name, pattern_name, shade_name, tr

COLUMNS = 4
JUMP_COLUMNS = 5  # the family jump bar's buttons a row
SWATCH_SIZE = QSize(74, 78)
CHIP = 40
PATCH = 2 * CHIP  # pattern patches are drawn at twice the chip's size (sharp on a 2x screen)
PATCH_SHOULDER = 3.0  # a patch shows about a third of a shoulder width: one repeat = scale * 3 patch widths
# threads (or stitch rows) a repeat of the woven patterns (render/patterns.py): a patch gives each thread at
# least 2.5 of its pixels, else the weave aliases into a flat grey
PATCH_THREADS = {"denim": 48, "herringbone": 16, "houndstooth": 8, "knit": 12}


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


def slider(lo: int, hi: int, page: int, moved) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setPageStep(page)
    s.valueChanged.connect(moved)
    return s


# ---- what an item says about itself -------------------------------------------------------------------
def item_name(item: Shade | OutfitSwatch) -> str:
    """The item's name in the current language (a custom colour's #RRGGBB as it is)."""
    return outfit_name(item.name) if isinstance(item, OutfitSwatch) else shade_name(item.name)


def scale_text(factor: float) -> str:
    return f"×{factor:.2g}"


def item_detail(item: Shade | OutfitSwatch) -> str:
    """One line under the name: colour, finish and opacity; for an outfit its pattern, colour and strength."""
    if isinstance(item, OutfitSwatch):
        pattern = pattern_name(item.pattern) if item.pattern else ""
        parts = [pattern] if pattern and pattern.casefold() != item_name(item).casefold() else []
        if item.hex:
            parts.append(item.hex)
        parts.append(f"{round(item.strength * 100)}%")
        return " · ".join(parts)
    return f"{item.hex} · {finish_name(item.finish)} · {round(item.opacity * 100)}%"


@lru_cache(maxsize=96)
def pattern_patch(pattern: str, tint: tuple[int, int, int] | None, scale: float, rotation: float,
                  size: int = PATCH) -> QImage | None:
    """A square sRGB patch of `pattern` (a procedural pattern by name, or a fabric image file) as a chip
    shows it; None when a fabric image cannot be read. Cached: each swatch's patch is drawn once."""
    if pattern in PATTERNS:
        from tryon_desktop.render.outfit import encode
        from tryon_desktop.render.patterns import procedural

        period = float(np.clip(scale * PATCH_SHOULDER * size, size / 12.0, size * 0.7))
        period = max(period, 2.5 * PATCH_THREADS.get(pattern, 0))
        bgr = encode(procedural(pattern, size, size, period, rotation, tint))
    else:
        img = cv2.imread(str(pattern), cv2.IMREAD_COLOR)
        if img is None:
            return None
        h, w = img.shape[:2]
        side = min(h, w)
        img = img[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
        bgr = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    return QImage(rgb.data, size, size, 3 * size, QImage.Format.Format_RGB888).copy()


def paint_chip(p: QPainter, rect: QRectF, item: Shade | OutfitSwatch | None) -> None:
    """The item's round chip in `rect`: its colour (a lipstick's gloss or shimmer as a highlight) or a patch
    of its pattern; None (nothing worn) as a dashed empty ring."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    if item is None:
        p.setPen(QPen(QColor("#6A6A78"), 1, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(rect)
        p.restore()
        return
    pattern = getattr(item, "pattern", None)
    patch = pattern_patch(pattern, item.rgb, round(item.scale, 4), round(item.rotation, 1)) if pattern else None
    rim = QPen(QColor(255, 255, 255, 40), 1)
    if patch is not None:
        clip = QPainterPath()
        clip.addEllipse(rect)
        p.setClipPath(clip)
        p.drawImage(rect, patch)
        p.setClipping(False)
        p.setPen(rim)
        p.setBrush(Qt.BrushStyle.NoBrush)
    else:
        p.setPen(rim)
        p.setBrush(QColor(*(item.rgb or (128, 128, 128))))
    p.drawEllipse(rect)
    finish = getattr(item, "finish", None)
    if finish in (Finish.GLOSS, Finish.SHIMMER):  # a highlight hints at the finish
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255, 90 if finish == Finish.GLOSS else 60))
        w, h = rect.width(), rect.height()
        p.drawEllipse(QRectF(rect.left() + 0.2 * w, rect.top() + 0.15 * h, 0.325 * w, 0.2 * h))
    p.restore()


def chip_icon(item: Shade | OutfitSwatch | None, size: int = 14, dpr: float = 2.0) -> QIcon:
    pm = QPixmap(int(size * dpr), int(size * dpr))
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    paint_chip(p, QRectF(0.5, 0.5, size - 1, size - 1), item)
    p.end()
    return QIcon(pm)


class Chip(QWidget):
    """The card's chip: the worn item, painted as its swatch is."""

    def __init__(self, size: int, parent=None) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self.item = None

    def set_item(self, item) -> None:
        self.item = item
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        paint_chip(p, QRectF(0.5, 0.5, self.width() - 1, self.height() - 1), self.item)
        p.end()


class SwatchButton(QAbstractButton):
    """A round chip with the item's name under it, on up to two lines (never cut: a name too long even for
    two lines is elided and the tooltip carries it whole)."""

    def __init__(self, item: Shade | OutfitSwatch, parent=None) -> None:
        super().__init__(parent)
        self.item = item
        self.setCheckable(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedSize(SWATCH_SIZE)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.retranslate()

    @property
    def shade(self) -> Shade | OutfitSwatch:
        return self.item

    def retranslate(self) -> None:
        name = item_name(self.item)
        self.setToolTip(f"{name}\n{item_detail(self.item)}")
        self.setAccessibleName(name)
        self.update()

    def text_width(self) -> int:
        return self.width() - 4

    def label_lines(self) -> list[str]:
        """The name as painted, line by line."""
        fm = QFontMetrics(swatch_font(self.font()))
        return name_lines(item_name(self.item), fm, self.text_width())

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
        paint_chip(p, chip, self.item)
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


class SwatchPanel(QWidget):
    """The shared frame of a panel. A subclass builds its own controls between the card (`_build_card`) and
    the swatches (`_build_swatch_area`), among them the slider of its amount (`_build_amount`: the item's
    field `AMOUNT` in [0, 1], nudged by the arrow keys), and says how an item is worn (`_worn`), what
    "nothing" is called and which part of a look is the rest (`_other_effect`)."""

    favouritesChanged = Signal()
    otherEffectRequested = Signal()  # the card's line about the rest of the look was clicked

    ITEM: type = Shade  # favourites are read back as this
    AMOUNT = "opacity"  # the item's field the amount slider sets
    NONE_KEYS = ("bare_lips", "bare_detail")  # what the card says when nothing is worn: name, detail
    FAVOURITE_TIP = "favourite_tip"
    JUMP_BAR = False  # a button per family above the swatches (the outfit panel: its controls leave room for
    # one family at 1024x640; the lipstick panel shows three there and keeps that room for swatches)
    CUSTOM_START = "#B0243A"
    CUSTOM_TITLE = "custom_colour_title"

    def __init__(self, catalogue, parent=None) -> None:
        super().__init__(parent)
        # paint the panel's own background (a plain QWidget subclass does not), so every label sits on
        # the same colour as the panel around it
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.catalogue = tuple(catalogue)
        self.current = None  # what is worn (None: nothing)
        self.base = None  # the item as picked: its own values
        self.favourites: list = []
        self.swatches: list[SwatchButton] = []
        self.look = None  # the whole look, for the card's line about the rest of it
        self.other = None  # that rest: the other effect's item
        self.amount_override: float | None = None  # the amount set by hand: kept across items until reset
        self._group = QButtonGroup(self)
        self._group.setExclusive(False)  # we keep exclusivity ourselves (an item may show twice)
        self._section_labels: list[tuple[QLabel, str]] = []
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(12, 10, 12, 6)
        self.outer.setSpacing(6)
        self._build_card()

    # ---- building ------------------------------------------------------------------------------
    def _build_card(self) -> None:
        card = QFrame(objectName="card")
        cl = QHBoxLayout(card)
        cl.setContentsMargins(10, 7, 8, 7)
        self.chip = Chip(34)
        self.name_label = QLabel(objectName="shadeName")
        self.detail_label = QLabel(objectName="muted")
        self.other_button = QPushButton(objectName="lookLine")
        self.other_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.other_button.setIconSize(QSize(12, 12))
        self.other_button.clicked.connect(self.otherEffectRequested)
        names = QVBoxLayout()
        names.setSpacing(1)
        names.addWidget(self.name_label)
        names.addWidget(self.detail_label)
        names.addWidget(self.other_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.other_button.hide()  # until the window tells the panel the whole look
        self.fav_button = QPushButton(objectName="iconButton")
        self.fav_button.setCheckable(True)
        self.fav_button.setFixedSize(36, 36)
        self.fav_button.clicked.connect(self.toggle_favourite)
        cl.addWidget(self.chip, 0, Qt.AlignmentFlag.AlignTop)
        cl.addLayout(names, 1)
        cl.addWidget(self.fav_button, 0, Qt.AlignmentFlag.AlignTop)
        self.outer.addWidget(card)

    def _title_row(self, title: QLabel, tag: QLabel, extra: QWidget | None = None) -> None:
        """A control's title, whose its value is (the tag) and, right-aligned, `extra`."""
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(title)
        row.addWidget(tag)
        row.addStretch(1)
        if extra is not None:
            row.addWidget(extra)
        self.outer.addLayout(row)

    def _link_button(self, slot) -> QPushButton:
        b = QPushButton(objectName="linkButton")
        b.setCursor(Qt.CursorShape.PointingHandCursor)
        b.clicked.connect(slot)
        return b

    def _value_label(self, widest: str = "100%") -> QLabel:
        v = QLabel(objectName="muted")
        v.setMinimumWidth(QFontMetrics(v.font()).horizontalAdvance(widest) + 4)
        v.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return v

    def _build_amount(self, title: QLabel, tag: QLabel, extra: QWidget | None = None, widest: str = "100%") -> None:
        """The amount: its title row, then the slider and its value on one line."""
        self._title_row(title, tag, extra)
        row = QHBoxLayout()
        row.setSpacing(10)
        self.amount = slider(0, 100, 10, self._amount_moved)
        self.amount_value = self._value_label(widest)
        row.addWidget(self.amount, 1)
        row.addWidget(self.amount_value)
        self.outer.addLayout(row)

    def _button_row(self, *buttons: QPushButton) -> None:
        row = QHBoxLayout()
        for b in buttons:
            row.addWidget(b, 1)
        self.outer.addLayout(row)

    def _build_swatch_area(self) -> None:
        # a button per family above the swatches: one click scrolls to it (on a small screen the
        # panel shows one or two families at a time)
        self.jump_host = QWidget(objectName="familyJump")
        self.jump_layout = QGridLayout(self.jump_host)
        self.jump_layout.setContentsMargins(0, 0, 0, 0)
        self.jump_layout.setHorizontalSpacing(4)
        self.jump_layout.setVerticalSpacing(4)
        self.jump_buttons: list[tuple[QPushButton, str]] = []
        self.outer.addWidget(self.jump_host)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid_host = QWidget(objectName="swatchHost")
        self.grid_layout = QVBoxLayout(self.grid_host)
        self.grid_layout.setContentsMargins(0, 0, 0, 0)
        self.grid_layout.setSpacing(0)
        self.scroll.setWidget(self.grid_host)
        self.outer.addWidget(self.scroll, 1)
        self._build_grid()

    @staticmethod
    def _clear(layout) -> None:
        """Take every widget out of `layout` and delete it."""
        while layout.count():
            w = layout.takeAt(0).widget()
            if w is not None:  # detach now: a widget awaiting deleteLater still paints
                w.hide()
                w.setParent(None)
                w.deleteLater()

    def _build_grid(self) -> None:
        self._clear(self.grid_layout)
        for b in self.swatches:
            self._group.removeButton(b)
        self.swatches = []
        self._section_labels = []
        sections: list[tuple[str, list]] = []
        if self.favourites:
            sections.append(("__favourites__", self.favourites))
        families: dict[str, list] = {}
        for s in self.catalogue:
            families.setdefault(s.family, []).append(s)
        sections.extend(families.items())
        self._build_jump_bar([key for key, _ in sections])
        for key, items in sections:
            title = QLabel(objectName="sectionTitle")
            self._section_labels.append((title, key))
            self.grid_layout.addWidget(title)
            holder = QWidget()
            g = QGridLayout(holder)
            g.setContentsMargins(0, 0, 0, 2)
            g.setHorizontalSpacing(2)
            g.setVerticalSpacing(2)
            for i, it in enumerate(items):
                b = SwatchButton(it)
                b.clicked.connect(lambda _=False, it=it: self.pick(it))
                self._group.addButton(b)
                self.swatches.append(b)
                g.addWidget(b, i // COLUMNS, i % COLUMNS)
            g.setColumnStretch(COLUMNS, 1)
            self.grid_layout.addWidget(holder)
        self.grid_layout.addStretch(1)
        self._retranslate_sections()
        self._sync_swatches()

    def _build_jump_bar(self, keys: list[str]) -> None:
        self._clear(self.jump_layout)
        self.jump_buttons = []
        self.jump_host.setVisible(self.JUMP_BAR and len(keys) > 1)
        if self.jump_host.isHidden():
            return
        for i, key in enumerate(keys):
            b = QPushButton(objectName="familyChip")
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            b.clicked.connect(lambda _=False, key=key: self.jump_to(key))
            self.jump_buttons.append((b, key))
            self.jump_layout.addWidget(b, i // JUMP_COLUMNS, i % JUMP_COLUMNS)

    def jump_to(self, key: str) -> None:
        """Scroll the swatches so that the family `key` (or "__favourites__") starts at the top."""
        for label, k in self._section_labels:
            if k == key:
                self.scroll.verticalScrollBar().setValue(label.y())
                return

    def _section_text(self, key: str) -> str:
        return tr("favourites") if key == "__favourites__" else family_name(key)

    def _retranslate_sections(self) -> None:
        for label, key in self._section_labels:
            label.setText(self._section_text(key))
        for b, key in self.jump_buttons:
            b.setText(self._section_text(key))
            b.setToolTip(tr("jump_to_family_tip").format(family=self._section_text(key)))

    def retranslate(self) -> None:
        self.fav_button.setToolTip(tr(self.FAVOURITE_TIP))
        self.other_button.setToolTip(tr("look_other_tip"))
        for b in self.swatches:
            b.retranslate()
        self._retranslate_sections()
        if self.look is not None:
            self.show_look(self.look)
        self._sync_controls()

    # ---- what a subclass says ------------------------------------------------------------------
    def _worn(self, base):
        """`base` as worn: with the values the user set by hand."""
        raise NotImplementedError

    def _emit(self, item) -> None:
        raise NotImplementedError

    def _other_effect(self, look) -> tuple[str, object]:
        """The rest of `look` for the card's last line: (its text, its item)."""
        raise NotImplementedError

    def pick(self, item) -> None:
        """The user picked a swatch."""
        self.base = item
        self._apply(True)

    def set_amount(self, value: float) -> None:
        self.amount.setValue(int(round(max(0.0, min(1.0, value)) * 100)))

    def nudge(self, delta: float) -> None:
        """The arrow keys' nudge of the panel's amount (opacity, strength)."""
        if self.current is not None:
            self.set_amount(getattr(self.current, self.AMOUNT) + delta)

    def _amount_moved(self, v: int) -> None:
        self.amount_value.setText(f"{v}%")
        if self.current is not None and round(getattr(self.current, self.AMOUNT) * 100) != v:
            self.amount_override = v / 100.0
            self._apply(True)

    def clear(self) -> None:
        """Wear nothing of this effect (the 0 key)."""
        self.base = None
        self._apply(True)

    # ---- state ---------------------------------------------------------------------------------
    @staticmethod
    def key(item) -> tuple:
        return (item.name, item.rgb, getattr(item, "pattern", None))

    def own_item(self, item):
        """The item as it comes, with its own values: the catalogue's or a favourite's entry of the same
        name and colour (and pattern), else the item itself (a custom one)."""
        for s in (*self.catalogue, *self.favourites):
            if self.key(s) == self.key(item):
                return s
        return item

    def _apply(self, emit: bool) -> None:
        self.current = None if self.base is None else self._worn(self.base)
        self._sync_controls()
        if emit:
            self._emit(self.current)

    def step(self, step: int) -> None:
        """Next/previous catalogue item (keyboard)."""
        if not self.catalogue:  # a catalogue that could not be read: nothing to step through
            return
        names = [s.name for s in self.catalogue]
        if self.current is not None and self.current.name in names:
            i = (names.index(self.current.name) + step) % len(names)
        else:
            i = 0 if step > 0 else len(names) - 1
        self.pick(self.catalogue[i])

    def choose_custom_colour(self) -> None:
        """The colour dialog (the C key): a colour of the user's own, worn as `set_custom_colour` says."""
        rgb = getattr(self.current, "rgb", None)
        start = QColor(*rgb) if rgb else QColor(self.CUSTOM_START)
        colour = QColorDialog.getColor(start, self, tr(self.CUSTOM_TITLE))
        if colour.isValid():
            self.set_custom_colour(colour.red(), colour.green(), colour.blue())

    def set_custom_colour(self, r: int, g: int, b: int) -> None:
        raise NotImplementedError

    def show_look(self, look) -> None:
        """The whole look, for the card's line about the rest of it."""
        self.look = look
        text, self.other = self._other_effect(look)
        self.other_button.setText(text)
        self.other_button.setIcon(chip_icon(self.other, 12))
        self.other_button.show()

    # ---- favourites ----------------------------------------------------------------------------
    def is_favourite(self, item) -> bool:
        return item is not None and any(self.key(f) == self.key(item) for f in self.favourites)

    def toggle_favourite(self) -> None:
        item = self.current
        if item is None:
            self._sync_controls()
            return
        if self.is_favourite(item):
            self.favourites = [f for f in self.favourites if self.key(f) != self.key(item)]
        else:
            self.favourites.append(item)
        self._build_grid()
        self._sync_controls()
        self.favouritesChanged.emit()

    def favourites_json(self) -> str:
        return json.dumps([s.to_dict() for s in self.favourites])

    def load_favourites(self, text: str) -> None:
        try:
            self.favourites = [self.ITEM.from_dict(d) for d in json.loads(text or "[]")]
        except Exception:  # a hand-edited settings file: start with none rather than fail
            self.favourites = []
        self._build_grid()

    # ---- showing the state ---------------------------------------------------------------------
    def _sync_swatches(self) -> None:
        for b in self.swatches:
            b.setChecked(self.current is not None and self.key(b.item) == self.key(self.current))

    def _sync_tag(self, tag: QLabel, yours: bool, worn: bool, own_key: str, yours_tip: str, own_tip: str) -> None:
        tag.setVisible(worn)
        tag.setText(tr("tag_yours") if yours else tr(own_key))
        tag.setProperty("yours", yours)
        tag.setToolTip(tr(yours_tip) if yours else tr(own_tip))
        tag.style().unpolish(tag)
        tag.style().polish(tag)

    @staticmethod
    def _set_slider(w: QSlider, value: int, enabled: bool) -> None:
        w.setEnabled(enabled)
        w.blockSignals(True)
        w.setValue(value)
        w.blockSignals(False)

    def _sync_controls(self) -> None:
        """The card, the swatches and the amount; a subclass adds its own controls."""
        s = self.current
        amount = None if s is None else round(getattr(s, self.AMOUNT) * 100)
        self._set_slider(self.amount, amount or 0, s is not None)
        self.amount_value.setText("–" if amount is None else f"{amount}%")
        self._sync_swatches()
        self.chip.set_item(s)
        if s is None:
            self.name_label.setText(tr(self.NONE_KEYS[0]))
            self.detail_label.setText(tr(self.NONE_KEYS[1]))
        else:
            self.name_label.setText(item_name(s))
            self.detail_label.setText(item_detail(s))
        fav = self.is_favourite(s)
        self.fav_button.setEnabled(s is not None)
        self.fav_button.setChecked(fav)
        self.fav_button.setText("★" if fav else "☆")
