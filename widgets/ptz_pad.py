"""The PTZ pad: hold a button or key to pan, tilt or zoom, release to stop; speed, wheel zoom, presets, clock.

Shown over a maximised tile of a PTZ camera and, from the tile's context menu, in a small window of its own.
Every command goes through the ONVIF façade, which runs it on the driver-host loop and audits it; the pad
only ever gets futures, so a slow or dead camera never freezes the console."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QHideEvent, QKeyEvent, QShowEvent, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.roles import Permission, PermissionDenied
from console.domain.session import Session
from console.services.onvif_cameras import CLOCK_TOLERANCE_S, OnvifCameras, error_kind

from .formatting import site_zone
from .futures import FutureRelay

_ERR_CTX = "OnvifErrors"
_KIND_TEXT = {
    "auth": QT_TRANSLATE_NOOP("OnvifErrors", "authentication failed"),
    "fault": QT_TRANSLATE_NOOP("OnvifErrors", "the camera refused the request"),
    "malformed": QT_TRANSLATE_NOOP("OnvifErrors", "the camera's reply was malformed"),
    "timeout": QT_TRANSLATE_NOOP("OnvifErrors", "no answer from the camera in time"),
    "unreachable": QT_TRANSLATE_NOOP("OnvifErrors", "the camera cannot be reached"),
    "unsupported": QT_TRANSLATE_NOOP("OnvifErrors", "not supported"),
    "error": QT_TRANSLATE_NOOP("OnvifErrors", "failed"),
}
_NOT_ALLOWED = QT_TRANSLATE_NOOP("OnvifErrors", "not allowed for your role")

# (pan, tilt, zoom) of each direction; a held key or button adds its direction, the pad sends the sum.
DIRECTIONS: dict[str, tuple[int, int, int]] = {
    "up": (0, 1, 0), "down": (0, -1, 0), "left": (-1, 0, 0), "right": (1, 0, 0),
    "up-left": (-1, 1, 0), "up-right": (1, 1, 0), "down-left": (-1, -1, 0), "down-right": (1, -1, 0),
    "zoom-in": (0, 0, 1), "zoom-out": (0, 0, -1),
}
_KEYS = {
    Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down", Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right",
    Qt.Key.Key_Plus: "zoom-in", Qt.Key.Key_Equal: "zoom-in", Qt.Key.Key_Minus: "zoom-out",
}
_ARROWS = {"up-left": "↖", "up": "▲", "up-right": "↗", "left": "◀", "right": "▶", "down-left": "↙",
           "down": "▼", "down-right": "↘"}
WHEEL_STOP_MS = 350  # a wheel zoom stops this long after the last notch
DEFAULT_SPEED = 50


def onvif_error_text(exc: BaseException) -> str:
    """An ONVIF failure in the officer's words, with the adapter's one-line detail after it."""
    if isinstance(exc, PermissionDenied):
        return QCoreApplication.translate(_ERR_CTX, _NOT_ALLOWED)
    phrase = QCoreApplication.translate(_ERR_CTX, _KIND_TEXT.get(error_kind(exc), _KIND_TEXT["error"]))
    detail = str(exc)
    return f"{phrase} — {detail}" if detail else phrase


class PtzPad(QFrame):
    """One camera's PTZ controls. ``session`` returns who acts now (the console may change hands)."""

    # ---- Signals
    sig_message = Signal(str)
    """A line for the status bar as well (errors and done messages)."""

    def __init__(
        self, onvif: OnvifCameras, session: Callable[[], Session], camera_id: str, camera_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ptzPad")
        self._onvif = onvif
        self._session = session
        self.camera_id = camera_id
        self.relay = FutureRelay(self)
        self.held: set[str] = set()
        self.sent: tuple[float, float, float] | None = None  # the vector last sent (None: stopped)
        self.clock: dict[str, Any] | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self.setStyleSheet(
            "QFrame#ptzPad { background: rgba(18, 22, 28, 225); border: 1px solid #3a4552;"
            " border-radius: 6px; }"
            " QLabel { color: #dde3ea; }"
        )
        title = QLabel(self.tr("PTZ — {camera}").format(camera=camera_name), self)
        title.setObjectName("ptzTitle")
        title.setStyleSheet("font-weight: bold;")
        self.buttons: dict[str, QToolButton] = {}
        grid = QGridLayout()
        grid.setSpacing(3)
        for index, direction in enumerate(
            ("up-left", "up", "up-right", "left", "", "right", "down-left", "down", "down-right")
        ):
            if direction:
                grid.addWidget(self._hold_button(direction, _ARROWS[direction]), index // 3, index % 3)
        self.stop_button = QToolButton(self)
        self.stop_button.setObjectName("ptzStop")
        self.stop_button.setText("■")
        self.stop_button.setToolTip(self.tr("Stop"))
        self.stop_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stop_button.clicked.connect(self.stop)
        grid.addWidget(self.stop_button, 1, 1)
        zoom = QVBoxLayout()
        zoom.addWidget(self._hold_button("zoom-in", "+", self.tr("Zoom in (+, wheel up)")))
        zoom.addWidget(self._hold_button("zoom-out", "−", self.tr("Zoom out (−, wheel down)")))
        pad_row = QHBoxLayout()
        pad_row.addLayout(grid)
        pad_row.addSpacing(8)
        pad_row.addLayout(zoom)
        pad_row.addStretch(1)
        self.speed = QSlider(Qt.Orientation.Horizontal, self)
        self.speed.setObjectName("ptzSpeed")
        self.speed.setRange(5, 100)
        self.speed.setValue(DEFAULT_SPEED)
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed.valueChanged.connect(lambda _v: self._send())
        speed_row = QHBoxLayout()
        speed_row.addWidget(QLabel(self.tr("Speed"), self))
        speed_row.addWidget(self.speed, 1)
        from .ptz_presets import PtzPresets

        self.presets = PtzPresets(onvif, session, camera_id, self.relay, self)
        self.presets.sig_message.connect(self.show_status)
        self.presets.sig_error.connect(self.show_error)
        self.clock_label = QLabel(self.tr("Camera clock: not read yet"), self)
        self.clock_label.setObjectName("ptzClock")
        self.clock_label.setWordWrap(True)
        self.set_clock_button = QPushButton(self.tr("Set camera clock"), self)
        self.set_clock_button.setObjectName("ptzSetClock")
        self.set_clock_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_clock_button.setVisible(False)
        self.set_clock_button.clicked.connect(lambda _=False: self.set_clock())
        self.status = QLabel("", self)
        self.status.setObjectName("ptzStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(title)
        layout.addLayout(pad_row)
        layout.addLayout(speed_row)
        presets_title = QLabel(self.tr("Presets"), self)
        layout.addWidget(presets_title)
        layout.addWidget(self.presets, 1)
        layout.addWidget(self.clock_label)
        layout.addWidget(self.set_clock_button)
        layout.addWidget(self.status)
        self.wheel_timer = QTimer(self)
        self.wheel_timer.setObjectName("ptzWheelStop")
        self.wheel_timer.setSingleShot(True)
        self.wheel_timer.setInterval(WHEEL_STOP_MS)
        self.wheel_timer.timeout.connect(self._wheel_done)
        self.allowed = session().can(Permission.PTZ)
        for button in self.buttons.values():
            button.setEnabled(self.allowed)
        self.stop_button.setEnabled(self.allowed)
        self.speed.setEnabled(self.allowed)
        if not self.allowed:
            self.show_status(self.tr("Your role may not control cameras"))
        self._started = False

    def _hold_button(self, direction: str, text: str, tip: str | None = None) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(f"ptz-{direction}")
        button.setText(text)
        button.setMinimumSize(34, 30)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        if tip:
            button.setToolTip(tip)
        button.pressed.connect(lambda d=direction: self.hold(d))
        button.released.connect(lambda d=direction: self.release(d))
        self.buttons[direction] = button
        return button

    # -- moving ----------------------------------------------------------------------------------------
    def speed_value(self) -> float:
        return self.speed.value() / 100.0

    def vector(self) -> tuple[float, float, float]:
        pan = tilt = zoom = 0
        for direction in self.held:
            p, t, z = DIRECTIONS[direction.removeprefix("wheel:")]
            pan, tilt, zoom = pan + p, tilt + t, zoom + z
        speed = self.speed_value()
        return tuple(max(-1, min(1, v)) * speed for v in (pan, tilt, zoom))  # type: ignore[return-value]

    def hold(self, direction: str) -> None:
        if not self.allowed:
            return
        self.held.add(direction)
        self._send()

    def release(self, direction: str) -> None:
        if direction in self.held:
            self.held.discard(direction)
            self._send()

    def stop(self) -> None:
        self.held.clear()
        self.wheel_timer.stop()
        self._send(force_stop=True)

    def _send(self, force_stop: bool = False) -> None:
        if not self.allowed:
            return
        vector = self.vector() if self.held else None
        if vector is not None and not any(vector):
            vector = None  # opposite keys cancel out
        if vector == self.sent and not force_stop:
            return
        self.sent = vector
        if vector is None:
            self._call(lambda s: self._onvif.ptz_stop(s, self.camera_id))
        else:
            self._call(lambda s: self._onvif.ptz_move(s, self.camera_id, *vector))

    def _wheel_done(self) -> None:
        for direction in [d for d in self.held if d.startswith("wheel:")]:
            self.held.discard(direction)
        self._send()

    # -- clock -----------------------------------------------------------------------------------------
    def check_clock(self) -> None:
        if not self._onvif.has_clock(self.camera_id):
            return
        self._call(lambda s: self._onvif.camera_time(s, self.camera_id), self._show_clock)

    def set_clock(self) -> None:
        self.set_clock_button.setEnabled(False)
        self._call(lambda s: self._onvif.set_camera_time(s, self.camera_id), self._clock_was_set,
                   on_error=lambda: self.set_clock_button.setEnabled(True))

    def _clock_was_set(self, result: dict[str, Any]) -> None:
        self.set_clock_button.setEnabled(True)
        self._show_clock(result)
        if not result.get("skewed"):
            self.show_status(self.tr("Camera clock set to the workstation's time"))

    def _show_clock(self, result: dict[str, Any]) -> None:
        self.clock = result
        offset = result.get("offset_s")
        when = result.get("device_time")
        shown = str(when)
        with contextlib.suppress(ValueError):
            zone = site_zone(self._onvif.site.site.timezone)  # the same clock as the tiles' overlay
            shown = datetime.fromisoformat(str(when)).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(offset, int | float) and abs(offset) > CLOCK_TOLERANCE_S:
            text = self.tr("⚠ Camera clock {time} is off by {offset} s (more than {limit} s)")
            limit = f"{CLOCK_TOLERANCE_S:.0f}"
            self.clock_label.setText(text.format(time=shown, offset=f"{offset:+.0f}", limit=limit))
            self.clock_label.setStyleSheet("color: #ffb74d;")
            self.set_clock_button.setVisible(self._session().can(Permission.HANDLE_ALARM))
        else:
            text = self.tr("Camera clock {time} (off by {offset} s)")
            self.clock_label.setText(text.format(time=shown, offset=f"{(offset or 0):+.1f}"))
            self.clock_label.setStyleSheet("")
            self.set_clock_button.setVisible(False)

    # -- plumbing ----------------------------------------------------------------------------------
    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.sig_message.emit(text)

    def show_error(self, exc: object) -> None:
        if isinstance(exc, BaseException):
            self.show_status(self.tr("PTZ: {reason}").format(reason=onvif_error_text(exc)))

    def _call(self, call: Callable[[Session], Future[Any]], done: Callable[[Any], None] | None = None,
              on_error: Callable[[], None] | None = None) -> None:
        try:
            future = call(self._session())
        except (PermissionDenied, ValueError) as exc:
            self.show_error(exc)
            if on_error is not None:
                on_error()
            return

        def deliver(f: Future[Any]) -> None:
            error = f.exception()
            if error is not None:
                self.show_error(error)
                if on_error is not None:
                    on_error()
            elif done is not None:
                done(f.result())

        self.relay.watch(future, deliver)

    def start(self) -> None:
        """First showing: read the presets and the camera clock."""
        if self._started:
            return
        self._started = True
        if self.allowed:
            self.presets.refresh()
        self.check_clock()

    def shutdown(self) -> None:
        if self.sent is not None:
            self.stop()
        self.wheel_timer.stop()
        self.relay.close()

    # -- Qt overrides ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        direction = _KEYS.get(Qt.Key(event.key()))
        if direction is None:
            super().keyPressEvent(event)  # Esc goes up to the wall (back to the grid)
            return
        if not event.isAutoRepeat():
            self.hold(direction)
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        direction = _KEYS.get(Qt.Key(event.key()))
        if direction is None:
            super().keyReleaseEvent(event)
            return
        if not event.isAutoRepeat():
            self.release(direction)
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y()
        if not delta or not self.allowed:
            event.ignore()
            return
        wanted = "wheel:zoom-in" if delta > 0 else "wheel:zoom-out"
        other = "wheel:zoom-out" if delta > 0 else "wheel:zoom-in"
        self.held.discard(other)
        if wanted not in self.held:
            self.held.add(wanted)
            self._send()
        self.wheel_timer.start()  # each notch pushes the stop back: one move and one stop per gesture
        event.accept()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        # A key released while another window has focus never reaches us: never leave the camera turning.
        if any(not d.startswith("wheel:") for d in self.held):
            self.stop()
        super().focusOutEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        if self.sent is not None:
            self.stop()
        super().hideEvent(event)


class PtzDialog(QDialog):
    """The pad in a window of its own (from the tile's context menu); stops the camera when closed."""

    def __init__(self, pad: PtzPad, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ptzDialog")
        self.setWindowTitle(title)
        self.pad = pad
        pad.setParent(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(pad)
        self.resize(300, 520)

    def done(self, result: int) -> None:
        self.pad.shutdown()
        super().done(result)


class PtzWallHook(QObject):
    """Puts a PTZ pad over the wall while it shows one PTZ camera maximised; adds the tile menu entry."""

    # ---- Signals
    sig_message = Signal(str)

    PAD_WIDTH = 290

    def __init__(self, wall: QWidget, onvif: OnvifCameras, session: Callable[[], Session],
                 camera_name: Callable[[str], str], parent: QObject | None = None) -> None:
        super().__init__(parent or wall)
        self.wall = wall
        self._onvif = onvif
        self._session = session
        self._name = camera_name
        self.pad: PtzPad | None = None
        self.dialog: PtzDialog | None = None
        wall.sig_layout_changed.connect(lambda _size: self.update())  # type: ignore[attr-defined]
        wall.installEventFilter(self)

    def update(self) -> None:
        camera_id = getattr(self.wall, "maximised", None)
        wanted = camera_id if camera_id and self._onvif.can_ptz(camera_id) else None
        for tile in getattr(self.wall, "tiles", []):
            tile.removeEventFilter(self)
        tile_for = getattr(self.wall, "tile_for", None)
        tile = tile_for(wanted) if wanted is not None and tile_for is not None else None
        if tile is not None:
            tile.installEventFilter(self)  # the officer clicked the picture: its arrow keys still steer
        if self.pad is not None and self.pad.camera_id != wanted:
            self.pad.shutdown()
            self.pad.hide()
            self.pad.deleteLater()
            self.pad = None
        if wanted is not None and self.pad is None:
            self.pad = PtzPad(self._onvif, self._session, wanted, self._name(wanted), self.wall)
            self.pad.sig_message.connect(self.sig_message)
            self._place()
            self.pad.show()
            self.pad.raise_()
            self.pad.setFocus()

    def add_menu_entry(self, menu: QMenu, camera_id: str) -> None:
        if not self._onvif.can_ptz(camera_id):
            return
        action = menu.addAction(self.tr("PTZ control…"))
        action.setObjectName("ptzControl")
        action.triggered.connect(lambda _=False: self.open_dialog(camera_id))

    def open_dialog(self, camera_id: str) -> PtzDialog:
        if self.dialog is not None:
            self.dialog.close()
        name = self._name(camera_id)
        pad = PtzPad(self._onvif, self._session, camera_id, name)
        pad.sig_message.connect(self.sig_message)
        dialog = PtzDialog(pad, self.tr("PTZ — {camera}").format(camera=name), self.wall.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.show()
        pad.setFocus()
        return dialog

    def set_locked(self, locked: bool) -> None:
        """Locking stops every camera this console is turning (before the session locks) and disables the
        pad's own window, which the lock screen does not cover."""
        for pad in (self.pad, self.dialog.pad if self.dialog is not None else None):
            if pad is not None and locked and pad.sent is not None:
                pad.stop()
        if self.dialog is not None:
            self.dialog.setEnabled(not locked)

    def shutdown(self) -> None:
        if self.pad is not None:
            self.pad.shutdown()
        if self.dialog is not None:
            self.dialog.close()

    def _place(self) -> None:
        if self.pad is None:
            return
        rect = self.wall.rect()
        width = min(self.PAD_WIDTH, max(200, rect.width() * 2 // 5))  # the picture keeps most of the tile
        self.pad.setGeometry(rect.right() - width - 8, rect.top() + 8, width, max(200, rect.height() - 16))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.wall and event.type() == QEvent.Type.Resize:
            self._place()
            return False
        if (self.pad is not None and watched is not self.wall
                and event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
                and isinstance(event, QKeyEvent) and Qt.Key(event.key()) in _KEYS):
            QApplication.sendEvent(self.pad, event)
            return True
        return False
