"""The swatch-from-a-photo dialog, offscreen: open, move the crop, save; bad files say so and save nothing."""

import json

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QWheelEvent

from tryon_desktop.vision import garment_swatch as gs

pytest.importorskip("pytestqt")


@pytest.fixture(scope="module")
def finder():
    with gs.GarmentFinder() as f:
        yield f


@pytest.fixture
def make_dialog(qtbot, finder):
    from tryon_desktop.ui.app import make_app
    from tryon_desktop.ui.garment_swatch_dialog import GarmentSwatchDialog

    make_app()

    def make(path, store):
        dlg = GarmentSwatchDialog(path, store, finder=finder)
        qtbot.addWidget(dlg)
        dlg.resize(900, 600)
        dlg.show()
        qtbot.waitExposed(dlg)
        return dlg

    return make


def test_open_move_crop_and_save(make_dialog, qtbot, tmp_path, shirt_png):
    store = tmp_path / "store"
    dlg = make_dialog(shirt_png(tmp_path / "green_tee.png"), store)
    assert dlg.found is not None and dlg.found.how == gs.PRODUCT
    assert dlg.name.text() == "green tee"
    assert dlg.save_button.isEnabled()
    assert dlg.colour_label.text().startswith("Colour #")
    x, y, side, _ = dlg.view.box
    # drag the box 30 photo pixels right and 20 down
    s, ox, oy = dlg.view._fit()
    start = QPoint(int(ox + (x + side / 2) * s), int(oy + (y + side / 2) * s))
    qtbot.mousePress(dlg.view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(dlg.view, start + QPoint(int(30 * s), int(20 * s)))
    qtbot.mouseRelease(dlg.view, Qt.MouseButton.LeftButton, pos=start + QPoint(int(30 * s), int(20 * s)))
    x2, y2, side2, _ = dlg.view.box
    assert abs((x2 - x) - 30) <= 2 and abs((y2 - y) - 20) <= 2 and side2 == side
    # the wheel makes it smaller, about its centre
    wheel = QWheelEvent(QPointF(start), QPointF(dlg.view.mapToGlobal(start)), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    dlg.view.wheelEvent(wheel)
    assert dlg.view.box[2] < side2
    box = dlg.view.box
    got = []
    dlg.saved.connect(got.append)
    dlg.name.setText("My green tee")
    dlg.save_button.click()
    assert dlg.result() == dlg.DialogCode.Accepted
    assert len(got) == 1 and got[0].name == "My green tee" and got[0].pattern
    data = json.loads((store / gs.CUSTOM_FILE).read_text(encoding="utf-8"))
    assert [e["name"] for e in data["swatches"]] == ["My green tee"]
    tile = cv2.imread(got[0].pattern)
    assert tile is not None and tile.shape[1] <= box[2]
    assert np.abs(tile.reshape(-1, 3).mean(0) - (90, 120, 40)).max() < 12  # the tee's green, not the white


def test_use_the_colour(make_dialog, tmp_path, shirt_png):
    store = tmp_path / "store"
    dlg = make_dialog(shirt_png(tmp_path / "tee.png", rgb=(200, 40, 60)), store)
    dlg.use_colour.setChecked(True)
    sw = dlg.save()
    assert sw is not None and sw.pattern is None
    assert np.abs(np.subtract(sw.rgb, (200, 40, 60))).max() <= 6
    assert gs.load_custom_swatches(store)[0] == [sw]


@pytest.mark.parametrize("content", [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40],
                         ids=["empty", "text", "corrupt-png"])
def test_bad_file_shows_a_message_and_saves_nothing(make_dialog, tmp_path, content):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    store = tmp_path / "store"
    dlg = make_dialog(bad, store)
    assert dlg.found is None
    assert "Cannot use bad.png" in dlg.message.text()
    assert not dlg.save_button.isEnabled()
    assert dlg.save() is None
    assert not store.exists()


def test_no_garment_shows_a_message(make_dialog, tmp_path):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 300, 3), 250, np.uint8))
    store = tmp_path / "store"
    dlg = make_dialog(blank, store)
    assert dlg.found is None and "No garment found in blank.png" in dlg.message.text()
    assert not dlg.save_button.isEnabled()
    assert not store.exists()


def test_write_failure_shows_a_message(make_dialog, tmp_path, shirt_png):
    store = tmp_path / "store"
    store.write_text("a file where the folder should be")
    dlg = make_dialog(shirt_png(tmp_path / "tee.png"), store)
    assert dlg.save() is None
    assert "was not saved" in dlg.message.text()
    assert dlg.isVisible() and dlg.result() != dlg.DialogCode.Accepted


def test_drop_a_file(make_dialog, tmp_path, shirt_png):
    store = tmp_path / "store"
    dlg = make_dialog(None, store)
    assert dlg.found is None and not dlg.save_button.isEnabled()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(shirt_png(tmp_path / "dropped shirt.png")))])
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    dlg.dropEvent(drop)
    assert dlg.found is not None and dlg.name.text() == "dropped shirt"
    assert dlg.save_button.isEnabled()
