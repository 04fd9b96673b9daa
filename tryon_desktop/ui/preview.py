"""The live preview: the newest result blitted at device resolution (HiDPI aware, aspect kept), a
draggable before/after split, and the heads-up display painted on top."""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from tryon_desktop.pipeline.slots import Result
from tryon_desktop.ui.hud import EFFECT_STAGES, PERCEPTION, BlockMeter, HudStats
from tryon_desktop.ui.i18n import tr

BG = QColor("#0E0E12")
ACCENT = QColor("#F0628F")


def to_qimage(arr) -> QImage:
    """A QImage holding a copy of a BGRA (or BGR) uint8 array.

    Copying (well under a millisecond for a preview-sized frame) instead of wrapping the numpy buffer
    means no QImage can outlive its memory, whatever order objects die in at exit.
    """
    h, w, c = arr.shape
    fmt = QImage.Format.Format_RGB32 if c == 4 else QImage.Format.Format_BGR888
    img = QImage(w, h, fmt)
    bpl = img.bytesPerLine()
    dst = np.frombuffer(img.bits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    dst[:, : w * c] = arr.reshape(h, w * c)
    return img


class PreviewWidget(QWidget):
    displaySizeChanged = Signal(int, int)  # device pixels
    splitToggled = Signal(bool)

    def __init__(self, stats: HudStats, meter: BlockMeter, parent=None) -> None:
        super().__init__(parent)
        self.stats = stats
        self.meter = meter
        self.result: Result | None = None
        self._img: QImage | None = None
        self._img_orig: QImage | None = None
        self._pending_shown = False
        self.split_enabled = False
        self.split = 0.5
        self._dragging = False
        self.hud_visible = True
        self.placeholder = tr("starting")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    # ---- data in -------------------------------------------------------------------------------
    def set_result(self, result: Result) -> None:
        self.result = result
        self._img = to_qimage(result.display) if result.display is not None else None
        self._img_orig = to_qimage(result.display_original) if result.display_original is not None else None
        self._pending_shown = True
        self.update()

    def clear(self, placeholder: str) -> None:
        self.result, self._img, self._img_orig = None, None, None
        self.placeholder = placeholder
        self.update()

    def device_size(self) -> tuple[int, int]:
        dpr = self.devicePixelRatioF()
        return max(1, int(self.width() * dpr)), max(1, int(self.height() * dpr))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.displaySizeChanged.emit(*self.device_size())

    # ---- geometry ------------------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        """Where the frame lands, in logical pixels, aspect kept and centred."""
        if self._img is None:
            return QRectF()
        dpr = self.devicePixelRatioF()
        iw, ih = self._img.width() / dpr, self._img.height() / dpr
        s = min(self.width() / iw, self.height() / ih) if iw and ih else 1.0
        if abs(s - 1.0) < 0.01:
            s = 1.0  # already sized by the worker: blit 1:1
        w, h = iw * s, ih * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    # ---- painting ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        with self.meter.measure("paint"):
            p = QPainter(self)
            p.fillRect(self.rect(), BG)
            if self._img is None:
                p.setPen(QColor("#8A8A99"))
                f = p.font()
                f.setPointSizeF(f.pointSizeF() * 1.3)
                p.setFont(f)
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
                p.end()
                return
            r = self.image_rect()
            if r.width() != self._img.width() / self.devicePixelRatioF():
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            if self.split_enabled and self._img_orig is not None:
                self._paint_split(p, r)
            else:
                p.drawImage(r, self._img)
            if self.hud_visible:
                self._paint_hud(p, r)
            p.end()
            if self._pending_shown and self.result is not None:
                self._pending_shown = False
                self.stats.frame_shown(self.result.t_capture, self.result.timings_ms, time.perf_counter())

    def _paint_split(self, p: QPainter, r: QRectF) -> None:
        x = r.left() + r.width() * self.split
        sw = self._img.width() / r.width()  # source pixels per logical pixel
        left = QRectF(r.left(), r.top(), x - r.left(), r.height())
        right = QRectF(x, r.top(), r.right() - x, r.height())
        p.drawImage(left, self._img_orig, QRectF(0, 0, left.width() * sw, self._img_orig.height()))
        p.drawImage(right, self._img, QRectF(left.width() * sw, 0, right.width() * sw, self._img.height()))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(255, 255, 255, 230), 2))
        p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        cy = r.center().y()
        p.setBrush(QColor(255, 255, 255, 235))
        p.drawEllipse(QPointF(x, cy), 16, 16)
        p.setPen(QPen(QColor("#303038"), 2))
        for d in (-1, 1):  # two small chevrons on the knob
            path = QPainterPath()
            path.moveTo(x + d * 4, cy - 5)
            path.lineTo(x + d * 9, cy)
            path.lineTo(x + d * 4, cy + 5)
            p.drawPath(path)
        self._tag(p, QPointF(r.left() + 12, r.bottom() - 12), tr("before"), left_align=True)
        self._tag(p, QPointF(r.right() - 12, r.bottom() - 12), tr("after"), left_align=False)

    def _tag(self, p: QPainter, anchor: QPointF, text: str, left_align: bool) -> None:
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 20, fm.height() + 8
        x = anchor.x() if left_align else anchor.x() - w
        box = QRectF(x, anchor.y() - h, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, h / 2, h / 2)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def hud_lines(self) -> list[tuple[str, QColor]]:
        """The HUD's text, line by line, in the current language."""
        s = self.stats
        fps = s.fps()
        med, p95 = s.latency()
        lines: list[tuple[str, QColor]] = []
        lat = tr("hud_latency", med=_fmt(med), p95=_fmt(p95))
        lines.append((f"{fps:4.1f} {tr('hud_fps')}   {lat}", QColor("white")))
        seen = [k for k in PERCEPTION if k in s.last_stages] or ["track"]
        stages = "  ".join(f"{tr('stage_' + k)} {s.stage(k):.1f}" for k in seen)
        lines.append((f"{stages}  {tr('hud_ms')}", QColor("#D8D8E0")))
        for kind in s.running_effects():
            per = "  ".join(f"{tr('stage_' + k)} {s.stage(f'{kind}.{k}'):.1f}" for k in EFFECT_STAGES)
            lines.append((f"{tr('effect_' + kind)}: {per}  {tr('hud_ms')}", QColor("#D8D8E0")))
        prov = s.provider or "…"
        lines.append((tr("hud_provider", provider=prov, renderer=tr("renderer_" + (s.renderer or "none"))),
                      QColor("#D8D8E0")))
        if s.notice:
            lines.append((tr("hud_reference_notice"), QColor("#FFC861")))
        if self.result is not None and self.result.no_face:
            lines.append((tr("hud_no_face"), QColor("#FFC861")))
        if self.result is not None and self.result.status.get("outfit"):
            msg = self.result.status["outfit"]
            lines.append((tr("hud_no_garment") if msg == "no garment found" else msg, QColor("#FFC861")))
        if self.result is not None and self.result.error:
            lines.append((tr("hud_engine_error"), QColor("#FF7A7A")))
        return lines

    def _paint_hud(self, p: QPainter, r: QRectF) -> None:
        lines = self.hud_lines()
        f = QFont(self.font())
        f.setPointSizeF(max(8.0, f.pointSizeF() * 0.92))
        f.setStyleHint(QFont.StyleHint.Monospace)
        p.setFont(f)
        fm = p.fontMetrics()
        lh = fm.height() + 2
        w = max(fm.horizontalAdvance(t) for t, _ in lines) + 24
        h = lh * len(lines) + 14
        box = QRectF(r.left() + 12, r.top() + 12, min(w, r.width() - 24), h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(10, 10, 14, 170))
        p.drawRoundedRect(box, 10, 10)
        y = box.top() + 7 + fm.ascent()
        for text, colour in lines:
            p.setPen(colour)
            p.drawText(QPointF(box.left() + 12, y), text)
            y += lh

    # ---- split dragging ------------------------------------------------------------------------
    def _near_split(self, x: float) -> bool:
        r = self.image_rect()
        return self.split_enabled and not r.isEmpty() and abs(x - (r.left() + r.width() * self.split)) < 24

    def _set_split_from(self, x: float) -> None:
        r = self.image_rect()
        if r.width() > 0:
            self.split = min(1.0, max(0.0, (x - r.left()) / r.width()))
            self.update()

    def mousePressEvent(self, e) -> None:
        if e.button() == Qt.MouseButton.LeftButton and self.split_enabled:
            self._dragging = True
            self._set_split_from(e.position().x())

    def mouseMoveEvent(self, e) -> None:
        if self._dragging:
            self._set_split_from(e.position().x())
        near = self._near_split(e.position().x()) or self._dragging
        self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, e) -> None:
        self._dragging = False

    def set_split_enabled(self, on: bool) -> None:
        self.split_enabled = bool(on)
        self.update()


def _fmt(v: float) -> str:
    return "–" if (v is None or math.isnan(v)) else f"{v:.0f}"
