"""A PTZ camera's presets: list, go to, save the current position, rename, delete (all through the façade)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.roles import Permission, PermissionDenied
from console.domain.session import Session
from console.services.onvif_cameras import OnvifCameras

from .futures import FutureRelay

TOKEN_ROLE = Qt.ItemDataRole.UserRole


class PtzPresets(QWidget):
    """The list is filled from the camera; every change re-reads it, so what is shown is what it stores."""

    # ---- Signals
    sig_message = Signal(str)
    """A line for the pad's status text (done, or why not)."""
    sig_error = Signal(object)
    """An exception from the camera (the pad words it)."""

    def __init__(
        self, onvif: OnvifCameras, session: Callable[[], Session], camera_id: str, relay: FutureRelay,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ptzPresets")
        self._onvif = onvif
        self._session = session
        self.camera_id = camera_id
        self._relay = relay
        self.presets: list[dict[str, Any]] = []
        self.loaded = 0  # how many times the list arrived (tests wait on it)
        self.list = QListWidget(self)
        self.list.setObjectName("presetList")
        self.list.itemDoubleClicked.connect(lambda _item: self.goto_selected())
        self.list.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # arrow keys stay with the pad
        self.goto_button = self._button("presetGoto", self.tr("Go to"), self.goto_selected)
        self.save_button = self._button("presetSave", self.tr("Save…"), self.ask_save)
        self.save_button.setToolTip(self.tr("Save the camera's current position as a preset"))
        self.rename_button = self._button("presetRename", self.tr("Rename…"), self.ask_rename)
        self.rename_button.setToolTip(
            self.tr("ONVIF stores the camera's current position under the new name")
        )
        self.delete_button = self._button("presetDelete", self.tr("Delete"), self.ask_delete)
        row = QGridLayout()  # two by two: four buttons in a row do not fit a narrow pad
        row.setContentsMargins(0, 0, 0, 0)
        for index, button in enumerate((self.goto_button, self.save_button, self.rename_button,
                                        self.delete_button)):
            row.addWidget(button, index // 2, index % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self._update_buttons()

    def _button(self, name: str, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _=False: slot())
        return button

    def _update_buttons(self) -> None:
        allowed = self._session().can(Permission.PTZ)
        selected = self.selected() is not None
        self.save_button.setEnabled(allowed)
        for button in (self.goto_button, self.rename_button, self.delete_button):
            button.setEnabled(allowed and selected)

    # -- what the buttons do (callable without dialogs) ----------------------------------------------
    def refresh(self) -> None:
        self._run(lambda s: self._onvif.presets(s, self.camera_id), self._show)

    def selected(self) -> dict[str, Any] | None:
        item = self.list.currentItem()
        if item is None:
            return None
        token = item.data(TOKEN_ROLE)
        return next((p for p in self.presets if p.get("token") == token), None)

    def select(self, name: str) -> bool:
        for row in range(self.list.count()):
            if self.list.item(row).text() == name:
                self.list.setCurrentRow(row)
                return True
        return False

    def goto_selected(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        name = str(preset.get("name") or preset["token"])
        self._run(
            lambda s: self._onvif.goto_preset(s, self.camera_id, str(preset["token"]), name),
            lambda _r: self.sig_message.emit(self.tr("Going to preset {name}").format(name=name)),
        )

    def save_current(self, name: str) -> None:
        self._run(lambda s: self._onvif.save_preset(s, self.camera_id, name), lambda _r: self._changed(
            self.tr("Preset {name} saved").format(name=name.strip())))

    def rename_selected(self, name: str) -> None:
        preset = self.selected()
        if preset is None:
            return
        self._run(lambda s: self._onvif.rename_preset(s, self.camera_id, str(preset["token"]), name),
                  lambda _r: self._changed(self.tr("Preset renamed to {name}").format(name=name.strip())))

    def delete_selected(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        name = str(preset.get("name") or preset["token"])
        self._run(lambda s: self._onvif.delete_preset(s, self.camera_id, str(preset["token"]), name),
                  lambda _r: self._changed(self.tr("Preset {name} deleted").format(name=name)))

    # -- dialogs -----------------------------------------------------------------------------------
    def ask_save(self) -> None:
        title, label = self.tr("Save preset"), self.tr("Name of the current position:")
        name, ok = QInputDialog.getText(self, title, label)
        if ok and name.strip():
            self.save_current(name)

    def ask_rename(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        name, ok = QInputDialog.getText(self, self.tr("Rename preset"), self.tr("New name:"),
                                        text=str(preset.get("name") or ""))
        if ok and name.strip():
            self.rename_selected(name)

    def ask_delete(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        answer = QMessageBox.question(self, self.tr("Delete preset"), self.tr("Delete preset {name}?").format(
            name=preset.get("name") or preset["token"]))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_selected()

    # -- plumbing ----------------------------------------------------------------------------------
    def _changed(self, message: str) -> None:
        self.sig_message.emit(message)
        self.refresh()

    def _show(self, presets: list[dict[str, Any]]) -> None:
        keep = self.selected()
        self.presets = list(presets)
        self.list.clear()
        for preset in self.presets:
            item = QListWidgetItem(str(preset.get("name") or preset.get("token")))
            item.setData(TOKEN_ROLE, preset.get("token"))
            self.list.addItem(item)
            if keep is not None and preset.get("token") == keep.get("token"):
                self.list.setCurrentItem(item)
        self.loaded += 1
        self._update_buttons()

    def _run(self, call: Callable[[Session], Future[Any]], done: Callable[[Any], None]) -> None:
        try:
            future = call(self._session())
        except (PermissionDenied, ValueError) as exc:
            self.sig_error.emit(exc)
            return

        def deliver(f: Future[Any]) -> None:
            error = f.exception()
            if error is not None:
                self.sig_error.emit(error)
            else:
                done(f.result())

        self._relay.watch(future, deliver)
