import json
import threading
import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from tryon_desktop.pipeline.recorder import read_png_text
from tryon_desktop.ui import i18n

pytestmark = pytest.mark.timeout(60)

PIPELINE_THREADS = ("capture-", "engine-worker", "recorder", "snapshot")


def _lip_change(result):
    """Mean absolute change the engine made to the frame."""
    return (float(np.abs(result.frame.astype(np.int16) - result.original.astype(np.int16)).mean()),)


def test_window_opens_and_shows_frames(make_window, qtbot, wait_frames):
    win = make_window()
    wait_frames(win, 5)
    assert win.preview.result is not None
    assert win.tabs.tabText(0) == "Lipstick"
    qtbot.waitUntil(lambda: win.stats.provider != "", timeout=5000)
    assert win.stats.renderer in ("reference", "gan")
    if win.stats.renderer == "reference":  # the user is told plainly
        assert win.stats.notice
    assert win.preview.result.no_face is False  # the demo photo has a face


def test_clicking_a_swatch_changes_the_lips_within_a_few_frames(make_window, qtbot):
    win = make_window()
    win.lipstick_panel.set_shade(None)
    bare_gen = win.pipeline.look.get()[1]
    qtbot.waitUntil(lambda: win.preview.result is not None and win.preview.result.look_generation >= bare_gen,
                    timeout=15000)
    assert _lip_change(win.preview.result)[0] == 0.0  # bare: untouched
    button = next(b for b in win.lipstick_panel.swatches if b.shade.name == "Electric Blue")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    gen = win.pipeline.look.get()[1]
    assert gen > bare_gen
    shown_at_click = win.stats.displayed
    qtbot.waitUntil(lambda: win.preview.result.look_generation >= gen and _lip_change(win.preview.result)[0] > 0,
                    timeout=5000)
    assert win.stats.displayed - shown_at_click <= 5, "the new shade took more than a few frames"
    res = win.preview.result
    changed = np.abs(res.frame.astype(np.int16) - res.original.astype(np.int16)).sum(axis=2) > 12
    shift = (res.frame[changed].astype(np.float32) - res.original[changed].astype(np.float32)).mean(axis=0)
    assert shift[0] > 0 > shift[2], f"lips should turn blue: mean BGR shift {shift}"
    assert win.lipstick_panel.shade.name == "Electric Blue"


def test_snapshot_is_a_png_with_the_look_in_text_chunks(make_window, qtbot, tmp_path):
    win = make_window()
    shade = next(s for s in win.catalogue if s.name == "Plum")
    win.lipstick_panel.set_shade(shade)
    gen = win.pipeline.look.get()[1]
    qtbot.waitUntil(lambda: win.preview.result is not None and win.preview.result.look_generation >= gen,
                    timeout=15000)
    win.snapshot_action.trigger()
    qtbot.waitUntil(lambda: win.strip.count() == 1, timeout=5000)
    snap = win.snapshots[0]
    assert str(snap.png.parent) in win.statusBar().currentMessage()  # the user learns where it went
    data = snap.png.read_bytes()
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape[:2] == win.preview.result.frame.shape[:2]
    text = read_png_text(data)
    assert text["tryon:shade"] == "Plum"
    assert text["tryon:hex"] == shade.hex
    assert text["tryon:finish"] == shade.finish.value
    assert float(text["tryon:opacity"]) == pytest.approx(shade.opacity)
    assert text["tryon:model_version"] and len(text["tryon:model_sha256"]) == 64
    look = json.loads(text["tryon:look"])
    sidecar = json.loads(snap.sidecar.read_text())
    for meta in (look, sidecar):
        assert meta["shade"] == "Plum" and meta["model"]["sha256"] == text["tryon:model_sha256"]
        assert meta["time"]
    assert sidecar["image"] == snap.png.name
    names = sorted(p.name for p in snap.png.parent.iterdir())
    assert names == sorted([snap.png.name, snap.sidecar.name]), "temp files left behind"


def test_unwritable_snapshot_folder_shows_a_message_and_writes_nothing(make_window, qtbot, tmp_path, wait_frames):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    win = make_window(snapshot_dir=str(blocker / "snaps"))
    wait_frames(win, 2)
    win.take_snapshot()
    qtbot.waitUntil(lambda: win.banner.isVisible() and win.banner.key == "snapshot_failed", timeout=5000)
    assert "not saved" in win.banner.label.text()
    wait_frames(win, 2)  # still running
    assert blocker.read_text() == "x"


def test_recording_is_a_playable_mp4_with_the_expected_frame_count(make_window, qtbot, wait_frames):
    win = make_window()
    wait_frames(win, 3)
    assert win.start_recording(fps=15)
    rec = win.recorder
    qtbot.wait(1500)
    win.stop_recording()
    qtbot.waitUntil(lambda: not rec.is_alive(), timeout=5000)
    assert rec.error is None
    assert rec.path.exists() and not list(rec.path.parent.glob(".rec-*"))
    cap = cv2.VideoCapture(str(rec.path))
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n += 1
        assert frame.shape[:2] == win.preview.result.frame.shape[:2]
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(15, abs=0.01)
    cap.release()
    assert n == rec.frames_written == rec.expected_frames()
    assert 15 <= n <= 30  # about 1.5 s at 15 fps, played back at the speed it was lived


def test_closing_joins_every_thread_within_a_second(make_window, qtbot, wait_frames):
    win = make_window()
    wait_frames(win, 3)
    win.start_recording(fps=10)
    win.take_snapshot()
    t = time.perf_counter()
    win.close()
    elapsed = time.perf_counter() - t
    assert elapsed < 1.0, f"close took {elapsed:.2f} s"
    alive = [th.name for th in threading.enumerate() if th.name.startswith(PIPELINE_THREADS)]
    assert not alive, alive


def test_a_corrupt_source_file_shows_its_message_and_falls_back(make_window, qtbot, tmp_path, wait_frames):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video" * 100)
    win = make_window(source=str(bad))
    qtbot.waitUntil(lambda: win.banner.isVisible() and win.banner.key == "source_failed", timeout=10000)
    assert "broken.mp4" in win.banner.label.text()
    assert win.source_spec == "demo"
    wait_frames(win, 3)  # the app keeps running on the demo


class FlakyEngine:
    """Fails on every other frame, the way a bug in a backend would."""

    notice = None
    provider = "test"
    lipstick = None

    def __init__(self):
        self.n = 0

    def process(self, frame, look, timestamp=None, **options):
        self.n += 1
        if self.n % 2 == 0:
            raise RuntimeError("boom in the generator")
        from tryon_desktop.engine import FrameResult

        return FrameResult(frame=frame.copy(), faces=[], timings_ms={"total": 1.0}, renderer="none")

    def reset(self):
        pass

    def close(self):
        pass


def test_an_exception_in_the_worker_is_shown_and_the_pipeline_keeps_going(make_window, qtbot, wait_frames):
    win = make_window(engine_factory=FlakyEngine)
    qtbot.waitUntil(lambda: win.banner.isVisible() and win.banner.key == "worker_error", timeout=10000)
    assert "boom in the generator" in win.banner.label.text()
    wait_frames(win, 6)


def test_language_switch_translates_visible_strings(make_window, qtbot):
    win = make_window()
    win.set_language("zh_CN")
    try:
        assert win.tabs.tabText(0) == "口红"
        assert win.snap_button.text().strip() == "拍照"
        assert win.lipstick_panel.finish_buttons[next(iter(win.lipstick_panel.finish_buttons))].text() == "哑光"
        assert win.settings.value("language") == "zh_CN"
    finally:
        win.set_language("en")
    assert win.tabs.tabText(0) == "Lipstick"


def test_every_string_has_both_languages():
    for key, (en, zh) in i18n.STRINGS.items():
        assert en and zh, key
        assert set(_fields(en)) == set(_fields(zh)), key


def _fields(s):
    import string

    return [f for _, f, _, _ in string.Formatter().parse(s) if f]


def test_look_and_settings_persist_between_runs(make_window, qtbot, settings):
    win = make_window()
    shade = next(s for s in win.catalogue if s.name == "Mocha")
    win.lipstick_panel.set_shade(shade)
    win.lipstick_panel.toggle_favourite()
    win.mirror_action.setChecked(False)
    win.close()
    again = make_window()
    assert again.lipstick_panel.shade.name == "Mocha"
    assert again.lipstick_panel.is_favourite(again.lipstick_panel.shade)
    assert not again.mirror_action.isChecked()


def test_keyboard_shortcuts_step_shades_and_opacity(make_window, qtbot):
    win = make_window()
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    first = win.catalogue[0]
    win.lipstick_panel.set_shade(first)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.lipstick_panel.shade.name == win.catalogue[1].name
    before = win.lipstick_panel.shade.opacity
    qtbot.keyClick(win, Qt.Key.Key_Down)
    assert win.lipstick_panel.shade.opacity == pytest.approx(before - 0.05, abs=0.011)
    qtbot.keyClick(win, Qt.Key.Key_0)
    assert win.lipstick_panel.shade is None


def test_no_camera_says_so_and_runs_the_demo(make_window, qtbot, wait_frames):
    win = make_window(source=None, cameras=[])
    assert win.source_spec == "demo"
    qtbot.waitUntil(lambda: win.stats.provider != "", timeout=10000)
    wait_frames(win, 3)
    # the renderer notice arrives later and must not push the camera message off the banner
    assert "No camera found" in win.banner.label.text()
    assert not (win.snapshot_dir and __import__("os").path.exists(win.snapshot_dir)), "wrote files unasked"


class RecordingEngine(FlakyEngine):
    """Remembers what the worker asked of it; marks the lower half of every frame as garment."""

    def __init__(self):
        self.calls = []

    def process(self, frame, look, timestamp=None, **options):
        import numpy as np

        from tryon_desktop.engine import FrameResult

        self.calls.append((look, options))
        mask = None
        if options.get("garment_mask"):
            mask = np.zeros((36, 64), np.float32)
            mask[18:] = 1.0
        return FrameResult(frame=frame.copy(), faces=[], timings_ms={"total": 1.0}, renderer="none",
                           garment_mask=mask)


def test_mask_overlay_toggle_draws_on_the_preview_only(make_window, qtbot, wait_frames):
    engine = RecordingEngine()
    win = make_window(engine_factory=lambda: engine)
    wait_frames(win, 2)
    assert not any(o.get("garment_mask") for _, o in engine.calls)
    win.mask_action.trigger()
    assert win.pipeline.display.show_mask
    qtbot.waitUntil(lambda: bool(engine.calls) and engine.calls[-1][1].get("garment_mask"), timeout=5000)
    wait_frames(win, 3)
    r = win.preview.result
    h = r.display.shape[0]
    # the preview is tinted green over the lower half; the frame that snapshots save is not
    lower_disp = r.display[int(h * 0.75):, :, :3].astype(int)
    assert (lower_disp[..., 1] - lower_disp[..., 2]).mean() > 20
    assert np.array_equal(r.frame, r.original)
    win.mask_action.trigger()
    assert not win.pipeline.display.show_mask


def test_a_panel_edits_only_its_own_part_of_the_look(make_window, wait_frames):
    from tryon_desktop.core.looks import Look, resolve_outfit

    win = make_window()
    win._set_look(Look(lipstick=win.look.lipstick, outfit=resolve_outfit("#1F3A93")))
    shade = next(s for s in win.catalogue if s.name == "Plum")
    win.lipstick_panel.set_shade(shade)
    assert win.look.outfit == resolve_outfit("#1F3A93") and win.look.lipstick == shade
    assert win.pipeline.look.get()[0] == win.look
    saved = json.loads(win.settings.value("look"))
    assert saved["outfit"]["hex"] == "#1F3A93" and saved["lipstick"]["name"] == "Plum"


def test_a_missing_garment_model_is_a_visible_notice(make_window, qtbot, monkeypatch, tmp_path):
    from tryon_desktop.engine import TryOnEngine

    def factory():
        return TryOnEngine(model=None, video=True, garment_model=tmp_path / "missing.json")

    win = make_window(engine_factory=factory)
    qtbot.waitUntil(lambda: "garment_notice" in win._banner_args, timeout=15000)
    assert "Outfits" in win.banner.label.text() or "garment" in win.statusBar().currentMessage()


def test_resolution_list_has_no_twins_and_is_off_for_files(make_window, tmp_path, qtbot):
    from tryon_desktop.core.media import demo_photo_path

    grace = cv2.imread(str(demo_photo_path()))
    win = make_window(resolution=(1280, 720))
    texts = [win.res_combo.itemText(k) for k in range(win.res_combo.count())]
    assert len(texts) == len(set(texts)), texts
    assert win.res_combo.isEnabled()
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), grace)
    win.select_source(f"file:{photo}")
    assert not win.res_combo.isEnabled()
    win.select_source("demo")
    assert win.res_combo.isEnabled()
    texts = [win.res_combo.itemText(k) for k in range(win.res_combo.count())]
    assert len(texts) == len(set(texts)), texts


def test_no_camera_banner_goes_when_the_user_opens_a_file(make_window, tmp_path):
    from tryon_desktop.core.media import demo_photo_path

    win = make_window(source=None)  # no camera in the test: the app says so and shows the demo
    assert "no_camera" in win.banner.messages
    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), cv2.imread(str(demo_photo_path())))
    win.select_source(f"file:{photo}")
    assert "no_camera" not in win.banner.messages
