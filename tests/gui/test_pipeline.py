"""Pipeline pieces without a window: slots, sources, reconnects, atomic writes, video frame counts."""

import errno
import queue
import time

import cv2
import numpy as np
import pytest

from tryon_desktop.errors import OutputError
from tryon_desktop.pipeline import capture, recorder
from tryon_desktop.pipeline.capture import CaptureThread, DemoSource, FrameSource, parse_source
from tryon_desktop.pipeline.slots import LatestSlot

pytestmark = pytest.mark.timeout(120)


def test_latest_slot_keeps_only_the_newest():
    s = LatestSlot()
    for i in range(5):
        s.put(i)
    assert s.take(0.01) == 4 and s.dropped == 4
    assert s.take(0.01) is None


class FlakyCamera(FrameSource):
    """Gives 5 frames, then 'unplugged' (read fails and two reopen attempts fail), then comes back."""

    kind = "camera"
    live = True
    label = "Test Cam"

    def __init__(self):
        self.opens = 0
        self.reads = 0

    def open(self):
        self.opens += 1
        if self.opens in (2, 3):
            from tryon_desktop.errors import InputError

            raise InputError("gone")

    def read(self):
        self.reads += 1
        time.sleep(0.005)
        if self.reads == 6:
            return None
        return np.zeros((32, 32, 3), np.uint8)


def test_an_unplugged_camera_is_reported_and_reconnected(monkeypatch):
    monkeypatch.setattr(capture, "RECONNECT_INTERVAL_S", 0.02)
    events, slot = queue.Queue(), LatestSlot()
    cam = FlakyCamera()
    t = CaptureThread(cam, slot, events, source_id=1)
    t.start()
    deadline = time.time() + 30  # generous: a loaded machine is slow, not wrong
    keys = []
    while time.time() < deadline and "camera_back" not in keys:
        try:
            keys.append(events.get(timeout=0.1).key)
        except queue.Empty:
            pass
    frames_at_back = t.frames
    while time.time() < deadline and t.frames <= frames_at_back:  # wait for frames, not for a set time
        time.sleep(0.01)
    t.stop()
    t.join(30)
    assert not t.is_alive()
    assert keys[0] == "camera_lost" and "camera_back" in keys
    assert cam.opens == 4 and t.frames > frames_at_back  # frames flow again after the reconnect


def test_a_corrupt_image_is_an_input_error(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG garbage")
    src = parse_source(str(bad))
    with pytest.raises(Exception, match="not a readable image"):
        src.open()


def test_demo_source_moves_gently():
    d = DemoSource((320, 180))
    d.open()
    a, b = d.read().copy(), None
    for _ in range(15):
        b = d.read()
    assert a.shape == (180, 320, 3)
    diff = np.abs(a.astype(int) - b.astype(int)).mean()
    assert 0.5 < diff < 40


def test_png_text_round_trip_with_unicode():
    ok, enc = cv2.imencode(".png", np.zeros((20, 20, 3), np.uint8))
    data = recorder.png_with_text(enc.tobytes(), {"tryon:shade": "Plum", "tryon:name": "梅子"})
    assert recorder.read_png_text(data) == {"tryon:shade": "Plum", "tryon:name": "梅子"}
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (20, 20, 3)


def test_a_full_disk_leaves_no_partial_snapshot(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recorder.os, "fsync", full)  # where a full disk shows up for buffered writes
    frame = np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(OutputError, match="disk is full"):
        recorder.save_snapshot(frame, tmp_path, {"shade": "Plum"}, stem="s")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_video_frames_follow_capture_time(tmp_path):
    rec = recorder.VideoRecorder(tmp_path / "v.mp4", 20.0, (64, 48))
    rec.start()
    frame = np.full((48, 64, 3), 120, np.uint8)
    # 10 frames at 20 fps, then a 0.25 s stall: the stall is filled with repeats, the video keeps real time
    times = [i / 20 for i in range(10)] + [0.45 + 0.25 + i / 20 for i in range(5)]
    for t in times:
        while not rec.push(frame, t):
            time.sleep(0.01)
    assert rec.finish() == tmp_path / "v.mp4"
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == rec.expected_frames() == int(round(times[-1] * 20)) + 1
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid"), reason="POSIX modes")
def test_snapshots_and_recordings_get_the_users_ordinary_file_mode(tmp_path):
    """A temp-file-then-rename write must not leave the user's picture private (mkstemp's 0600)."""
    import os

    old = os.umask(0o022)
    try:
        snap = recorder.save_snapshot(np.zeros((40, 40, 3), np.uint8), tmp_path, {"shade": "Plum"}, stem="s")
        rec = recorder.VideoRecorder(tmp_path / "v.mp4", 10.0, (64, 48))
        rec.start()
        rec.push(np.zeros((48, 64, 3), np.uint8), 0.0)
        assert rec.finish(timeout=30) == tmp_path / "v.mp4"
    finally:
        os.umask(old)
    for path in (snap.png, snap.sidecar, tmp_path / "v.mp4"):
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_folder_problem_says_what_is_wrong_without_creating_anything(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert recorder.folder_problem(tmp_path) is None
    assert recorder.folder_problem(tmp_path / "new" / "deeper") is None  # can be created when needed
    assert recorder.folder_problem(a_file) == "is_file"
    assert recorder.folder_problem(a_file / "sub") == "cannot_create"
    assert recorder.folder_problem("  ") == "empty"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_body_fill_switch_reaches_the_engine_once_and_an_engine_failing_on_it_only_fails_that_frame():
    import queue

    import numpy as np

    from tryon_desktop.engine import FrameResult
    from tryon_desktop.pipeline.slots import LatestSlot, Packet
    from tryon_desktop.pipeline.worker import DisplayOptions, EngineWorker, LookState

    class Engine:
        def __init__(self):
            self.fills, self.frames = [], 0

        def set_body_fill(self, on):
            self.fills.append(on)
            if not on:
                raise RuntimeError("no person mask here")

        def process(self, frame, look, timestamp=None, **options):
            self.frames += 1
            return FrameResult(frame=frame.copy(), faces=[], timings_ms={"total": 1.0}, renderer="none")

    display, events = DisplayOptions(), queue.Queue()
    worker = EngineWorker(LatestSlot(), LatestSlot(), LookState(), display, events)
    worker.engine = Engine()
    frame = np.zeros((8, 8, 3), np.uint8)
    pkt = Packet(frame=frame, t_capture=0.0, index=0, source_id=1)
    for _ in range(3):
        assert worker._process(pkt).error is None
    assert worker.engine.fills == [True]  # handed over with the first frame, not again
    display.body_fill = False
    assert "no person mask here" in worker._process(pkt).error  # that frame's error, reported ...
    assert events.get_nowait().key == "worker_error"
    assert worker._process(pkt).error is None  # ... and the next frame goes on
    assert worker.engine.fills == [True, False] and worker.engine.frames == 4
