"""The GB 25506 checklist for a real fire: five steps in order, each stamped with the time and the officer."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import tzinfo
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.alarms import Alarm
from console.domain.fire_procedure import STEPS, CallDetails, Outcome, Procedure, Step, StepRecord
from console.domain.roles import Permission, PermissionDenied
from console.domain.session import Session
from console.services.fire_procedure import FireProcedures

from .fire_labels import step_hint, step_label
from .formatting import format_time, place_and_summary
from .futures import FutureRelay

_CALL_FIELDS = ("address", "location", "burning", "extent", "caller")


class FireProcedureDialog(QDialog):
    """Only the next step can be checked or skipped; the stamps come from the service, not from here."""

    def __init__(self, procedures: FireProcedures, session: Session, alarm: Alarm, zone: tzinfo | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fireProcedureDialog")
        self.setWindowTitle(self.tr("Fire procedure (GB 25506)"))
        self.alarm = alarm
        self._procedures = procedures
        self._session = session
        self._zone = zone
        self._relay = FutureRelay(self)
        self._busy = False
        self.procedure: Procedure = procedures.procedure(alarm.id)
        header = QLabel(place_and_summary(alarm.location, alarm.summary), self)
        header.setWordWrap(True)
        header.setStyleSheet("font-weight:bold; color:#ff8a80;")
        self.stamps: dict[Step, QLabel] = {}
        self.done_buttons: dict[Step, QPushButton] = {}
        self.skip_buttons: dict[Step, QPushButton] = {}
        steps = QGridLayout()
        for row, step in enumerate(STEPS):
            title = QLabel(f"{row + 1}. {step_label(step)}", self)
            title.setStyleSheet("font-weight:bold;")
            hint = QLabel(step_hint(step), self)
            hint.setWordWrap(True)
            hint.setStyleSheet("color:#9aa5b1;")
            stamp = QLabel(self)
            stamp.setObjectName(f"stamp_{step}")
            done = QPushButton(self.tr("Done"), self)
            done.clicked.connect(lambda _=False, s=step: self.record(s, Outcome.DONE))
            skip = QPushButton(self.tr("Skip…"), self)
            skip.setToolTip(self.tr("Write the reason in the note first"))
            skip.clicked.connect(lambda _=False, s=step: self.record(s, Outcome.SKIPPED))
            self.stamps[step], self.done_buttons[step], self.skip_buttons[step] = stamp, done, skip
            steps.addWidget(title, row * 2, 0)
            steps.addWidget(stamp, row * 2, 1)
            steps.addWidget(done, row * 2, 2)
            steps.addWidget(skip, row * 2, 3)
            steps.addWidget(hint, row * 2 + 1, 0, 1, 4)
        steps.setColumnStretch(1, 1)
        self.call_box, self.call_edits = self._call_form(procedures.call_details(alarm, session.display_name))
        self.note_edit = QLineEdit(self)
        self.note_edit.setObjectName("procedureNote")
        self.note_edit.setPlaceholderText(self.tr("Note for the step, or the reason for skipping it"))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for item in (header, steps, self.call_box, self.note_edit, self.message, buttons):
            layout.addLayout(item) if isinstance(item, QGridLayout) else layout.addWidget(item)
        self.resize(720, 560)
        self._render()

    def _call_form(self, details: CallDetails) -> tuple[QGroupBox, dict[str, QLineEdit]]:
        box = QGroupBox(self.tr("What to tell 119"), self)
        form = QFormLayout(box)
        labels = {"address": self.tr("Address"), "location": self.tr("Location"),
                  "burning": self.tr("What burns"), "extent": self.tr("Extent"), "caller": self.tr("Caller")}
        edits = {}
        for name in _CALL_FIELDS:
            edit = QLineEdit(getattr(details, name), box)
            edit.setObjectName(f"call_{name}")
            form.addRow(labels[name], edit)
            edits[name] = edit
        self._call_labels = labels
        return box, edits

    def call_details(self) -> CallDetails:
        return CallDetails(**{name: edit.text().strip() for name, edit in self.call_edits.items()})

    def record(self, step: Step, outcome: Outcome) -> None:
        note = self.note_edit.text().strip()
        if outcome is Outcome.SKIPPED and not note:
            self.message.setText(self.tr("Write why the step is skipped in the note."))
            return
        if step is Step.CALL_119 and outcome is Outcome.DONE:
            details = self.call_details()
            missing = [self._call_labels[name] for name in details.missing()]
            if missing:
                text = self.tr("Still to fill in for 119: {fields}").format(fields=", ".join(missing))
                self.message.setText(text)
                return
            note = details.note() + (f"；{note}" if note else "")
        try:
            future = self._procedures.record(self._session, self.alarm.id, step, outcome, note)
        except PermissionDenied as exc:
            self.message.setText(self.tr("Not allowed: {reason}").format(reason=exc))
            return
        self._busy = True
        self._render()
        self._relay.watch(future, self._recorded)

    def _recorded(self, future: Future[Any]) -> None:
        self._busy = False
        exc = future.exception()
        if exc is not None:  # e.g. another officer stamped this step first; the reload shows theirs
            self.message.setText(self.tr("Could not record the step: {reason}").format(reason=exc))
        else:
            self.note_edit.clear()
            self.message.clear()
        self.procedure = self._procedures.procedure(self.alarm.id)
        self._render()

    def _render(self) -> None:
        may = self._session.can(Permission.HANDLE_ALARM) and not self._busy
        for step in STEPS:
            record = self.procedure.record_of(step)
            self.stamps[step].setText(self._stamp(record) if record else "—")
            current = step is self.procedure.next_step
            self.done_buttons[step].setEnabled(may and current)
            self.skip_buttons[step].setEnabled(may and current)
        self.call_box.setEnabled(self.procedure.record_of(Step.CALL_119) is None)
        if self.procedure.complete:
            self.message.setText(self.tr("All steps recorded."))

    def _stamp(self, record: StepRecord) -> str:
        text = f"{format_time(record.time, self._zone)}  {record.actor}"
        if record.outcome is Outcome.SKIPPED:
            text += "  " + self.tr("skipped: {reason}").format(reason=record.note)
        elif record.note:
            text += f"  {record.note}"
        return text

    def done(self, result: int) -> None:
        self._relay.close()  # a stamp arriving after the dialog closed has nobody to show it to
        super().done(result)
