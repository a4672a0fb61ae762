"""The add-camera wizard (administrators): find a camera, log in and probe it, name and place it, save it.

The password goes to the credential store under a name; the site file gets only that name. Discovery and
the probe run on the driver-host loop through the ONVIF façade, so the wizard stays responsive, and every
failure (authentication, fault, malformed reply, timeout) is shown on the page, which stays usable."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from console.domain.roles import Permission, PermissionDenied
from console.domain.session import Session
from console.services.onvif_cameras import NewCamera, OnvifCameras

from .futures import FutureRelay
from .ptz_pad import onvif_error_text

PAGE_FIND, PAGE_LOGIN, PAGE_CAMERA, PAGE_DONE = range(4)
_ID_CHARS = re.compile(r"[^a-z0-9_-]+")  # dots too: "cam-10-0-0-5" reads better


def suggest_id(text: str) -> str:
    """A site id from a host or name: lower case, other characters folded to '-'."""
    slug = _ID_CHARS.sub("-", text.lower()).strip("-._")
    return f"cam-{slug}" if slug else "cam-new"


class FindPage(QWizardPage):
    def __init__(self, wizard: OnvifWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle(self.tr("Find the camera"))
        self.setSubTitle(self.tr("Search the local network (WS-Discovery) or type the camera's address."))
        self.discover_button = QPushButton(self.tr("Search the network"), self)
        self.discover_button.setObjectName("discover")
        self.discover_button.clicked.connect(lambda _=False: wizard.discover())
        self.found = QListWidget(self)
        self.found.setObjectName("found")
        self.found.currentItemChanged.connect(self._picked)
        self.host = QLineEdit(self)
        self.host.setObjectName("host")
        self.host.setPlaceholderText("192.168.1.64")
        self.host.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.port = QSpinBox(self)
        self.port.setObjectName("port")
        self.port.setRange(1, 65535)
        self.port.setValue(80)
        self.message = QLabel("", self)
        self.message.setObjectName("findMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Address"), self.host)
        form.addRow(self.tr("ONVIF port"), self.port)
        layout = QVBoxLayout(self)
        layout.addWidget(self.discover_button)
        layout.addWidget(self.found, 1)
        layout.addLayout(form)
        layout.addWidget(self.message)

    def _picked(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        device = item.data(Qt.ItemDataRole.UserRole) or {}
        if device.get("host"):
            self.host.setText(str(device["host"]))
        if device.get("port"):
            self.port.setValue(int(device["port"]))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.host.text().strip()) and not any(c.isspace() for c in self.host.text().strip())


class LoginPage(QWizardPage):
    def __init__(self, wizard: OnvifWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle(self.tr("Log in to the camera"))
        self.setSubTitle(self.tr("The password is kept in the credential store, never in the site file."))
        self.user = QLineEdit("admin", self)
        self.user.setObjectName("user")
        self.password = QLineEdit(self)
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.credential = QLineEdit(self)
        self.credential.setObjectName("credentialName")
        self.probe_button = QPushButton(self.tr("Connect and read the camera"), self)
        self.probe_button.setObjectName("probe")
        self.probe_button.clicked.connect(lambda _=False: wizard.probe())
        self.message = QLabel("", self)
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Credential name"), self.credential)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.probe_button)
        layout.addWidget(self.message, 1)
        for edit in (self.user, self.password):
            edit.textChanged.connect(lambda _t: wizard.forget_probe())

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        if not self.credential.text():
            host = self._wizard.find_page.host.text()
            self.credential.setText("onvif-" + suggest_id(host).removeprefix("cam-"))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self._wizard.probed is not None


class CameraPage(QWizardPage):
    def __init__(self, wizard: OnvifWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle(self.tr("Name and place the camera"))
        self.device = QLabel("", self)
        self.device.setObjectName("deviceInfo")
        self.device.setWordWrap(True)
        self.camera_id = QLineEdit(self)
        self.camera_id.setObjectName("cameraId")
        self.name = QLineEdit(self)
        self.name.setObjectName("cameraName")
        self.campus = QComboBox(self)
        self.campus.setObjectName("campus")
        for campus in wizard.onvif.site.campuses:
            self.campus.addItem(campus.name, campus.id)
        self.location = QLineEdit(self)
        self.location.setObjectName("location")
        self.main_url = QLineEdit(self)
        self.main_url.setObjectName("mainUrl")
        self.sub_url = QLineEdit(self)
        self.sub_url.setObjectName("subUrl")
        self.snapshot_url = QLineEdit(self)
        self.snapshot_url.setObjectName("snapshotUrl")
        self.ptz = QCheckBox(self.tr("Pan, tilt and zoom through ONVIF"), self)
        self.ptz.setObjectName("ptz")
        self.message = QLabel("", self)
        self.message.setObjectName("cameraMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Id"), self.camera_id)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Campus"), self.campus)
        form.addRow(self.tr("Location"), self.location)
        form.addRow(self.tr("Main stream"), self.main_url)
        form.addRow(self.tr("Sub stream"), self.sub_url)
        form.addRow(self.tr("Snapshot"), self.snapshot_url)
        form.addRow("", self.ptz)
        layout = QVBoxLayout(self)
        layout.addWidget(self.device)
        layout.addLayout(form)
        layout.addWidget(self.message)
        for edit in (self.camera_id, self.name):
            edit.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("Save to the site file"))

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        found = self._wizard.probed or {}
        host = self._wizard.find_page.host.text().strip()
        model = " ".join(str(found.get(k) or "") for k in ("manufacturer", "model")).strip()
        lines = [self.tr("{model}, firmware {firmware}, serial {serial}").format(
            model=model or "?", firmware=found.get("firmware") or "?", serial=found.get("serial") or "?")]
        lines.append(self.tr("{n} media profiles").format(n=len(found.get("profiles") or [])))
        offset = found.get("clock_offset_s")
        if isinstance(offset, int | float) and abs(offset) > 5:
            lines.append(self.tr("⚠ The camera clock is off by {offset} s").format(offset=f"{offset:+.0f}"))
        lines += [str(w) for w in found.get("warnings") or []]
        self.device.setText("\n".join(lines))
        if not self.camera_id.text():
            self.camera_id.setText(suggest_id(host))
        if not self.name.text():
            self.name.setText(model or host)
        self.main_url.setText(str(found.get("main_uri") or ""))
        self.sub_url.setText(str(found.get("sub_uri") or ""))
        self.snapshot_url.setText(str(found.get("snapshot_uri") or ""))
        self.ptz.setChecked(bool(found.get("ptz")))

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return bool(self.camera_id.text().strip() and self.name.text().strip())

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        return self._wizard.save()


class DonePage(QWizardPage):
    def __init__(self, wizard: OnvifWizard) -> None:
        super().__init__(wizard)
        self.setTitle(self.tr("Camera saved"))
        self.summary = QLabel("", self)
        self.summary.setObjectName("doneSummary")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addStretch(1)


class OnvifWizard(QWizard):
    """``session`` is the administrator's; the façade checks EDIT_CONFIG on every step as well."""

    def __init__(self, onvif: OnvifCameras, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("onvifWizard")
        self.setWindowTitle(self.tr("Add ONVIF camera"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.onvif = onvif
        self.session = session
        self.relay = FutureRelay(self)
        self.probed: dict[str, Any] | None = None
        self.discovered: list[dict[str, Any]] = []
        self.saved: NewCamera | None = None
        self.busy = 0  # requests still out (tests wait until 0)
        self.probe_timeout = 10.0  # seconds per ONVIF operation while probing
        self.find_page = FindPage(self)
        self.login_page = LoginPage(self)
        self.camera_page = CameraPage(self)
        self.done_page = DonePage(self)
        for page_id, page in enumerate((self.find_page, self.login_page, self.camera_page, self.done_page)):
            self.setPage(page_id, page)
        self.resize(620, 520)
        if not session.can(Permission.EDIT_CONFIG):
            self.find_page.message.setText(self.tr("Only an administrator may add cameras"))
            self.find_page.discover_button.setEnabled(False)

    # -- steps -------------------------------------------------------------------------------------
    def discover(self) -> None:
        page = self.find_page
        page.message.setText(self.tr("Searching…"))
        page.discover_button.setEnabled(False)
        self._run(lambda: self.onvif.discover(self.session), self._discovered, page.message,
                  lambda: page.discover_button.setEnabled(True))

    def _discovered(self, devices: list[dict[str, Any]]) -> None:
        page = self.find_page
        page.discover_button.setEnabled(True)
        self.discovered = list(devices)
        page.found.clear()
        for device in devices:
            label = " — ".join(str(x) for x in (device.get("name") or device.get("hardware"),
                                                f"{device.get('host')}:{device.get('port')}") if x)
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, device)
            page.found.addItem(item)
        page.message.setText(self.tr("{n} cameras found").format(n=len(devices)))

    def probe(self) -> None:
        page = self.login_page
        self.forget_probe()
        page.message.setStyleSheet("")
        page.message.setText(self.tr("Connecting…"))
        page.probe_button.setEnabled(False)
        host, port = self.find_page.host.text().strip(), self.find_page.port.value()
        user, password = page.user.text(), page.password.text()
        self._run(lambda: self.onvif.probe(self.session, host, port, user, password, self.probe_timeout),
                  self._probed, page.message, lambda: page.probe_button.setEnabled(True))

    def _probed(self, result: dict[str, Any]) -> None:
        page = self.login_page
        page.probe_button.setEnabled(True)
        self.probed = result
        model = " ".join(str(result.get(k) or "") for k in ("manufacturer", "model")).strip()
        page.message.setStyleSheet("")
        page.message.setText(self.tr("Connected: {model}. Press Next.").format(model=model or "?"))
        page.completeChanged.emit()

    def forget_probe(self) -> None:
        if self.probed is not None:
            self.probed = None
            self.login_page.completeChanged.emit()

    def save(self) -> bool:
        page, login = self.camera_page, self.login_page
        camera = NewCamera(
            id=page.camera_id.text().strip(),
            name=page.name.text().strip(),
            campus=str(page.campus.currentData() or ""),
            location=page.location.text().strip(),
            host=self.find_page.host.text().strip(),
            port=self.find_page.port.value(),
            credential=login.credential.text().strip(),
            ptz=page.ptz.isChecked(),
            main_url=page.main_url.text().strip() or None,
            sub_url=page.sub_url.text().strip() or None,
            snapshot_url=page.snapshot_url.text().strip() or None,
        )
        try:
            self.onvif.add_camera(self.session, camera, login.user.text(), login.password.text())
        except PermissionDenied as exc:
            self._error(page.message, exc)
            return False
        except Exception as exc:  # ConfigError, CredentialError, OSError, OnvifUnavailable: say it, stay
            self._error(page.message, exc, plain=True)
            return False
        self.saved = camera
        self.done_page.summary.setText(self.tr(
            "Camera {name} ({id}) was added to the site file {file}, and its password to the credential "
            "store as {credential}.\n\nThe camera appears on the wall after the console is restarted."
        ).format(name=camera.name, id=camera.id, file=str(self.onvif.site_path),
                 credential=camera.credential))
        return True

    # -- plumbing ----------------------------------------------------------------------------------
    def _error(self, label: QLabel, exc: BaseException, plain: bool = False) -> None:
        label.setStyleSheet("color: #e57373;")
        label.setText(str(exc) if plain else onvif_error_text(exc))

    def _run(self, call: Callable[[], Future[Any]], done: Callable[[Any], None], label: QLabel,
             restore: Callable[[], None]) -> None:
        try:
            future = call()
        except PermissionDenied as exc:
            self._error(label, exc)
            restore()
            return
        self.busy += 1

        def deliver(f: Future[Any]) -> None:
            self.busy -= 1
            error = f.exception()
            if error is not None:
                self._error(label, error)
                restore()
            else:
                done(f.result())

        self.relay.watch(future, deliver)

    def done(self, result: int) -> None:
        self.relay.close()
        super().done(result)


def ask_add_camera(onvif: OnvifCameras, session: Session, parent: QWidget | None = None) -> OnvifWizard:
    wizard = OnvifWizard(onvif, session, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.show()
    return wizard


__all__ = ["OnvifWizard", "ask_add_camera", "suggest_id"]
