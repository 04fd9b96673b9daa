"""The lipstick panel: the catalogue as named swatches grouped by family, favourites, finish,
opacity and a custom colour. Emits `shadeChanged(Shade | None)` whenever the choice changes; the window puts
it into the whole look (the panel edits its own part of the look, never the rest).

The finish and opacity rule: every shade has its own finish and opacity. One the user sets by hand (a finish
button, the slider, the keys) is theirs: it stays when they pick another shade, and the panel says so
("yours" beside the title), until they press "Reset to shade's", which brings back the picked shade's own values."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QSizePolicy

from tryon_desktop.core.looks import FINISHES, Finish, Shade
from tryon_desktop.ui.i18n import finish_name, shade_name, tr
from tryon_desktop.ui.swatch_panel import SwatchButton, SwatchPanel, item_name, name_lines, swatch_font

__all__ = ["LipstickPanel", "SwatchButton", "name_lines", "swatch_font"]


class LipstickPanel(SwatchPanel):
    shadeChanged = Signal(object)  # Shade | None

    def __init__(self, catalogue: tuple[Shade, ...], parent=None) -> None:
        super().__init__(catalogue, parent)
        self.finish_override: Finish | None = None  # set by hand: kept across shades until reset
        outer = self.outer

        # finish: title, whose it is (the shade's own or the user's), and the way back to the shade's own
        self.finish_title = QLabel(objectName="sectionTitle")
        self.finish_tag = QLabel(objectName="ownTag")
        self.reset_button = self._link_button(self.reset_to_shade)
        self._title_row(self.finish_title, self.finish_tag, self.reset_button)
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
        self.opacity_title = QLabel(objectName="sectionTitle")
        self.opacity_tag = QLabel(objectName="ownTag")
        self._build_amount(self.opacity_title, self.opacity_tag)
        self.opacity, self.opacity_value = self.amount, self.amount_value

        # actions
        self.custom_button = QPushButton()
        self.custom_button.clicked.connect(self.choose_custom_colour)
        self.bare_button = QPushButton()
        self.bare_button.clicked.connect(lambda: self.set_shade(None))
        self._button_row(self.custom_button, self.bare_button)

        self._build_swatch_area()
        self.retranslate()

    @property
    def shade(self) -> Shade | None:
        """The shade worn (None: bare lips)."""
        return self.current

    def retranslate(self) -> None:
        self.finish_title.setText(tr("finish"))
        self.opacity_title.setText(tr("opacity"))
        for f, b in self.finish_buttons.items():
            b.setText(finish_name(f))
        self.custom_button.setText(tr("custom_colour"))
        self.bare_button.setText(tr("bare_lips"))
        self.reset_button.setText("↺ " + tr("shade_own"))
        self.reset_button.setToolTip(tr("shade_own_tip"))
        super().retranslate()

    # ---- state ---------------------------------------------------------------------------------
    def own_shade(self, shade: Shade) -> Shade:
        """The shade as it comes, with its own finish and opacity: the catalogue's or a favourite's entry of
        the same name and colour, else the shade itself (a custom colour)."""
        return self.own_item(shade)

    def _worn(self, base: Shade) -> Shade:
        """`base` with the user's own finish and opacity, where they set them."""
        changes = {}
        if self.finish_override is not None:
            changes["finish"] = self.finish_override
        if self.amount_override is not None:
            changes["opacity"] = self.amount_override
        return base.with_(**changes) if changes else base

    def _emit(self, shade: Shade | None) -> None:
        self.shadeChanged.emit(shade)

    def _other_effect(self, look) -> tuple[str, object]:
        outfit = look.outfit
        return tr("look_outfit", name=item_name(outfit) if outfit else tr("no_outfit")), outfit

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
            self.amount_override = shade.opacity if abs(shade.opacity - own.opacity) > 0.004 else None
        self._apply(emit)

    def pick_shade(self, shade: Shade, emit: bool = True) -> None:
        """The user picked a swatch: its colour, with the finish and opacity they set by hand if they did,
        else the shade's own."""
        self.base = shade
        self._apply(emit)

    def reset_to_shade(self) -> None:
        """Forget the user's finish and opacity: the shade's own again (and for the shades picked next)."""
        self.finish_override = None
        self.amount_override = None
        self._apply(True)

    def set_finish(self, finish: Finish | str) -> None:
        if self.shade is None:
            self._sync_controls()
            return
        self.finish_override = Finish.parse(finish)
        self._apply(True)

    def set_opacity(self, value: float) -> None:
        self.set_amount(value)

    def nudge_opacity(self, delta: float) -> None:
        self.nudge(delta)

    def step_shade(self, step: int) -> None:
        """Next/previous catalogue shade (keyboard)."""
        self.step(step)

    def set_custom_colour(self, r: int, g: int, b: int) -> None:
        """A colour of the user's own: it comes with the finish and opacity worn now."""
        finish = self.shade.finish if self.shade else Finish.SATIN
        opacity = self.shade.opacity if self.shade else 0.85
        hexname = f"#{r:02X}{g:02X}{b:02X}"
        self.pick_shade(Shade(name=hexname, rgb=(r, g, b), finish=finish, opacity=opacity, family="custom"))

    def _sync_controls(self) -> None:
        super()._sync_controls()
        s = self.shade
        for f, b in self.finish_buttons.items():
            b.setEnabled(s is not None)
            b.setChecked(s is not None and s.finish == f)
        for tag, yours in ((self.finish_tag, self.finish_override), (self.opacity_tag, self.amount_override)):
            self._sync_tag(tag, yours is not None, s is not None, "tag_shades", "tag_yours_tip", "tag_shades_tip")
        own = self.base
        self.reset_button.setEnabled(self.finish_override is not None or self.amount_override is not None)
        if own is not None:
            self.reset_button.setToolTip(tr("shade_own_tip") + "\n" + tr(
                "shade_own_values", name=shade_name(own.name), finish=finish_name(own.finish),
                opacity=round(own.opacity * 100)))
