"""`tryon-desktop`: the desktop app's entry point.

    tryon-desktop                      camera 0, or the built-in demo when there is no camera
    tryon-desktop --source 1           another camera
    tryon-desktop --source clip.mp4    a video (looped) or an image
    tryon-desktop --lang zh_CN         Simplified Chinese
    tryon-desktop --bench              drive the real pipeline from a 30 fps 1280x720 clip and print figures
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys

from tryon_desktop.ui import qtenv  # noqa: F401  (must precede every Qt import: undoes cv2's Qt env)

log = logging.getLogger("tryon_desktop.ui")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="tryon-desktop", description="Live virtual lipstick try-on.")
    ap.add_argument("--source", help="camera index (0, 1, …), a video or image file, or 'demo'")
    ap.add_argument("--lang", choices=["en", "zh_CN"], help="interface language (default: last used / system)")
    ap.add_argument("--resolution", help="capture size for cameras and the demo, e.g. 1280x720")
    ap.add_argument("--snapshot-dir", help="folder for snapshots and recordings")
    ap.add_argument("--bench", action="store_true", help="run the GUI pipeline benchmark and print figures")
    ap.add_argument("--bench-seconds", type=float, default=20.0, help="measured seconds (default 20)")
    ap.add_argument("--bench-clip", help="clip to benchmark with (default: made from the dev video or the demo)")
    ap.add_argument("--verbose", "-v", action="store_true", help="log debug messages")
    # handled by the launcher before Qt loads; listed here so --help shows them
    ap.add_argument("--self-test", action="store_true",
                    help="check the installation headless (models, engine on the demo photo), print one JSON line")
    ap.add_argument("--version", action="store_true", help="print the version and exit")
    return ap.parse_args(argv)


def _resolution(text: str | None):
    if not text:
        return None
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
        if w < 16 or h < 16:
            raise ValueError
        return (w, h)
    except ValueError:
        raise SystemExit(f"tryon-desktop: bad --resolution {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None


def make_app(argv: list[str] | None = None):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from tryon_desktop.ui.style import apply_style

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or sys.argv[:1])
    app.setApplicationName("tryon-desktop")
    app.setOrganizationName("tryon-desktop")
    app.setApplicationDisplayName("Tryon Desktop")
    # The desktop file name ties the window to tryon-desktop.desktop (icon on Wayland docks).
    app.setDesktopFileName("tryon-desktop")
    from PySide6.QtGui import QIcon

    from tryon_desktop.paths import ICONS_DIR

    icon = ICONS_DIR / "tryon-desktop.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_style(app)
    return app


def _install_excepthook(window_getter) -> None:
    """An unexpected error in a Qt slot is logged and shown in the status bar, never dumped at the user."""

    def hook(kind, value, tb):
        log.error("unexpected error", exc_info=(kind, value, tb))
        win = window_getter()
        if win is not None:
            try:
                win.statusBar().showMessage(f"{kind.__name__}: {value}", 10000)
            except Exception:
                pass

    sys.excepthook = hook


class QuitSignals:
    """SIGINT (Ctrl+C in the terminal) and SIGTERM close the app the normal way: open dialogs are closed,
    the window's closeEvent joins the threads, finishes the recording and saves the settings, and the event
    loop ends with 0. A second signal while that runs quits at once.

    Python runs its signal handlers only between bytecodes of the main thread, and Qt's event loop is C++,
    so the C-level handler's byte on a wakeup fd (signal.set_wakeup_fd) wakes a QSocketNotifier whose
    slot lets the interpreter run the handler promptly even when no timer is firing. The handler only
    queues the close (QTimer.singleShot(0)): it never closes the window from inside whatever Python code
    the signal interrupted."""

    SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))

    def __init__(self, app, window_getter) -> None:
        from PySide6.QtCore import QSocketNotifier

        self.app, self.window_getter = app, window_getter
        self.received: list[int] = []
        self._rsock, self._wsock = socket.socketpair()
        for sock in (self._rsock, self._wsock):
            sock.setblocking(False)
        self._old_wakeup = signal.set_wakeup_fd(self._wsock.fileno(), warn_on_full_buffer=False)
        self.notifier = QSocketNotifier(self._rsock.fileno(), QSocketNotifier.Type.Read, app)
        self.notifier.activated.connect(self._drain)
        self._old_handlers = {sig: signal.signal(sig, self._handler) for sig in self.SIGNALS}

    def _drain(self, *_args) -> None:
        try:
            while self._rsock.recv(512):
                pass
        except OSError:  # BlockingIOError: drained
            pass

    def _handler(self, signum, _frame) -> None:
        from PySide6.QtCore import QTimer

        name = signal.Signals(signum).name
        self.received.append(signum)
        if len(self.received) > 1:
            log.warning("%s again: quitting without waiting", name)
            sys.stderr.flush()
            os._exit(128 + signum)
        log.info("%s received: closing", name)
        QTimer.singleShot(0, self.close_all)

    def close_all(self) -> None:
        from PySide6.QtWidgets import QApplication

        for _ in range(20):  # modal dialogs and open menus first: each runs an event loop of its own
            w = QApplication.activeModalWidget() or QApplication.activePopupWidget()
            if w is None:
                break
            w.close()
        win = self.window_getter()
        if win is not None:
            win.close()
        self.app.quit()

    def uninstall(self) -> None:
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        signal.set_wakeup_fd(self._old_wakeup)
        self.notifier.setEnabled(False)
        self._rsock.close()
        self._wsock.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    resolution = _resolution(args.resolution)
    if args.bench and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the benchmark needs no screen
    app = make_app()
    if args.bench:
        from tryon_desktop.ui.bench import run_bench

        return _exit_now(run_bench(app, seconds=args.bench_seconds, clip=args.bench_clip))

    from tryon_desktop.ui.main_window import MainWindow

    holder: list = []
    _install_excepthook(lambda: holder[0] if holder else None)
    signals = QuitSignals(app, lambda: holder[0] if holder else None)
    win = MainWindow(source=args.source, resolution=resolution, lang=args.lang, snapshot_dir=args.snapshot_dir)
    holder.append(win)
    win.show()
    code = app.exec()
    win.close()  # no-op after a normal close; makes sure the settings are saved and the threads joined
    all_done = win.wait_for_saves()  # a video still being encoded is finished before the process ends
    signals.uninstall()
    if not all_done:  # a thread is stuck in a driver: leave without finalization rather than hang or crash in it
        return _exit_now(code)
    holder.clear()
    import shiboken6

    shiboken6.delete(win)  # the window goes while the QApplication still exists, in a known order
    del win
    return _finish(code)


def _finish(code: int) -> int:
    """The normal way out: every thread has ended, every file is written, the settings are synced; the
    interpreter then finalizes as usual (atexit handlers, buffered files)."""
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code or 0)


def _exit_now(code: int) -> int:
    """Leave without interpreter finalization: only when a thread of ours is still stuck (a camera driver
    that does not return from read()), after MainWindow.wait_for_saves has finished every recording and
    closeEvent has synced the settings; and after the benchmark.
    Added when PySide6 6.12.0 on Python < 3.12 died at exit with "none_dealloc": it drops a reference to None
    on every void call (now pinned out in pyproject.toml, see tests/gui/test_refcounts.py)."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(int(code or 0))


if __name__ == "__main__":
    sys.exit(main())
