"""The live preview: the newest result blitted at device resolution (HiDPI aware, aspect kept), a
draggable before/after split (its knob kept off the mouth), a lips close-up (an inset in a corner showing
the mouth magnified about 3x, cut from the full-resolution made-up frame), and the heads-up display."""

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
ZOOM_FACTOR = 3.0  # the lips close-up's magnification, relative to the preview
ZOOM_ASPECT = 2.0  # its width / height (a mouth is wide)
KNOB_R = 16.0  # the split handle's radius, logical pixels


def zoom_source(box: tuple[int, int, int, int], frame_wh: tuple[int, int],
                aspect: float = ZOOM_ASPECT) -> tuple[int, int, int, int]:
    """The region of the frame the lips close-up shows: the lip box, centred, widened or heightened to the
    inset's aspect and kept inside the frame. (x0, y0, x1, y1) in frame pixels."""
    x0, y0, x1, y1 = box
    fw, fh = frame_wh
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    w, h = max(1.0, x1 - x0), max(1.0, y1 - y0)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    w, h = min(w, fw), min(h, fh)
    sx0 = min(max(0.0, cx - w / 2), fw - w)
    sy0 = min(max(0.0, cy - h / 2), fh - h)
    return int(round(sx0)), int(round(sy0)), int(round(sx0 + w)), int(round(sy0 + h))


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
        self.zoom_enabled = False
        self._zoom_img: QImage | None = None
        self._zoom_src: QRectF | None = None  # frame pixels, un-mirrored
        self._hud_rect = QRectF()
        self._knob_frac = 0.5  # the split handle's height in the picture, moved off the mouth when needed
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
        self._update_zoom()
        self._pending_shown = True
        self.update()

    def clear(self, placeholder: str) -> None:
        self.result, self._img, self._img_orig = None, None, None
        self._zoom_img = self._zoom_src = None
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

    def frame_to_widget(self, x0: float, y0: float, x1: float, y1: float) -> QRectF:
        """A rectangle in frame pixels (un-mirrored) as it shows in the widget (mirrored like the preview)."""
        r = self.image_rect()
        if self.result is None or r.isEmpty():
            return QRectF()
        fw = self.result.frame.shape[1]
        s = r.width() / fw
        if self.result.mirrored:
            x0, x1 = fw - x1, fw - x0
        return QRectF(r.left() + x0 * s, r.top() + y0 * s, (x1 - x0) * s, (y1 - y0) * s)

    def lip_rects(self) -> list[QRectF]:
        """Where each face's lips show in the widget."""
        if self.result is None:
            return []
        return [self.frame_to_widget(*b) for b in self.result.lip_boxes]

    # ---- lips close-up -------------------------------------------------------------------------
    def set_zoom_enabled(self, on: bool) -> None:
        self.zoom_enabled = bool(on)
        self._update_zoom()
        self.update()

    def _update_zoom(self) -> None:
        """Cut the lips (the largest face's) from the full-resolution made-up frame for the inset."""
        self._zoom_img = self._zoom_src = None
        r = self.result
        if not self.zoom_enabled or r is None or not r.lip_boxes or r.frame is None:
            return
        box = max(r.lip_boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
        h, w = r.frame.shape[:2]
        x0, y0, x1, y1 = zoom_source(box, (w, h))
        if x1 <= x0 or y1 <= y0:
            return
        crop = r.frame[y0:y1, x0:x1]
        if r.mirrored:
            crop = crop[:, ::-1]
        self._zoom_img = to_qimage(np.ascontiguousarray(crop))
        self._zoom_src = QRectF(x0, y0, x1 - x0, y1 - y0)

    def zoom_rects(self) -> tuple[QRectF, QRectF] | None:
        """(inset, source): where the lips close-up is painted (widget pixels) and the region of the frame it
        shows (frame pixels, un-mirrored); None when it is off or there are no lips to show."""
        r = self.image_rect()
        if self._zoom_img is None or self._zoom_src is None or r.isEmpty() or self.result is None:
            return None
        src = QRectF(self._zoom_src)
        shown = self.frame_to_widget(src.left(), src.top(), src.right(), src.bottom())
        margin = 12.0
        w = ZOOM_FACTOR * shown.width()
        w = min(w, r.width() * 0.42, r.height() * 0.45 * ZOOM_ASPECT)
        w = max(w, min(180.0, r.width() * 0.42))
        h = w / ZOOM_ASPECT
        corners = [
            QPointF(r.right() - margin - w, r.top() + margin),  # top right
            QPointF(r.right() - margin - w, r.bottom() - margin - h),  # bottom right
            QPointF(r.left() + margin, r.bottom() - margin - h),  # bottom left
            QPointF(r.left() + margin, r.top() + margin),  # top left
        ]
        avoid = [q.adjusted(-8, -8, 8, 8) for q in self.lip_rects()]
        if self.hud_visible and not self._hud_rect.isEmpty():
            avoid.append(self._hud_rect)
        inset = QRectF(corners[0].x(), corners[0].y(), w, h)
        for c in corners:
            cand = QRectF(c.x(), c.y(), w, h)
            if not any(cand.intersects(a) for a in avoid):
                inset = cand
                break
        return inset, src

    def zoom_magnification(self) -> float:
        rects = self.zoom_rects()
        if rects is None:
            return 0.0
        inset, src = rects
        shown = self.frame_to_widget(src.left(), src.top(), src.right(), src.bottom())
        return inset.width() / max(1e-6, shown.width())

    def _paint_zoom(self, p: QPainter) -> None:
        rects = self.zoom_rects()
        if rects is None:
            return
        inset, _ = rects
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        path = QPainterPath()
        path.addRoundedRect(inset, 10, 10)
        p.setClipPath(path)
        p.drawImage(inset, self._zoom_img)
        p.restore()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(255, 255, 255, 215), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(inset, 10, 10)
        mag = self.zoom_magnification()
        factor = f"{mag:.0f}" if mag >= 2 else f"{mag:.1f}"
        f = QFont(self.font())
        f.setPointSizeF(max(7.5, f.pointSizeF() * 0.85))
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        text = tr("zoom_tag", factor=factor)
        tw, th = fm.horizontalAdvance(text) + 14, fm.height() + 4
        tag = QRectF(inset.left() + 8, inset.bottom() - 8 - th, tw, th)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(tag, th / 2, th / 2)
        p.setPen(QColor("white"))
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

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
            else:
                self._hud_rect = QRectF()
            if self.zoom_enabled:
                self._paint_zoom(p)
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
        cy = self.split_knob_center().y()
        p.setBrush(QColor(255, 255, 255, 235))
        p.drawEllipse(QPointF(x, cy), KNOB_R, KNOB_R)
        p.setPen(QPen(QColor("#303038"), 2))
        for d in (-1, 1):  # two small chevrons on the knob
            path = QPainterPath()
            path.moveTo(x + d * 4, cy - 5)
            path.lineTo(x + d * 9, cy)
            path.lineTo(x + d * 4, cy + 5)
            p.drawPath(path)
        self._tag(p, QPointF(r.left() + 12, r.bottom() - 12), tr("before"), left_align=True)
        self._tag(p, QPointF(r.right() - 12, r.bottom() - 12), tr("after"), left_align=False)

    def split_knob_center(self) -> QPointF:
        """Where the split handle's knob is drawn: on the split line, at a height that keeps it off every
        mouth in the picture (below the lips when there is room, else above), so it never hides the lips."""
        r = self.image_rect()
        x = r.left() + r.width() * self.split
        if r.isEmpty():
            return QPointF(x, 0.0)
        lips = [q.adjusted(-6, -6, 6, 6) for q in self.lip_rects()]
        lo, hi = r.top() + KNOB_R + 4, r.bottom() - KNOB_R - 4

        def clear(y: float) -> bool:
            knob = QRectF(x - KNOB_R, y - KNOB_R, 2 * KNOB_R, 2 * KNOB_R)
            return not any(knob.intersects(q) for q in lips)

        y = min(hi, max(lo, r.top() + r.height() * self._knob_frac))
        if not clear(y):
            cands = [q.bottom() + KNOB_R + 10 for q in lips] + [q.top() - KNOB_R - 10 for q in lips]
            cands = [c for c in cands if lo <= c <= hi and clear(c)]
            if cands:
                below = [c for c in cands if c > y]  # below the mouth first: the chin is a calmer place
                y = min(below) if below else max(cands)
                self._knob_frac = (y - r.top()) / r.height()
        return QPointF(x, y)

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
        self._hud_rect = QRectF(box)
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
