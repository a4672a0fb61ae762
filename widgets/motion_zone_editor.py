"""The motion zone editor: draw include/exclude polygons on the camera's newest analysis frame, set each
zone's sensitivity, minimum object size and armed hours, validate, save (audited by the video façade)."""

from __future__ import annotations

from datetime import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTime, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from console.domain.roles import Permission
from console.domain.session import Session
from console.video.facade import TimeRange, VideoFacade, Zone, ZoneConfigError, ZoneSet, validate_zone

_INCLUDE, _EXCLUDE, _DRAFT = "#66bb6a", "#ef5350", "#ffd54f"
_DEFAULT_SIZE = (320, 180)  # analysis frame, until the camera has delivered one
_SCALE = 2  # the snapshot is shown twice its analysis size


class ZoneCanvas(QWidget):
    """The snapshot with the zones on it. Left click adds a point to the polygon being drawn; double
    click (or Enter) finishes it; right click or Backspace takes the last point back."""

    sig_finished = Signal(list)
    """list of (x, y) in frame pixels: the polygon being drawn was closed."""

    def __init__(self, snapshot: np.ndarray | None, size: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame_size = size  # (width, height) of the pixels zones are measured in
        self._image: QImage | None = None
        if snapshot is not None:
            gray = np.ascontiguousarray(snapshot)
            self._image = QImage(gray.data, gray.shape[1], gray.shape[0], gray.strides[0],
                                 QImage.Format.Format_Grayscale8).copy()  # ours: the slot's array moves on
        self.zones: list[Zone] = []
        self.selected: int | None = None
        self.draft: list[tuple[float, float]] = []
        self.setMinimumSize(size[0] * _SCALE // 2, size[1] * _SCALE // 2)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.frame_size[0] * _SCALE, self.frame_size[1] * _SCALE)

    # -- coordinates -------------------------------------------------------------------------------
    def picture_rect(self) -> QRectF:
        w, h = self.frame_size
        scale = min(self.width() / w, self.height() / h)
        rect = QRectF(0, 0, w * scale, h * scale)
        rect.moveCenter(QRectF(self.rect()).center())
        return rect

    def to_frame(self, pos: QPointF) -> tuple[float, float]:
        rect = self.picture_rect()
        scale = rect.width() / self.frame_size[0]
        x = (pos.x() - rect.left()) / scale
        y = (pos.y() - rect.top()) / scale
        return (round(x, 1), round(y, 1))

    def to_widget(self, point: tuple[float, float]) -> QPointF:
        rect = self.picture_rect()
        scale = rect.width() / self.frame_size[0]
        return QPointF(rect.left() + point[0] * scale, rect.top() + point[1] * scale)

    # -- drawing -------------------------------------------------------------------------------------
    def add_point(self, point: tuple[float, float]) -> None:
        self.draft.append(point)
        self.update()

    def undo_point(self) -> None:
        if self.draft:
            self.draft.pop()
            self.update()

    def finish(self) -> None:
        if self.draft:
            points, self.draft = list(self.draft), []
            self.update()
            self.sig_finished.emit(points)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.add_point(self.to_frame(event.position()))
        elif event.button() == Qt.MouseButton.RightButton:
            self.undo_point()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        # The double click's first press already added its point; the second press lands here.
        self.finish()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish()
        elif event.key() == Qt.Key.Key_Backspace:
            self.undo_point()
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#101418"))
        rect = self.picture_rect()
        if self._image is not None:
            painter.drawImage(rect, self._image)
        else:
            painter.setPen(QColor("#aab4bf"))
            text = self.tr("No picture from this camera yet")
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.setPen(QPen(QColor("#2a323c"), 1))
        painter.drawRect(rect)
        for i, zone in enumerate(self.zones):
            colour = QColor(_INCLUDE if zone.kind == "include" else _EXCLUDE)
            fill = QColor(colour)
            fill.setAlpha(70 if i == self.selected else 35)
            painter.setPen(QPen(colour, 3 if i == self.selected else 1.5))
            painter.setBrush(QBrush(fill))
            polygon = QPolygonF([self.to_widget(p) for p in zone.points])
            painter.drawPolygon(polygon)
            painter.drawText(polygon.boundingRect().topLeft() + QPointF(4, 14), zone.name)
        if self.draft:
            painter.setPen(QPen(QColor(_DRAFT), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            points = [self.to_widget(p) for p in self.draft]
            painter.drawPolyline(QPolygonF(points))
            painter.setBrush(QColor(_DRAFT))
            for p in points:
                painter.drawEllipse(p, 3, 3)
        painter.end()


class MotionZoneEditor(QDialog):
    """Edit one camera's zones. Saving goes through the video façade (validated, stored, audited)."""

    def __init__(self, video: VideoFacade, camera_id: str, camera_name: str, session: Session,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("motionZoneEditor")
        self.setWindowTitle(self.tr("Motion zones — {camera}").format(camera=camera_name))
        self._video, self._camera_id, self._session = video, camera_id, session
        frame = video.analysis_frame(camera_id)
        size = (frame.width, frame.height) if frame is not None else _DEFAULT_SIZE
        self.frame_size = size
        self.canvas = ZoneCanvas(frame.image if frame is not None else None, size, self)
        self.canvas.zones = list(video.motion_zones(camera_id))
        self.canvas.sig_finished.connect(self.add_polygon)
        self.saved = False

        self.zone_list = QListWidget(self)
        self.zone_list.currentRowChanged.connect(self._select)
        self.name = QLineEdit(self)
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("Include (watch)"), "include")
        self.kind.addItem(self.tr("Exclude (ignore)"), "exclude")
        self.sensitivity = QDoubleSpinBox(self)
        self.sensitivity.setRange(0.1, 100.0)
        self.sensitivity.setSingleStep(0.1)
        self.sensitivity.setValue(1.0)
        self.min_size = QSpinBox(self)
        self.min_size.setRange(0, size[0] * size[1])
        self.min_size.setSuffix(self.tr(" px"))
        self.armed = QCheckBox(self.tr("Armed: motion here is an alarm"), self)
        self.armed_from, self.armed_to = QTimeEdit(self), QTimeEdit(self)
        for edit in (self.armed_from, self.armed_to):
            edit.setDisplayFormat("HH:mm")
        self.armed_from.setTime(QTime(22, 0))
        self.armed_to.setTime(QTime(6, 0))
        for edit in (self.name, self.sensitivity, self.min_size, self.armed_from, self.armed_to):
            edit.editingFinished.connect(self._apply_fields)
        self.kind.currentIndexChanged.connect(self._apply_fields)
        self.armed.toggled.connect(self._apply_fields)

        self.message = QLabel(self)
        self.message.setObjectName("zoneEditorMessage")
        self.message.setWordWrap(True)
        self.finish_button = QPushButton(self.tr("&Finish polygon"), self)
        self.finish_button.clicked.connect(self.canvas.finish)
        self.delete_button = QPushButton(self.tr("&Delete zone"), self)
        self.delete_button.clicked.connect(self.delete_selected)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if not session.can(Permission.EDIT_CONFIG):
            self.save_button.setEnabled(False)
            self.save_button.setToolTip(self.tr("Your role may not change the configuration"))

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Sensitivity"), self.sensitivity)
        form.addRow(self.tr("Minimum object size"), self.min_size)
        form.addRow(self.armed)
        hours = QHBoxLayout()
        hours.addWidget(self.armed_from)
        hours.addWidget(QLabel("–", self))
        hours.addWidget(self.armed_to)
        form.addRow(self.tr("Armed daily"), hours)
        side = QVBoxLayout()
        side.addWidget(QLabel(self.tr("Zones"), self))
        side.addWidget(self.zone_list)
        side.addLayout(form)
        side.addWidget(self.finish_button)
        side.addWidget(self.delete_button)
        side.addStretch(1)
        hint = QLabel(self.tr("Click to add points, double-click or Enter to close the polygon, "
                              "right-click or Backspace to take the last point back."), self)
        hint.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.canvas, 1)
        left.addWidget(hint)
        left.addWidget(self.message)
        top = QHBoxLayout()
        top.addLayout(left, 3)
        top.addLayout(side, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addWidget(self.buttons)
        self.resize(1000, 560)
        self._refresh_list(0 if self.canvas.zones else None)

    # -- zones -----------------------------------------------------------------------------------------
    @property
    def zones(self) -> list[Zone]:
        return list(self.canvas.zones)

    def add_polygon(self, points: list[tuple[float, float]]) -> Zone | None:
        """A closed polygon becomes a new zone with the fields' settings, if it is a valid one."""
        zone = self._zone_from_fields(self._unused_name(), tuple(points))
        try:
            validate_zone(zone, self.frame_size)
        except ZoneConfigError as exc:
            self.show_error(str(exc))
            return None
        self.canvas.zones.append(zone)
        self._refresh_list(len(self.canvas.zones) - 1)
        self.show_info(self.tr("Zone {name} added").format(name=zone.name))
        return zone

    def delete_selected(self) -> None:
        row = self.zone_list.currentRow()
        if 0 <= row < len(self.canvas.zones):
            del self.canvas.zones[row]
            self._refresh_list(min(row, len(self.canvas.zones) - 1))

    def validate(self) -> bool:
        try:
            ZoneSet(self.canvas.zones, self.frame_size)
        except ZoneConfigError as exc:
            self.show_error(str(exc))
            return False
        return True

    def save(self) -> None:
        if not self.validate():
            return
        try:
            self._video.save_motion_zones(self._camera_id, self.canvas.zones, self._session)
        except Exception as exc:  # ZoneConfigError, PermissionDenied, a disk that is full: say so, stay open
            self.show_error(self.tr("Could not save: {reason}").format(reason=str(exc)))
            return
        self.saved = True
        self.accept()

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet("color: #ef5350;")
        self.message.setText(text)

    def show_info(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    # -- internals -------------------------------------------------------------------------------------
    def _unused_name(self) -> str:
        taken = {z.name for z in self.canvas.zones}
        wanted = self.name.text().strip()
        if wanted and wanted not in taken:
            return wanted
        n = len(self.canvas.zones) + 1
        while f"zone-{n}" in taken:
            n += 1
        return f"zone-{n}"

    def _zone_from_fields(self, name: str, points: tuple[tuple[float, float], ...]) -> Zone:
        armed: tuple[TimeRange, ...] = ()
        if self.armed.isChecked():
            start, end = self.armed_from.time(), self.armed_to.time()
            end_time = None if end == QTime(0, 0) else time(end.hour(), end.minute())
            armed = (TimeRange(frozenset(range(7)), time(start.hour(), start.minute()), end_time),)
        return Zone(name, points, self.kind.currentData(), float(self.sensitivity.value()),
                    int(self.min_size.value()), armed)

    def _apply_fields(self) -> None:
        row = self.zone_list.currentRow()
        if not 0 <= row < len(self.canvas.zones):
            return
        old = self.canvas.zones[row]
        name = self.name.text().strip() or old.name
        if name != old.name and name in {z.name for z in self.canvas.zones}:
            self.show_error(self.tr("A zone called {name} exists already").format(name=name))
            name = old.name
        new = self._zone_from_fields(name, old.points)
        if new != old:
            self.canvas.zones[row] = new
            self._refresh_list(row)

    def _select(self, row: int) -> None:
        self.canvas.selected = row if 0 <= row < len(self.canvas.zones) else None
        self.canvas.update()
        if self.canvas.selected is None:
            return
        zone = self.canvas.zones[row]
        for widget in (self.name, self.kind, self.sensitivity, self.min_size, self.armed, self.armed_from,
                       self.armed_to):
            widget.blockSignals(True)
        self.name.setText(zone.name)
        self.kind.setCurrentIndex(0 if zone.kind == "include" else 1)
        self.sensitivity.setValue(zone.sensitivity)
        self.min_size.setValue(zone.min_size)
        self.armed.setChecked(bool(zone.armed))
        if zone.armed:
            first = zone.armed[0]
            self.armed_from.setTime(QTime(first.start.hour, first.start.minute))
            end = first.end or time(0, 0)
            self.armed_to.setTime(QTime(end.hour, end.minute))
        for widget in (self.name, self.kind, self.sensitivity, self.min_size, self.armed, self.armed_from,
                       self.armed_to):
            widget.blockSignals(False)

    def _refresh_list(self, select: int | None = None) -> None:
        self.zone_list.blockSignals(True)
        self.zone_list.clear()
        for zone in self.canvas.zones:
            kind = self.tr("include") if zone.kind == "include" else self.tr("exclude")
            armed = self.tr(", armed") if zone.armed else ""
            self.zone_list.addItem(f"{zone.name} ({kind}{armed})")
        self.zone_list.blockSignals(False)
        if select is not None and select >= 0:
            self.zone_list.setCurrentRow(select)
        self._select(self.zone_list.currentRow())
        self.delete_button.setEnabled(bool(self.canvas.zones))
