"""The lock screen: covers the whole window until the officer (or a shift leader) enters a password."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from console.domain.session import Session
from console.services.accounts import Accounts


class LockScreen(QWidget):
    """An opaque child of the main window, raised above the docks and the wall. The engine keeps running
    behind it and alarms keep sounding; only the operator's view and controls are withheld."""

    # ---- Signals
    sig_unlocked = Signal(str)
    """username whose password unlocked the console."""

    def __init__(self, accounts: Accounts, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # let the QSS paint the opaque background
        self.setAutoFillBackground(True)
        self._accounts = accounts
        self._session = session
        title = QLabel(self.tr("Console locked"), self)
        title.setObjectName("lockTitle")
        who = QLabel(
            self.tr("Locked by {name}. Enter your password, or a shift leader's, to unlock.").format(
                name=session.display_name
            ),
            self,
        )
        who.setWordWrap(True)
        self.username = QLineEdit(session.username, self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.try_unlock)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #ef5350")
        self.unlock_button = QPushButton(self.tr("Unlock"), self)
        self.unlock_button.clicked.connect(self.try_unlock)
        box = QWidget(self)
        box.setMaximumWidth(420)
        form = QFormLayout(box)
        form.addRow(title)
        form.addRow(who)
        form.addRow(self.tr("Username"), self.username)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.error)
        form.addRow(self.unlock_button)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.hide()

    def lock(self) -> None:
        self._accounts.lock(self._session)
        self.error.clear()
        self.password.clear()
        self.username.setText(self._session.username)
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.password.setFocus()

    def try_unlock(self) -> bool:
        username = self.username.text().strip()
        ok = self._accounts.unlock(self._session, username, self.password.text())
        self.password.clear()
        if not ok:
            self.error.setText(self.tr("Wrong password, or this user may not unlock the console."))
            return False
        self.hide()
        self.sig_unlocked.emit(username)
        return True

    @property
    def locked(self) -> bool:
        return not self.isHidden()  # isVisible() would be False while the window itself is not shown
