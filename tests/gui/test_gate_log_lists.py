"""The deny / allow list editor against the real GateLists service: add, remove, CSV import with a report."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.domain.session import Session
from widgets.gate_lists_dialog import GateListsDialog

from .conftest import Console, audit_actions


@pytest.fixture
def open_dialog(qtbot: QtBot, console: Console) -> Iterator[object]:
    dialogs: list[GateListsDialog] = []
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-gate-lists")

    def make(session: Session) -> GateListsDialog:
        dialog = GateListsDialog(console.services.gate_lists, session, worker, "Asia/Shanghai")
        qtbot.addWidget(dialog)
        dialogs.append(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: not dialog.loading, timeout=10_000)
        return dialog

    yield make
    for dialog in dialogs:
        dialog.close()
    worker.shutdown(wait=True)


def test_an_administrator_adds_and_removes_an_entry(qtbot: QtBot, console: Console, open_dialog) -> None:  # noqa: ANN001
    dialog: GateListsDialog = open_dialog(console.admin)
    assert dialog.table.rowCount() == 0
    dialog.new_list.setCurrentIndex(dialog.new_list.findData("deny"))
    dialog.new_kind.setCurrentIndex(dialog.new_kind.findData("card"))
    qtbot.keyClicks(dialog.new_value, "0012345")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert "reason" in dialog.status.text()  # a reason is required; nothing was sent
    qtbot.keyClicks(dialog.new_reason, "reported lost")
    dialog.new_expires_on.setChecked(True)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    entry = dialog.entries[0]
    assert (entry.list, entry.kind, entry.value, entry.reason) == ("deny", "card", "12345", "reported lost")
    assert entry.expires is not None and entry.expires > datetime.now(UTC)
    assert dialog.table.item(0, 2).text() == "12345" and dialog.new_value.text() == ""
    assert [e.value for e in console.services.gate_lists.entries("deny")] == ["12345"]
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0 and not dialog.loading, timeout=10_000)
    assert console.services.gate_lists.entries() == []
    actions = audit_actions(console)
    assert any("add" in a for a in actions if a.startswith("gate_list")), actions
    assert any("remove" in a for a in actions if a.startswith("gate_list")), actions


def test_csv_import_reports_bad_lines_and_keeps_good_ones(
    qtbot: QtBot, console: Console, open_dialog, tmp_path: Path  # noqa: ANN001
) -> None:
    dialog: GateListsDialog = open_dialog(console.admin)
    source = tmp_path / "lists.csv"
    source.write_text(
        "list,kind,value,reason,expires\n"
        "deny,plate,京A·12345,stolen car,\n"
        "deny,boat,X1,wrong kind,\n"
        "allow,card,777,visiting professor,2099-01-01T00:00:00+08:00\n"
        "maybe,card,9,unknown list,\n"
        "deny,card,55,bad date,not-a-date\n",
        encoding="utf-8",
    )
    dialog.import_from(source)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2 and not dialog.loading, timeout=10_000)
    assert sorted(e.value for e in dialog.entries) == ["777", "京A12345"]
    report = dialog.report.toPlainText().splitlines()
    assert [line.split(":")[0] for line in report] == ["Line 3", "Line 5", "Line 6"]
    assert dialog.report.isVisible()
    assert "Imported 2 entries, 3 bad lines" in dialog.status.text()
    shot = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path)) / "gate-lists-dialog.png"
    assert dialog.grab().save(str(shot))


def test_an_operator_sees_the_lists_but_cannot_change_them(
    qtbot: QtBot, console: Console, open_dialog  # noqa: ANN001
) -> None:
    console.services.gate_lists.add("deny", "plate", "沪B99999", "fraud", None, console.admin).result(5)
    dialog: GateListsDialog = open_dialog(console.operator)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    assert not dialog.add_button.isEnabled() and not dialog.import_button.isEnabled()
    assert not dialog.remove_button.isEnabled()
    assert dialog.table.item(0, 4).text() == "never"
