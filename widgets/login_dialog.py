"""Log-in dialog, and the first-start dialog that creates the administrator when there are no users yet."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from console.domain.session import Session
from console.services.accounts import Accounts, AccountsError, AuthenticationFailed


def _password_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("error")
    label.setStyleSheet("color: #ef5350")
    label.setWordWrap(True)
    return label


class LoginDialog(QDialog):
    """Stays open on a wrong password; ``session`` is set once accepted."""

    def __init__(self, accounts: Accounts, parent: QWidget | None = None, username: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Campus Console — log in"))
        self._accounts = accounts
        self.session: Session | None = None
        self.username = QLineEdit(username, self)
        self.password = _password_edit(self)
        self.error = _error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Username"), self.username)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.error)
        form.addRow(buttons)
        (self.password if username else self.username).setFocus()

    def try_login(self) -> None:
        try:
            self.session = self._accounts.login(self.username.text().strip(), self.password.text())
        except AuthenticationFailed:
            self.error.setText(self.tr("Wrong username or password, or the account is disabled."))
            self.password.clear()
            return
        self.accept()


class FirstAdminDialog(QDialog):
    """First start: no users exist, so the person installing the console creates the administrator."""

    def __init__(self, accounts: Accounts, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Create the administrator"))
        self._accounts = accounts
        self.created_username = ""
        intro = QLabel(
            self.tr(
                "No user exists yet. Create the administrator account; it can then add the duty officers."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.username = QLineEdit("admin", self)
        self.display_name = QLineEdit(self)
        self.password = _password_edit(self)
        self.repeat = _password_edit(self)
        self.error = _error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.try_create)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow(self.tr("Username"), self.username)
        form.addRow(self.tr("Display name"), self.display_name)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Repeat password"), self.repeat)
        form.addRow(self.error)
        form.addRow(buttons)

    def try_create(self) -> None:
        if self.password.text() != self.repeat.text():
            self.error.setText(self.tr("The passwords differ."))
            return
        try:
            info = self._accounts.create_first_admin(
                self.username.text().strip(), self.display_name.text(), self.password.text()
            )
        except AccountsError as exc:  # weak password, bad username, or someone was quicker
            self.error.setText(str(exc))
            return
        self.created_username = info.username
        self.accept()


def ask_for_session(accounts: Accounts, parent: QWidget | None = None) -> Session | None:
    """The start-up flow: create the administrator if needed, then log in. None if the user cancels."""
    username = ""
    if not accounts.has_users():
        first = FirstAdminDialog(accounts, parent)
        if first.exec() != QDialog.DialogCode.Accepted:
            return None
        username = first.created_username
    login = LoginDialog(accounts, parent, username)
    return login.session if login.exec() == QDialog.DialogCode.Accepted else None
