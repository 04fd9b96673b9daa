"""Ctrl+C (SIGINT) and SIGTERM close the real app the normal way: the event loop ends, the recording being
written is finished, the settings are saved and the process exits 0. Runs `tryon-desktop`'s own main() in a
subprocess (offscreen), since signals and process exit cannot be tested inside the pytest process."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import cv2
import pytest

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

# Starts a recording as soon as frames show, with an encoder slowed to 0.25 s a frame: after the signal its
# queue still holds up to 8 frames (about 2 s of work), more than close() waits, so the video is finished
# only if the app waits for it before the process ends. With "dialog" a modal dialog is open (its own event
# loop) when the signal comes.
SCRIPT = r"""
import sys, time
from tryon_desktop.ui import qtenv  # noqa: F401
from PySide6.QtCore import QTimer
from tryon_desktop.pipeline import recorder
from tryon_desktop.ui import app as app_module, main_window

_write = recorder.VideoRecorder._write
def slow_write(self, frame, t):
    time.sleep(0.25)
    _write(self, frame, t)
recorder.VideoRecorder._write = slow_write

class Window(main_window.MainWindow):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._maybe_record)
        self._poll.start(50)

    def _maybe_record(self):
        if self.preview.result is None or self.stats.displayed < 3:
            return
        self._poll.stop()
        assert self.start_recording(fps=10)
        QTimer.singleShot(300, lambda: print("READY", flush=True))
        if "--dialog" in sys.argv:
            QTimer.singleShot(0, self.show_about)  # modal: runs its own event loop until closed

main_window.MainWindow = Window
argv = [a for a in sys.argv[1:] if a != "--dialog"]
sys.exit(app_module.main(argv))
"""


def _reader(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


@pytest.mark.parametrize("sig,dialog", [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_closes_the_app_cleanly_and_keeps_the_recording_and_settings(tmp_path, sig, dialog):
    snaps, config = tmp_path / "snaps", tmp_path / "config"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(config), OMP_NUM_THREADS="1")
    args = [sys.executable, "-c", SCRIPT, "--source", "demo", "--resolution", "320x180",
            "--snapshot-dir", str(snaps), "--lang", "en"] + (["--dialog"] if dialog else [])
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(tmp_path))
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, lines), daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        while True:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "the app ended before it was ready: " + proc.stderr.read()[-3000:]
            if line.strip() == "READY":
                break
        proc.send_signal(sig)
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    assert rc == 0, err[-3000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
    assert f"{signal.Signals(sig).name} received" in err
    # the recording was finished, not cut off: a playable MP4 and no temporary file left
    videos = sorted(snaps.glob("tryon-*.mp4"))
    assert len(videos) == 1, sorted(p.name for p in snaps.iterdir())
    assert not list(snaps.glob(".rec-*")), "the recording was cut off"
    cap = cv2.VideoCapture(str(videos[0]))
    frames = 0
    while cap.read()[0]:
        frames += 1
    cap.release()
    assert frames >= 1
    # the settings were saved by the window's close
    ini = (config / "tryon-desktop" / "tryon-desktop.conf").read_text()
    assert "geometry=" in ini and f"snapshot_dir={snaps}" in ini, ini
