"""The Outfit tab: swatches, strength / scale / rotation and their "yours" rule, "No outfit change", favourites,
the keys on the tab shown, the mask toggle shared with the View menu, both languages, and the look restored."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt

from tryon_desktop.core.looks import PATTERNS, OutfitSwatch
from tryon_desktop.ui import i18n

pytestmark = pytest.mark.timeout(180)


class StubEngine:
    """Hands every frame back untouched and remembers the looks it was asked to wear."""

    notice = None
    provider = "test"
    lipstick = None

    def __init__(self):
        self.looks = []

    def process(self, frame, look, timestamp=None, **options):
        from tryon_desktop.engine import FrameResult

        self.looks.append(look)
        return FrameResult(frame=frame.copy(), faces=[], timings_ms={"total": 1.0}, renderer="none")

    def reset(self):
        pass

    def close(self):
        pass


@pytest.fixture
def window(make_window):
    def make(**kw):
        kw.setdefault("engine_factory", StubEngine)
        return make_window(**kw)

    return make


def _swatch(panel, name):
    return next(b for b in panel.swatches if b.item.name == name)


def _own(win, name):
    return next(s for s in win.outfit_catalogue if s.name == name)


def _focus(win, qtbot):
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=15000)


def test_the_outfit_tab_sits_beside_lipstick_with_every_swatch_by_family(window):
    win = window()
    assert [win.tabs.tabText(i) for i in range(win.tabs.count())] == ["Lipstick", "Outfit"]
    panel = win.outfit_panel
    assert win.tabs.indexOf(panel) == 1
    assert [b.item for b in panel.swatches] == list(win.outfit_catalogue)  # no favourites yet: the catalogue
    titles = [label.text() for label, _ in panel._section_labels]
    assert titles == ["Neutrals", "Darks", "Brights", "Pastels", "Denim", "Stripes", "Checks", "Prints", "Weaves"]
    assert len(panel.swatches) == 42


def test_the_family_bar_scrolls_to_a_family_and_follows_favourites(window, qtbot):
    """A small window shows a family or two: a button per family above the swatches scrolls to it."""
    win = window()
    win.resize(1024, 640)
    win.show()
    win.tabs.setCurrentWidget(win.outfit_panel)
    p = win.outfit_panel
    qtbot.waitExposed(win)
    names = [b.text() for b, _ in p.jump_buttons]
    assert names == ["Neutrals", "Darks", "Brights", "Pastels", "Denim", "Stripes", "Checks", "Prints", "Weaves"]
    bar = p.scroll.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0  # more swatches than fit
    assert win.lipstick_panel.jump_host.isHidden()  # (its room goes to swatches: three families show there)
    stripes = next(b for b, key in p.jump_buttons if key == "stripes")
    qtbot.mouseClick(stripes, Qt.MouseButton.LeftButton)
    title = next(label for label, key in p._section_labels if key == "stripes")
    assert bar.value() == min(title.y(), bar.maximum()) > 0
    # the section's title is in view, at the top unless the list ends first
    top = title.mapTo(p.scroll.viewport(), QPoint(0, 0)).y()
    assert 0 <= top < p.scroll.viewport().height()
    qtbot.mouseClick(next(b for b, key in p.jump_buttons if key == "neutral"), Qt.MouseButton.LeftButton)
    assert bar.value() == 0
    # a favourite adds its section and its button, first
    qtbot.mouseClick(_swatch(p, "Houndstooth"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(p.fav_button, Qt.MouseButton.LeftButton)
    assert [b.text() for b, _ in p.jump_buttons][:2] == ["Favourites", "Neutrals"]
    i18n.set_language("zh_CN")
    try:
        win.retranslate()
        assert p.jump_buttons[0][0].text() == "收藏" and "收藏" in p.jump_buttons[0][0].toolTip()
    finally:
        i18n.set_language("en")
        win.retranslate()


def test_picking_a_swatch_updates_the_look_the_pipeline_and_the_engine(window, qtbot):
    engine = StubEngine()
    win = window(engine_factory=lambda: engine)
    win.tabs.setCurrentWidget(win.outfit_panel)
    lip = win.look.lipstick
    qtbot.mouseClick(_swatch(win.outfit_panel, "Navy"), Qt.MouseButton.LeftButton)
    navy = _own(win, "Navy")
    assert win.outfit_panel.outfit == navy and win.look.outfit == navy and win.look.lipstick == lip
    assert win.pipeline.look.get()[0] == win.look
    assert json.loads(win.settings.value("look"))["outfit"]["name"] == "Navy"
    assert _swatch(win.outfit_panel, "Navy").isChecked() and not _swatch(win.outfit_panel, "Black").isChecked()
    assert win.outfit_panel.name_label.text() == "Navy" and "#1D2B4F" in win.outfit_panel.detail_label.text()
    qtbot.waitUntil(lambda: bool(engine.looks) and engine.looks[-1].outfit == navy, timeout=30000)
    # a pattern
    qtbot.mouseClick(_swatch(win.outfit_panel, "Gingham"), Qt.MouseButton.LeftButton)
    assert win.look.outfit == _own(win, "Gingham") and win.pipeline.look.get()[0].outfit.pattern == "gingham"


def test_the_look_card_shows_both_effects(window):
    win = window()
    plum = next(s for s in win.catalogue if s.name == "Plum")
    win.lipstick_panel.set_shade(plum)
    win.outfit_panel.set_outfit(_own(win, "Tartan"))
    assert win.lipstick_panel.name_label.text() == "Plum"
    assert win.lipstick_panel.other_button.text() == "Outfit: Tartan"
    assert win.outfit_panel.name_label.text() == "Tartan"
    assert win.outfit_panel.other_button.text() == "Lipstick: Plum"
    win.outfit_panel.set_outfit(None)
    win.lipstick_panel.set_shade(None)
    assert win.lipstick_panel.other_button.text() == "Outfit: No outfit change"
    assert win.outfit_panel.other_button.text() == "Lipstick: Bare lips"
    win.outfit_panel.other_button.click()  # the line leads to the other tab
    assert win.tabs.currentWidget() is win.lipstick_panel
    win.lipstick_panel.other_button.click()
    assert win.tabs.currentWidget() is win.outfit_panel


def test_a_lipstick_keeps_the_outfit_and_an_outfit_keeps_the_lipstick(window, qtbot):
    win = window()
    qtbot.mouseClick(_swatch(win.outfit_panel, "Breton"), Qt.MouseButton.LeftButton)
    breton = win.look.outfit
    qtbot.mouseClick(_swatch(win.lipstick_panel, "Peony"), Qt.MouseButton.LeftButton)
    assert win.look.outfit == breton and win.look.lipstick.name == "Peony"
    peony = win.look.lipstick
    win.lipstick_panel.set_shade(None)
    assert win.look.outfit == breton and win.pipeline.look.get()[0].outfit == breton
    win.lipstick_panel.set_shade(peony)
    qtbot.mouseClick(_swatch(win.outfit_panel, "Mint"), Qt.MouseButton.LeftButton)
    assert win.look.lipstick == peony and win.look.outfit.name == "Mint"
    win.outfit_panel.set_outfit(None)
    assert win.look.lipstick == peony and win.pipeline.look.get()[0] == win.look


def test_strength_scale_and_rotation_follow_the_yours_rule(window, qtbot):
    """Set by hand they are the user's: strength and rotation as they are, scale as a multiple of each
    pattern's own, kept across swatches until "Reset to swatch's"; a colour has no scale or rotation."""
    win = window()
    p = win.outfit_panel
    qtbot.mouseClick(_swatch(p, "Navy"), Qt.MouseButton.LeftButton)
    assert not p.scale.isEnabled() and not p.rotation.isEnabled() and p.strength.isEnabled()
    assert p.strength_tag.text() == i18n.tr("tag_swatch") and not p.reset_button.isEnabled()
    p.strength.setValue(60)
    assert win.look.outfit.strength == pytest.approx(0.60) and win.look.outfit.rgb == _own(win, "Navy").rgb
    assert p.strength_tag.text() == i18n.tr("tag_yours") and p.reset_button.isEnabled()

    qtbot.mouseClick(_swatch(p, "Gingham"), Qt.MouseButton.LeftButton)
    assert p.scale.isEnabled() and p.rotation.isEnabled()
    assert win.look.outfit.strength == pytest.approx(0.60)  # the user's strength came along
    assert p.pattern_tag.text() == i18n.tr("tag_swatch")
    p.set_scale_factor(2.0)
    p.set_rotation(45)
    worn = win.look.outfit
    assert worn.scale == pytest.approx(2 * _own(win, "Gingham").scale, rel=0.01) and worn.rotation == 45
    assert p.scale_value.text() == "×2" and p.rotation_value.text() == "45°"
    assert p.pattern_tag.text() == i18n.tr("tag_yours")
    assert win.pipeline.look.get()[0].outfit == worn

    qtbot.mouseClick(_swatch(p, "Tartan"), Qt.MouseButton.LeftButton)  # another pattern: twice its own repeat
    tartan = win.look.outfit
    assert tartan.scale == pytest.approx(2 * _own(win, "Tartan").scale, rel=0.01)
    assert tartan.rotation == 45 and tartan.strength == pytest.approx(0.60)
    p.set_scale_factor(0.25)  # a pinstripe a quarter of its own would be under the smallest repeat: clamped
    qtbot.mouseClick(_swatch(p, "Pinstripe"), Qt.MouseButton.LeftButton)
    assert win.look.outfit.scale == pytest.approx(0.05)

    qtbot.mouseClick(_swatch(p, "Mint"), Qt.MouseButton.LeftButton)  # a colour: the pattern values wait
    assert not p.scale.isEnabled() and win.look.outfit.strength == pytest.approx(0.60)
    qtbot.mouseClick(p.reset_button, Qt.MouseButton.LeftButton)
    assert win.look.outfit == _own(win, "Mint") and not p.reset_button.isEnabled()
    qtbot.mouseClick(_swatch(p, "Tartan"), Qt.MouseButton.LeftButton)
    assert win.look.outfit == _own(win, "Tartan")  # each swatch's own again


def test_no_outfit_change(window, qtbot):
    win = window()
    p = win.outfit_panel
    qtbot.mouseClick(_swatch(p, "Cobalt"), Qt.MouseButton.LeftButton)
    assert win.pipeline.look.get()[0].outfit is not None
    qtbot.mouseClick(p.none_button, Qt.MouseButton.LeftButton)
    assert p.outfit is None and win.look.outfit is None and win.pipeline.look.get()[0].outfit is None
    assert json.loads(win.settings.value("look"))["outfit"] is None
    assert p.name_label.text() == "No outfit change" and not any(b.isChecked() for b in p.swatches)
    assert not p.strength.isEnabled() and not p.fav_button.isEnabled()
    assert win.look.lipstick is not None  # the lipstick stays


def test_outfit_favourites_persist_in_their_own_setting(window, qtbot, settings):
    win = window()
    p = win.outfit_panel
    lip_favs = win.settings.value("favourites", "[]")
    qtbot.mouseClick(_swatch(p, "Houndstooth"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(p.fav_button, Qt.MouseButton.LeftButton)
    assert p.is_favourite(p.outfit) and p.fav_button.text() == "★"
    assert p._section_labels[0][0].text() == "Favourites" and p.swatches[0].item.name == "Houndstooth"
    assert [d["name"] for d in json.loads(settings.value("outfit_favourites"))] == ["Houndstooth"]
    assert win.settings.value("favourites", "[]") == lip_favs  # the lipstick's favourites untouched
    win.close()
    again = window()
    p2 = again.outfit_panel
    assert [f.name for f in p2.favourites] == ["Houndstooth"] and isinstance(p2.favourites[0], OutfitSwatch)
    assert p2.swatches[0].item.name == "Houndstooth" and p2.swatches[0].isChecked()
    assert again.lipstick_panel.favourites == []
    p2.toggle_favourite()
    assert json.loads(settings.value("outfit_favourites")) == []


def test_the_keys_act_on_the_tab_shown(window, qtbot, monkeypatch):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    win = window()
    _focus(win, qtbot)
    lip = win.look.lipstick
    first = win.outfit_catalogue[0]
    win.tabs.setCurrentWidget(win.outfit_panel)
    assert win.next_action.text() == "Next outfit" and win.more_action.text() == "More strength"
    win.outfit_panel.set_outfit(first)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.look.outfit == win.outfit_catalogue[1] and win.look.lipstick == lip
    qtbot.keyClick(win, Qt.Key.Key_Left)
    qtbot.keyClick(win, Qt.Key.Key_Left)
    assert win.look.outfit == win.outfit_catalogue[-1]
    qtbot.keyClick(win, Qt.Key.Key_Down)
    assert win.look.outfit.strength == pytest.approx(0.95, abs=0.011)
    qtbot.keyClick(win, Qt.Key.Key_F)
    assert win.outfit_panel.is_favourite(win.look.outfit) and not win.lipstick_panel.favourites
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#123456")))
    qtbot.keyClick(win, Qt.Key.Key_C)
    assert win.look.outfit.rgb == (0x12, 0x34, 0x56) and win.look.outfit.pattern is None
    assert win.look.lipstick == lip
    qtbot.keyClick(win, Qt.Key.Key_0)
    assert win.look.outfit is None and win.look.lipstick == lip

    # back on the Lipstick tab the same keys step the lipstick and leave the outfit alone
    win.outfit_panel.set_outfit(first)
    win.tabs.setCurrentWidget(win.lipstick_panel)
    assert win.next_action.text() == "Next shade"
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.look.outfit == first and win.look.lipstick != lip


def test_the_mask_toggle_is_the_view_menus_garment_mask(window, qtbot):
    win = window()
    p = win.outfit_panel
    assert not p.mask_button.isChecked() and not win.mask_action.isChecked()
    qtbot.mouseClick(p.mask_button, Qt.MouseButton.LeftButton)
    assert win.mask_action.isChecked() and win.pipeline.display.show_mask
    win.mask_action.trigger()  # the View menu (or G) turns it off: the panel follows
    assert not p.mask_button.isChecked() and not win.pipeline.display.show_mask
    win.mask_action.trigger()
    assert p.mask_button.isChecked()


class FillEngine(StubEngine):
    """A stub that records the body fill settings the worker hands it."""

    fills: list = []
    garment = SimpleNamespace(notice=None)  # (a garment mask: the switch is offered)

    def set_body_fill(self, on):
        FillEngine.fills.append(on)


def test_whole_garment_is_the_view_menus_body_fill_and_reaches_the_engine_and_the_next_start(window, qtbot,
                                                                                            monkeypatch):
    from tryon_desktop.vision import body_fill

    monkeypatch.setattr(body_fill, "person_mask_possible", lambda: True)  # (Python 3.13's mediapipe has none)
    FillEngine.fills = []
    win = window(engine_factory=FillEngine)
    p = win.outfit_panel
    assert p.fill_button.isChecked() and win.fill_action.isChecked() and win.pipeline.display.body_fill
    qtbot.waitUntil(lambda: FillEngine.fills[-1:] == [True], timeout=15000)  # handed over with the first frame
    qtbot.mouseClick(p.fill_button, Qt.MouseButton.LeftButton)  # off, from the Outfit tab
    assert not win.fill_action.isChecked() and not win.pipeline.display.body_fill
    qtbot.waitUntil(lambda: FillEngine.fills[-1:] == [False], timeout=15000)
    win.fill_action.trigger()  # the View menu (or W) turns it back on: the panel follows
    assert p.fill_button.isChecked() and win.pipeline.display.body_fill
    qtbot.waitUntil(lambda: FillEngine.fills[-1:] == [True], timeout=15000)
    win.fill_action.trigger()
    win2 = window(engine_factory=FillEngine)  # the same settings: it stays off
    assert not win2.fill_action.isChecked() and not win2.outfit_panel.fill_button.isChecked()
    assert not win2.pipeline.display.body_fill


def test_whole_garment_is_greyed_out_where_the_person_mask_cannot_run(window):
    from tryon_desktop.pipeline.worker import PipelineEvent

    win = window()
    win._handle_event(PipelineEvent("info", "engine_ready", {"body_fill_possible": False}))
    assert not win.outfit_panel.fill_button.isEnabled() and not win.fill_action.isEnabled()
    assert "not available" in win.outfit_panel.fill_button.toolTip()
    i18n.set_language("zh")
    try:
        win.retranslate()
        assert win.outfit_panel.fill_button.text() == "完整服装"
        assert "mediapipe" in win.outfit_panel.fill_button.toolTip()
    finally:
        i18n.set_language("en")
        win.retranslate()
    win._handle_event(PipelineEvent("info", "engine_ready", {"body_fill_possible": True}))
    assert win.outfit_panel.fill_button.isEnabled() and win.fill_action.isEnabled()


def test_from_a_garment_photo_asks_for_it(window, qtbot, tmp_path, monkeypatch, shirt_png):
    from tryon_desktop.ui import garment_swatch_dialog

    photo = shirt_png(tmp_path / "red tee.png", rgb=(170, 60, 40))
    asked = []

    def ask(*args, **kw):
        asked.append(args)
        return str(photo), ""

    monkeypatch.setattr(garment_swatch_dialog.QFileDialog, "getOpenFileName", staticmethod(ask))
    win = window()
    b = win.outfit_panel.photo_button
    win.tabs.setCurrentWidget(win.outfit_panel)
    assert b.isVisible() and b.isEnabled() and b.text() == "From a garment photo…"
    with qtbot.waitSignal(win.outfit_panel.fromPhotoRequested, timeout=2000):
        qtbot.mouseClick(b, Qt.MouseButton.LeftButton)
    dialog = win.findChild(garment_swatch_dialog.GarmentSwatchDialog)
    assert asked and dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.found is not None, timeout=30000)
    dialog.reject()


def test_pattern_swatches_show_a_patch_of_their_pattern(window):
    from tryon_desktop.ui.swatch_panel import pattern_patch

    for name in PATTERNS:
        img = pattern_patch(name, (29, 43, 79), 0.1, 0.0)
        a = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
        assert a.std() > 10, name  # a pattern, not a flat colour
    win = window()
    win.tabs.setCurrentWidget(win.outfit_panel)

    def chip_spread(button):
        im = button.grab().toImage()
        cx, top = button.width() // 2, 5
        px = [im.pixelColor(cx + dx, top + 20 + dy) for dx in range(-10, 11, 2) for dy in range(-10, 11, 2)]
        return np.std([(c.red(), c.green(), c.blue()) for c in px], axis=0).max()

    assert chip_spread(_swatch(win.outfit_panel, "Gingham")) > 20
    assert chip_spread(_swatch(win.outfit_panel, "Navy")) < 2


def test_the_language_switch_retranslates_the_panel(window):
    win = window()
    p = win.outfit_panel
    p.set_outfit(_own(win, "Navy"))
    win.set_language("zh_CN")
    try:
        assert win.tabs.tabText(1) == "服装"
        assert p.name_label.text() == "藏青" and p.strength_title.text() == "强度"
        assert p.none_button.text() == "不换装" and p.photo_button.text() == "从服装照片…"
        assert p.mask_button.text() == "显示服装区域" and p.custom_button.text() == "自定义颜色…"
        assert [label.text() for label, _ in p._section_labels][:2] == ["中性色", "深色"]
        assert _swatch(p, "Navy").label_lines() == ["藏青"] and _swatch(p, "Navy").accessibleName() == "藏青"
        assert p.other_button.text().startswith("口红：")
        assert win.lipstick_panel.other_button.text() == "服装：藏青"
        win.tabs.setCurrentWidget(p)
        assert win.next_action.text() == "下一个服装样式"
        for b in p.swatches:  # every shipped swatch, family and pattern has its Chinese name
            assert b.item.name in i18n.OUTFIT_NAMES_ZH, b.item.name
            assert f"family_{b.item.family}" in i18n.STRINGS, b.item.family
            assert not b.item.pattern or f"pattern_{b.item.pattern}" in i18n.STRINGS, b.item.pattern
    finally:
        win.set_language("en")
    assert p.name_label.text() == "Navy" and p.none_button.text() == "No outfit change"
    assert [label.text() for label, _ in p._section_labels][:2] == ["Neutrals", "Darks"]


def test_the_settings_restore_both_effects_and_the_tab(window, qtbot, settings):
    win = window()
    plum = next(s for s in win.catalogue if s.name == "Plum")
    win.lipstick_panel.set_shade(plum)
    p = win.outfit_panel
    p.set_outfit(_own(win, "Floral"))
    p.strength.setValue(70)
    p.set_scale_factor(1.5)
    p.set_rotation(-30)
    worn = win.look.outfit
    assert (worn.name, worn.rotation) == ("Floral", 330)
    win.tabs.setCurrentWidget(p)
    win.close()

    again = window()
    assert again.look.lipstick == plum and again.look.outfit == worn
    assert again.pipeline.look.get()[0] == again.look
    p2 = again.outfit_panel
    assert p2.outfit == worn and _swatch(p2, "Floral").isChecked()
    assert p2.strength.value() == 70 and p2.rotation.value() == -30 and p2.scale_value.text() == "×1.5"
    assert p2.strength_tag.text() == p2.pattern_tag.text() == i18n.tr("tag_yours")  # still the user's
    assert again.tabs.currentWidget() is p2
    qtbot.mouseClick(_swatch(p2, "Gingham"), Qt.MouseButton.LeftButton)
    g = again.look.outfit
    assert g.strength == pytest.approx(0.70) and g.rotation == 330 and again.look.lipstick == plum


def test_the_outfit_tab_works_at_1024x640_in_both_languages(window, qtbot):
    from PySide6.QtGui import QFontMetrics

    from tryon_desktop.ui.swatch_panel import swatch_font

    win = window()
    win.resize(1024, 640)
    win.tabs.setCurrentWidget(win.outfit_panel)
    qtbot.waitUntil(lambda: win.size() == QSize(1024, 640), timeout=5000)
    p = win.outfit_panel
    p.set_outfit(_own(win, "Gingham"))
    qtbot.wait(50)
    for lang in ("en", "zh_CN"):
        win.set_language(lang)
        qtbot.wait(20)
        for b in (p.custom_button, p.none_button, p.photo_button, p.mask_button):
            assert b.width() >= b.sizeHint().width(), (lang, b.text())  # the text is never cut
        for label in (p.name_label, p.detail_label, p.strength_title, p.pattern_title, p.scale_label,
                      p.rotation_label):
            assert label.width() >= label.sizeHint().width(), (lang, label.text())
        for b in p.swatches:
            lines = b.label_lines()
            fm = QFontMetrics(swatch_font(b.font()))
            assert len(lines) <= 2 and all(fm.horizontalAdvance(t) <= b.text_width() for t in lines), (lang, lines)
    win.set_language("en")
    assert all(" ".join(b.label_lines()) == b.item.name for b in p.swatches)  # English: never elided
    view = p.scroll.viewport()
    first = p.swatches[0]
    assert view.rect().contains(QRect(first.mapTo(view, QPoint(0, 0)), first.size()))
    assert QRect(p.mapTo(win, QPoint(0, 0)), p.size()).right() <= win.rect().right()


@pytest.mark.parametrize("content, kept", [
    ({"swatches": [{"name": "Good", "hex": "#102030"}, {"name": "Bad", "pattern": "plaid"}]}, ["Good"]),
    ("{not json", []),
])
def test_a_bad_outfit_catalogue_leaves_the_good_swatches_and_says_so(window, tmp_path, monkeypatch, content, kept):
    from tryon_desktop.core import looks

    bad = tmp_path / "outfits.json"
    bad.write_text(content if isinstance(content, str) else json.dumps(content))
    monkeypatch.setattr(looks, "OUTFIT_CATALOGUE_PATH", bad)
    looks.default_outfit_catalogue.cache_clear()
    try:
        win = window()
        assert [s.name for s in win.outfit_catalogue] == kept
        assert [b.item.name for b in win.outfit_panel.swatches] == kept
        level, text = win.banner.messages["outfit_catalogue_bad"]
        assert level == "warning" and "outfits.json" in text and win.banner.isVisible()
        # the lipstick is untouched, and a custom outfit colour still works
        assert win.look.lipstick is not None
        win.outfit_panel.set_custom_colour(10, 20, 30)
        assert win.look.outfit is not None and win.look.outfit.rgb == (10, 20, 30)
    finally:
        looks.default_outfit_catalogue.cache_clear()


def test_a_swatch_from_a_garment_photo_joins_the_panel_and_is_worn(window, tmp_path, qtbot, shirt_png):
    from tryon_desktop.vision.garment_swatch import load_custom_swatches

    photo = shirt_png(tmp_path / "red tee.png", rgb=(170, 60, 40))
    win = window()
    lipstick = win.look.lipstick
    dlg = win.swatch_from_photo(str(photo))
    qtbot.waitUntil(lambda: dlg.found is not None, timeout=30000)
    dlg.save_button.click()
    sw = win.look.outfit
    assert sw is not None and sw.name == "red tee" and sw.is_pattern and sw.family == "custom"
    assert win.look.lipstick == lipstick  # the lipstick is left as it was
    assert any(b.item.name == "red tee" for b in win.outfit_panel.swatches)
    assert win.tabs.currentWidget() is win.outfit_panel
    # it is kept: a new window finds it among the user's own swatches
    saved, problems = load_custom_swatches()
    assert [s.name for s in saved] == ["red tee"] and not problems
    win2 = window()
    assert any(b.item.name == "red tee" for b in win2.outfit_panel.swatches)


def test_keys_on_an_empty_outfit_catalogue_do_nothing(window, tmp_path, monkeypatch):
    from tryon_desktop.core import looks

    bad = tmp_path / "outfits.json"
    bad.write_text("[]")
    monkeypatch.setattr(looks, "OUTFIT_CATALOGUE_PATH", bad)
    looks.default_outfit_catalogue.cache_clear()
    try:
        win = window()
        win.tabs.setCurrentWidget(win.outfit_panel)
        win.next_action.trigger()
        win.prev_action.trigger()
        assert win.look.outfit is None
    finally:
        looks.default_outfit_catalogue.cache_clear()
