"""The outfit panel: what the worn top becomes. The outfit catalogue as named swatches grouped by family
(colours, and patterns shown as a small drawn patch of the pattern), favourites, strength, the pattern's
scale and rotation, "No outfit change", a custom colour, the garment mask overlay, "Whole garment" (the
garment mask's body fill), and the way to a swatch
made from a garment photo. Emits `outfitChanged(OutfitSwatch | None)` whenever the choice changes; the window
puts it into the whole look (the panel edits the outfit, never the lipstick).

The strength, scale and rotation rule (the lipstick panel's "yours" rule, fitted to patterns): every swatch has
its own strength, and a pattern its own scale and rotation. One the user sets by hand (a slider, the keys) is
theirs, and the panel says so ("yours" beside the title): it stays when they pick another swatch, until they
press "Reset to swatch's", which brings back each swatch's own values.
- strength: the user's value, as it is, for every swatch;
- rotation: the user's angle, as it is, for every pattern;
- scale: kept as a multiple of each pattern's own repeat (×1.5 makes a pinstripe and a tartan each half as big
  again), since the shipped patterns' own repeats differ fivefold and one size for all would turn a pinstripe
  into a wide stripe;
- a colour has no scale or rotation: those controls are off and the user's values wait for the next pattern.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton

from tryon_desktop.core.looks import OUTFIT_DEFAULT_STRENGTH, SCALE_RANGE, OutfitSwatch
from tryon_desktop.ui.i18n import tr
from tryon_desktop.ui.style import toggle_icon
from tryon_desktop.ui.swatch_panel import SwatchPanel, item_detail, item_name, scale_text, slider

SCALE_STEPS = 100  # the scale slider: log2 of the factor, in hundredths
SCALE_FACTORS = (0.25, 4.0)  # the user's scale, as a multiple of the pattern's own
ROTATION_RANGE = (-180, 180)


class OutfitPanel(SwatchPanel):
    outfitChanged = Signal(object)  # OutfitSwatch | None
    fromPhotoRequested = Signal()
    maskToggled = Signal(bool)  # the user toggled the garment mask overlay here
    fillToggled = Signal(bool)  # the user toggled "Whole garment" (the garment mask's body fill) here

    ITEM = OutfitSwatch
    AMOUNT = "strength"
    NONE_KEYS = ("no_outfit", "no_outfit_detail")
    FAVOURITE_TIP = "outfit_favourite_tip"
    JUMP_BAR = True
    CUSTOM_START = "#1F3A93"
    CUSTOM_TITLE = "outfit_custom_title"

    def __init__(self, catalogue: tuple[OutfitSwatch, ...], parent=None) -> None:
        super().__init__(catalogue, parent)
        # the strength set by hand is the base's amount_override: kept across swatches until reset
        self.scale_factor: float | None = None  # the user's scale, a multiple of each pattern's own
        self.rotation_override: float | None = None
        outer = self.outer
        widest = "-180°"  # the value labels of all three sliders are as wide: the sliders line up

        # strength: title, whose it is, the way back to the swatch's own values; the slider and its value
        self.strength_title = QLabel(objectName="sectionTitle")
        self.strength_tag = QLabel(objectName="ownTag")
        self.reset_button = self._link_button(self.reset_to_swatch)
        self._build_amount(self.strength_title, self.strength_tag, self.reset_button, widest)
        self.strength, self.strength_value = self.amount, self.amount_value

        # the pattern: scale and rotation, one labelled slider each
        self.pattern_title = QLabel(objectName="sectionTitle")
        self.pattern_tag = QLabel(objectName="ownTag")
        self._title_row(self.pattern_title, self.pattern_tag)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        lo, hi = (round(math.log2(f) * SCALE_STEPS) for f in SCALE_FACTORS)
        self.scale = slider(lo, hi, SCALE_STEPS // 4, self._scale_moved)
        self.rotation = slider(*ROTATION_RANGE, 15, self._rotation_moved)
        self.scale_label, self.rotation_label = QLabel(objectName="muted"), QLabel(objectName="muted")
        self.scale_value, self.rotation_value = self._value_label(widest), self._value_label(widest)
        for r, widgets in enumerate(((self.scale_label, self.scale, self.scale_value),
                                     (self.rotation_label, self.rotation, self.rotation_value))):
            for c, w in enumerate(widgets):
                grid.addWidget(w, r, c)
        grid.setColumnStretch(1, 1)
        outer.addLayout(grid)

        # actions
        self.custom_button = QPushButton()
        self.custom_button.clicked.connect(self.choose_custom_colour)
        self.none_button = QPushButton()
        self.none_button.clicked.connect(lambda: self.set_outfit(None))
        self._button_row(self.custom_button, self.none_button)
        self.photo_button = QPushButton()
        self.photo_button.clicked.connect(self.fromPhotoRequested)
        self.mask_button = QPushButton(objectName="segment")
        self.mask_button.setCheckable(True)
        self.mask_button.setIcon(toggle_icon())
        self.mask_button.toggled.connect(self.maskToggled)
        self.fill_button = QPushButton(objectName="segment")
        self.fill_button.setCheckable(True)
        self.fill_button.setChecked(True)
        self.fill_button.setIcon(toggle_icon())
        self.fill_button.toggled.connect(self.fillToggled)
        self.fill_possible = True  # False where the person mask cannot run (the button is greyed out)
        self._button_row(self.photo_button)
        self._button_row(self.mask_button, self.fill_button)

        self._build_swatch_area()
        self.retranslate()

    @property
    def outfit(self) -> OutfitSwatch | None:
        """The outfit worn (None: no outfit change)."""
        return self.current

    def retranslate(self) -> None:
        self.strength_title.setText(tr("strength"))
        self.pattern_title.setText(tr("pattern"))
        self.scale_label.setText(tr("pattern_scale"))
        self.rotation_label.setText(tr("pattern_rotation"))
        for w in (self.scale_label, self.scale):
            w.setToolTip(tr("pattern_scale_tip"))
        for w in (self.rotation_label, self.rotation):
            w.setToolTip(tr("pattern_rotation_tip"))
        self.custom_button.setText(tr("custom_colour"))
        self.none_button.setText(tr("no_outfit"))
        self.photo_button.setText(tr("outfit_from_photo"))
        self.photo_button.setToolTip(tr("outfit_from_photo_tip"))
        self.mask_button.setText(tr("mask_toggle"))
        self.mask_button.setToolTip(tr("mask_overlay") + " (G)")
        self.fill_button.setText(tr("body_fill"))
        self.fill_button.setToolTip(tr("body_fill_tip") if self.fill_possible else tr("body_fill_off_here"))
        self.reset_button.setText("↺ " + tr("swatch_own"))
        super().retranslate()

    # ---- state ---------------------------------------------------------------------------------
    def _worn(self, base: OutfitSwatch) -> OutfitSwatch:
        """`base` with the user's own strength, and for a pattern their scale and rotation, where they set them."""
        changes: dict = {}
        if self.amount_override is not None:
            changes["strength"] = self.amount_override
        if base.is_pattern:
            if self.scale_factor is not None:
                changes["scale"] = round(min(max(base.scale * self.scale_factor, SCALE_RANGE[0]), SCALE_RANGE[1]), 4)
            if self.rotation_override is not None:
                changes["rotation"] = self.rotation_override
        return base.with_(**changes) if changes else base

    def _emit(self, outfit: OutfitSwatch | None) -> None:
        self.outfitChanged.emit(outfit)

    def _other_effect(self, look) -> tuple[str, object]:
        lip = look.lipstick
        return tr("look_lipstick", name=item_name(lip) if lip else tr("bare_lips")), lip

    def set_outfit(self, outfit: OutfitSwatch | None, emit: bool = True) -> None:
        """Wear exactly `outfit` (restoring a look, a swatch from a garment photo, scripts, tests). Where its
        strength, scale or rotation differ from the swatch's own, they count as the user's (so they stay when
        another swatch is picked). None: no outfit change, the user's values kept for the next swatch."""
        if outfit is None:
            self.base = None
        else:
            own = self.own_item(outfit)
            self.base = own
            self.amount_override = outfit.strength if abs(outfit.strength - own.strength) > 0.004 else None
            if outfit.is_pattern:
                factor = outfit.scale / own.scale
                self.scale_factor = factor if abs(factor - 1.0) > 0.001 else None
                turned = abs((outfit.rotation - own.rotation + 180.0) % 360.0 - 180.0) > 0.05
                self.rotation_override = outfit.rotation if turned else None
        self._apply(emit)

    def add_custom(self, swatches) -> None:
        """The user's own swatches (made from garment photos) join the panel, under Custom; one of the same
        name replaces the one there."""
        names = {sw.name.casefold() for sw in swatches}
        if not names:
            return
        self.catalogue = tuple(s for s in self.catalogue if s.name.casefold() not in names) + tuple(swatches)
        self._build_grid()

    def reset_to_swatch(self) -> None:
        """Forget the user's strength, scale and rotation: each swatch's own again."""
        self.amount_override = self.scale_factor = self.rotation_override = None
        self._apply(True)

    def set_strength(self, value: float) -> None:
        self.set_amount(value)

    def set_scale_factor(self, factor: float) -> None:
        """The pattern's repeat as a multiple of its own (the slider's steps)."""
        self.scale.setValue(round(math.log2(max(factor, 1e-3)) * SCALE_STEPS))

    def set_rotation(self, degrees: float) -> None:
        self.rotation.setValue(round((degrees + 180.0) % 360.0 - 180.0))

    def _scale_moved(self, v: int) -> None:
        if self.outfit is not None and self.outfit.is_pattern:
            self.scale_factor = 2.0 ** (v / SCALE_STEPS)
            self._apply(True)

    def _rotation_moved(self, v: int) -> None:
        if self.outfit is not None and self.outfit.is_pattern:
            self.rotation_override = float(v % 360)
            self._apply(True)

    def set_custom_colour(self, r: int, g: int, b: int) -> None:
        """A colour of the user's own: it comes with the strength worn now."""
        strength = self.outfit.strength if self.outfit else OUTFIT_DEFAULT_STRENGTH
        self.pick(OutfitSwatch(name=f"#{r:02X}{g:02X}{b:02X}", rgb=(r, g, b), strength=strength, family="custom"))

    def set_mask_shown(self, on: bool) -> None:
        """The garment mask overlay as the window has it (the View menu's action and G toggle it too)."""
        self.mask_button.blockSignals(True)
        self.mask_button.setChecked(bool(on))
        self.mask_button.blockSignals(False)

    def set_fill_on(self, on: bool) -> None:
        """"Whole garment" as the window has it (the View menu's action and W toggle it too)."""
        self.fill_button.blockSignals(True)
        self.fill_button.setChecked(bool(on))
        self.fill_button.blockSignals(False)

    def set_fill_possible(self, possible: bool) -> None:
        """Grey "Whole garment" out, saying why, where the person mask cannot run."""
        self.fill_possible = bool(possible)
        self.fill_button.setEnabled(self.fill_possible)
        self.fill_button.setToolTip(tr("body_fill_tip") if self.fill_possible else tr("body_fill_off_here"))

    # ---- showing the state ---------------------------------------------------------------------
    def _sync_controls(self) -> None:
        super()._sync_controls()
        s, own = self.outfit, self.base
        pattern = s is not None and s.is_pattern
        factor = s.scale / own.scale if pattern else 1.0
        rotation = round((s.rotation + 180.0) % 360.0 - 180.0) if pattern else 0
        self._set_slider(self.scale, round(math.log2(factor) * SCALE_STEPS), pattern)
        self._set_slider(self.rotation, rotation, pattern)
        self.scale_value.setText(scale_text(factor) if pattern else "–")
        self.rotation_value.setText(f"{rotation}°" if pattern else "–")
        for w in (self.scale_label, self.rotation_label):
            w.setEnabled(pattern)
        tips = ("tag_swatch", "tag_yours_outfit_tip", "tag_swatch_tip")
        self._sync_tag(self.strength_tag, self.amount_override is not None, s is not None, *tips)
        self._sync_tag(self.pattern_tag, self.scale_factor is not None or self.rotation_override is not None,
                       pattern, *tips)
        self.reset_button.setEnabled(any(v is not None for v in
                                         (self.amount_override, self.scale_factor, self.rotation_override)))
        tip = tr("swatch_own_tip")
        if own is not None:
            tip += "\n" + tr("own_values", name=item_name(own), detail=item_detail(own))
        self.reset_button.setToolTip(tip)
