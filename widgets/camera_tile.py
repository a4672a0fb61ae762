"""One camera tile: the newest frame wrapped (not copied) in a QImage, name, clock, state and fps overlaid."""

from __future__ import annotations

import time
from datetime import datetime, tzinfo

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from console.config import Camera
from console.video.facade import Frame, MotionResult, Reason, StreamState, StreamStatus

from .theme import ALARM_FRAME, BACKGROUND

_MARGIN = 8
# A frame decoded for this tile is a few pixels smaller than it (width rounded down to a multiple of 8):
# drawn 1:1 it is a plain blit, scaled by 1 % it costs drawImage several times as much.
_NATIVE_SLACK = 12
_MOTION_BOX = "#ffd54f"
_SPARK_HEIGHT = 18  # px of the activity sparkline along the tile's bottom edge
# Array channels → the QImage format that reads those bytes as they are (no conversion, no copy).
_FORMATS = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGB32}


def wrap_frame(frame: Frame) -> QImage:
    """A QImage over the frame's own buffer. The caller keeps ``frame`` alive while the image is used."""
    image = frame.image
    channels = 1 if image.ndim == 2 else int(image.shape[2])
    # frame.buffer is the same memory as one C-contiguous block (decoders pad their rows), which is
    # what the binding's buffer protocol accepts; the stride tells Qt where each row starts.
    return QImage(frame.buffer.data, frame.width, frame.height, int(image.strides[0]), _FORMATS[channels])


def _around(outer: QRect, inner: QRect) -> list[QRect]:
    """The parts of ``outer`` that ``inner`` (inside it) leaves uncovered, as up to four rectangles."""
    left, right = inner.left() - outer.left(), outer.right() - inner.right()
    top, bottom = inner.top() - outer.top(), outer.bottom() - inner.bottom()
    parts = [
        QRect(outer.left(), outer.top(), outer.width(), top),
        QRect(outer.left(), inner.bottom() + 1, outer.width(), bottom),
        QRect(outer.left(), inner.top(), left, inner.height()),
        QRect(inner.right() + 1, inner.top(), right, inner.height()),
    ]
    return [part for part in parts if part.width() > 0 and part.height() > 0]


class CameraTile(QWidget):
    """Shows one camera (or nothing). The wall's display timer hands it frames; it paints only the newest."""

    # ---- Signals
    sig_activated = Signal(str)
    """camera id: the tile was double-clicked or Enter was pressed on it (the wall maximises it)."""
    sig_resized = Signal()
    """The tile's size changed: the wall asks the video engine for frames of the new size."""
    sig_context_menu = Signal(str, QPoint)
    """camera id, global position: the officer asked for the tile's context menu (the wall builds it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera: Camera | None = None
        self.alarmed = False
        self.state = ""
        self.status: StreamStatus | None = None
        self.fps = 0.0
        self.painted = 0  # frames that reached the screen (tests and the benchmark read it)
        self.seq = 0  # sequence number of the newest frame taken from the camera's slot
        self._frame: Frame | None = None  # keeps the array alive for as long as a QImage may wrap it
        self._painted_seq = 0
        self._clock_second = -1
        # The overlay's text, drawn once into a transparent image and reused until something on it
        # changes (the clock's second at the latest): text layout costs far more than the frame's blit.
        self._overlay_key: tuple[object, ...] | None = None
        self._overlay_image: QImage | None = None
        self.overlay_renders = 0
        self.zone: tzinfo | None = None  # the site's time zone for the clock (None: the machine's)
        # Motion analysis: the newest boxes (analysis-frame pixels), that frame's size and recent scores.
        self.show_motion = False  # draw the motion boxes (the wall's toggle)
        self.motion: MotionResult | None = None
        self.motion_size: tuple[int, int] | None = None
        self.activity: np.ndarray | None = None
        self.setMinimumSize(QSize(60, 40))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we fill every pixel ourselves
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Enter on a focused tile maximises it

    # -- what the wall calls ---------------------------------------------------------------------------
    def show_camera(self, camera: Camera | None, state: str) -> None:
        if camera is self.camera and state == self.state:
            return
        if camera is not self.camera:
            self._frame, self.seq, self.status, self.fps = None, 0, None, 0.0
            self.motion, self.motion_size, self.activity = None, None, None
        self.camera = camera
        self.state = state
        self.setToolTip(f"{camera.name}\n{camera.location}\n{camera.id}" if camera else "")
        self.update()

    def set_frame(self, frame: Frame) -> bool:
        """Hold ``frame`` for the next paint; True when it replaced a frame that was never painted."""
        unpainted = self._frame is not None and self._frame.seq != self._painted_seq
        self._frame = frame
        self.seq = frame.seq
        self.update()
        return unpainted

    def set_status(self, status: StreamStatus | None, fps: float) -> None:
        """Update the state line and fps; repaints only when what is shown changes (or the clock ticks)."""
        text = self.state_text(status)
        second = int(time.time())
        changed = text != self.state or round(fps) != round(self.fps) or second != self._clock_second
        self.status, self.fps = status, fps
        if status is not None and status.state not in (StreamState.LIVE, StreamState.STALLED):
            self._frame = None  # an old picture under "offline" would pass for a live one
        if changed:
            self.state = text
            self.update()

    def set_motion(self, result: MotionResult | None, size: tuple[int, int] | None,
                   activity: np.ndarray | None) -> None:
        """The camera's newest motion verdict (boxes in a ``size`` = (w, h) frame) and score history."""
        old = self.activity
        changed = result != self.motion or (activity is None) != (old is None) or (
            activity is not None and old is not None and not np.array_equal(activity, old))
        self.motion, self.motion_size, self.activity = result, size, activity
        if changed:
            self.update()

    def set_show_motion(self, show: bool) -> None:
        if show != self.show_motion:
            self.show_motion = show
            self.update()

    def motion_rects(self) -> list[QRectF]:
        """The motion boxes in tile coordinates, as painted (empty unless shown)."""
        frame, result, size = self._frame, self.motion, self.motion_size
        if not self.show_motion or result is None or size is None or not result.boxes:
            return []
        picture = self._picture_rect(frame.width if frame else size[0], frame.height if frame else size[1])
        sx, sy = picture.width() / size[0], picture.height() / size[1]
        return [QRectF(picture.left() + x * sx, picture.top() + y * sy, w * sx, h * sy)
                for x, y, w, h in result.boxes]

    def _picture_rect(self, width: int, height: int) -> QRect:
        size = QSize(width, height)
        if not (width <= self.width() and height <= self.height()
                and self.width() - width <= _NATIVE_SLACK and self.height() - height <= _NATIVE_SLACK):
            size = size.scaled(self.rect().size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(QPoint(0, 0), size)
        target.moveCenter(self.rect().center())
        return target

    def set_alarmed(self, alarmed: bool) -> None:
        if alarmed != self.alarmed:
            self.alarmed = alarmed
            self.update()

    def qimage(self) -> QImage | None:
        """The QImage painted next: it wraps the frame's array without copying it."""
        return wrap_frame(self._frame) if self._frame is not None else None

    def state_text(self, status: StreamStatus | None) -> str:
        if status is None:
            return self.tr("No video yet")
        if status.state is StreamState.LIVE:
            return ""
        if status.state is StreamState.CONNECTING:
            return self.tr("Connecting…")
        if status.state is StreamState.STALLED:
            return self.tr("Stalled: no new picture")
        if status.state is StreamState.RECONNECTING:
            wait = status.next_try_in(time.monotonic()) or 0.0
            return self.tr("Reconnecting ({reason}), attempt {n}, next try in {s} s").format(
                reason=self.reason_text(status.reason), n=status.attempt, s=f"{wait:.0f}")
        if status.state is StreamState.OFFLINE:
            return self.tr("Offline: {reason}").format(reason=self.reason_text(status.reason))
        return self.tr("Stopped")

    def reason_text(self, reason: Reason | None) -> str:
        texts = {
            Reason.AUTH_FAILED: self.tr("auth failed"),
            Reason.NOT_FOUND: self.tr("not found"),
            Reason.UNREACHABLE: self.tr("unreachable"),
            Reason.TIMEOUT: self.tr("timeout"),
            Reason.UNSUPPORTED: self.tr("unsupported codec"),
            Reason.ENDED: self.tr("stream ended"),
            Reason.STREAM_ERROR: self.tr("stream error"),
            Reason.NO_SOURCE: self.tr("no stream URL"),
        }
        return texts.get(reason, self.tr("unknown")) if reason is not None else self.tr("unknown")

    # -- Qt overrides --------------------------------------------------------------------------------
    def mouseDoubleClickEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        if self.camera is not None:
            self.sig_activated.emit(self.camera.id)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.camera is not None:
            self.sig_activated.emit(self.camera.id)
            return
        super().keyPressEvent(event)  # Esc and the rest go up to the wall

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        if self.camera is not None:
            self.sig_context_menu.emit(self.camera.id, event.globalPos())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.sig_resized.emit()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        rect = self.rect()
        frame = self._frame
        if frame is not None:
            picture = self._picture_rect(frame.width, frame.height)
            for margin in _around(rect, picture):  # the picture covers the rest: no pixel filled twice
                painter.fillRect(margin, QColor(BACKGROUND))
            image = wrap_frame(frame)  # made here, used here: a frame replaced before paint is never wrapped
            painter.drawImage(picture, image)
            if frame.seq != self._painted_seq:
                self._painted_seq = frame.seq
                self.painted += 1
            self._paint_motion(painter)
        else:
            painter.fillRect(rect, QColor(BACKGROUND))
        painter.setPen(QPen(QColor("#2a323c"), 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if self.camera is not None:
            overlay = self._overlay(rect, frame is not None)
            ratio = overlay.devicePixelRatio()
            # Blending the overlay costs per pixel, and on a live tile it is transparent except along the
            # top and bottom edges: only those bands are drawn (the whole image when a state or badge shows).
            for band in self._overlay_bands(rect):
                painter.drawImage(QRectF(band), overlay, QRectF(band.x() * ratio, band.y() * ratio,
                                                                band.width() * ratio, band.height() * ratio))
        if self.alarmed:
            painter.setPen(QPen(QColor(ALARM_FRAME), 4))
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        painter.end()

    def _overlay_bands(self, rect: QRect) -> list[QRect]:
        """The parts of the tile the overlay may draw on (see _paint_overlay for what goes where)."""
        if self.state or self.alarmed:
            return [rect]
        line = self.fontMetrics().height()
        if rect.height() <= 4 * line:  # only the name
            return [QRect(0, 0, rect.width(), min(rect.height(), _MARGIN + line + 4))]
        top = _MARGIN + 2 * line + 6  # name and place, with their shadow
        bottom = _MARGIN + line + 2  # clock and fps
        return [QRect(0, 0, rect.width(), top), QRect(0, rect.height() - bottom, rect.width(), bottom)]

    def _paint_motion(self, painter: QPainter) -> None:
        boxes = self.motion_rects()
        if boxes:
            painter.setPen(QPen(QColor(_MOTION_BOX), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRects(boxes)
        activity = self.activity
        if activity is None or len(activity) < 2 or self.height() < 4 * _SPARK_HEIGHT:
            return
        # The last minute's motion score as a thin line along the bottom: cheap enough for 64 tiles.
        rect = self.rect()
        line = self.fontMetrics().height()
        # Above the clock and fps line when the tile is tall enough to show them (see _paint_overlay).
        bottom = rect.bottom() - _MARGIN - line - 2 if rect.height() > 4 * line else rect.bottom() - 2
        top = bottom - _SPARK_HEIGHT
        peak = max(float(activity.max()), 0.02)
        step = rect.width() / (len(activity) - 1)
        line = QPolygonF([QPointF(i * step, top + _SPARK_HEIGHT * (1 - float(v) / peak))
                          for i, v in enumerate(activity)])
        painter.setPen(QPen(QColor(_MOTION_BOX if self.motion and self.motion.motion else "#80cbc4"), 1.5))
        painter.drawPolyline(line)

    def _text(self, painter: QPainter, rect: QRect, flags: Qt.AlignmentFlag, text: str, colour: str) -> None:
        # A one-pixel shadow keeps white text readable over bright video.
        painter.setPen(QColor(0, 0, 0, 200))
        painter.drawText(rect.translated(1, 1), int(flags), text)
        painter.setPen(QColor(colour))
        painter.drawText(rect, int(flags), text)

    def _overlay(self, rect: QRect, has_picture: bool) -> QImage:
        """The name, place, clock, fps, state and alarm badge over a transparent background, cached."""
        second = int(time.time())
        key = (rect.width(), rect.height(), self.devicePixelRatioF(), self.font().key(), id(self.camera),
               self.state, self.alarmed, has_picture, second, round(self.fps))
        if key != self._overlay_key or self._overlay_image is None:
            ratio = self.devicePixelRatioF()
            image = QImage(QSize(round(rect.width() * ratio), round(rect.height() * ratio)),
                           QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            overlay = QPainter(image)
            self._paint_overlay(overlay, rect, has_picture, second)
            overlay.end()
            self._overlay_key, self._overlay_image = key, image
            self.overlay_renders += 1
        return self._overlay_image

    def _paint_overlay(self, painter: QPainter, rect: QRect, has_picture: bool, second: int) -> None:
        assert self.camera is not None
        inner = rect.adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN)
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        self._text(painter, inner, top_left, self.camera.name, "#ffffff")
        line = painter.fontMetrics().height()
        painter.setFont(self.font())
        if rect.height() > 4 * line:  # small tiles of a 64-way wall keep only the name
            self._text(painter, inner.adjusted(0, line + 2, 0, 0), top_left, self.camera.location, "#aab4bf")
            self._clock_second = second
            bottom = Qt.AlignmentFlag.AlignBottom
            clock = datetime.fromtimestamp(self._clock_second, self.zone).strftime("%H:%M:%S")
            self._text(painter, inner, bottom | Qt.AlignmentFlag.AlignLeft, clock, "#dde3ea")
            if has_picture:
                self._text(painter, inner, bottom | Qt.AlignmentFlag.AlignRight,
                           self.tr("{fps} fps").format(fps=f"{self.fps:.0f}"), "#dde3ea")
        if self.state:
            self._text(painter, inner, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.state, "#ffb74d" if has_picture else "#aab4bf")
        if self.alarmed:
            badge = self.tr("ALARM")
            width = painter.fontMetrics().horizontalAdvance(badge) + 12
            box = QRect(inner.right() - width, inner.top(), width, line + 4)
            painter.fillRect(box, QColor(ALARM_FRAME))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), badge)
