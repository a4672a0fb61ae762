"""The Close dialog: the officer picks a disposition and writes a note before an alarm is closed."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from console.domain.alarms import Alarm, Disposition

from .formatting import place_and_summary
from .i18n import disposition_label, priority_label


class DispositionDialog(QDialog):
    """Accepted only with a disposition chosen; ``disposition()`` and ``note()`` read the answer."""

    def __init__(self, alarm: Alarm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dispositionDialog")
        self.setWindowTitle(self.tr("Close alarm"))
        self.alarm = alarm
        self.combo = QComboBox(self)
        self.combo.setObjectName("disposition")
        self.combo.addItem(self.tr("— choose —"), None)
        for disposition in Disposition:
            self.combo.addItem(disposition_label(disposition, alarm.priority), disposition)
        self.note_edit = QPlainTextEdit(self)
        self.note_edit.setObjectName("note")
        self.note_edit.setPlaceholderText(self.tr("What was found, what was done, who was told"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.combo.currentIndexChanged.connect(self._update_ok)
        form = QFormLayout(self)
        what = f"{priority_label(alarm.priority)}: {place_and_summary(alarm.location, alarm.summary)}"
        label = QLabel(what, self)
        label.setWordWrap(True)
        form.addRow(label)
        form.addRow(self.tr("Disposition"), self.combo)
        form.addRow(self.tr("Note"), self.note_edit)
        form.addRow(self.buttons)
        self._update_ok()

    def set_disposition(self, disposition: Disposition) -> None:
        self.combo.setCurrentIndex(self.combo.findData(disposition))

    def disposition(self) -> Disposition | None:
        data = self.combo.currentData()
        return Disposition(data) if data is not None else None

    def note(self) -> str:
        return self.note_edit.toPlainText().strip()

    def _update_ok(self) -> None:
        # Choosing deliberately matters for the records: no disposition is preselected.
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.disposition() is not None)


def preview() -> None:
    from .preview import run_preview, sample_alarms

    run_preview(lambda: DispositionDialog(sample_alarms()[0]))


if __name__ == "__main__":
    preview()
