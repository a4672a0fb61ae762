"""The gate log's table model: pages of GateLog.query newest first, loaded off the GUI thread by keyset."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import replace
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont

from console.domain.gates import GateFilter, GateRow

from .formatting import format_time
from .futures import FutureRelay
from .table_model import Index, RowTableModel

log = logging.getLogger(__name__)

PAGE = 200
# How far a live refresh pages down looking for the newest row it already shows; past this (a burst of more
# than a few thousand passes between two refreshes) the log reloads from the top instead.
REFRESH_PAGES = 5
# A live refresh pages "below" the largest SQLite integer rather than from no bound: the same rows, but the
# service audits person data only for a search's first page (before_id None), and a refresh is not a search.
NO_UPPER_BOUND = 2**63 - 1
# Live rows pile up on a console that runs for days; past this the oldest are dropped (scrolling down loads
# them again), so memory stays bounded.
MAX_ROWS = 20_000
COLUMNS = (
    "time", "gate", "door", "direction", "result", "name", "card", "plate", "subject", "method", "reason",
)
RESULT_COLUMN = COLUMNS.index("result")
PERSON_COLUMNS = frozenset(COLUMNS.index(c) for c in ("name", "card", "plate", "subject"))

_CTX = "GateLabels"
RESULTS = {
    "granted": QT_TRANSLATE_NOOP("GateLabels", "Granted"),
    "denied": QT_TRANSLATE_NOOP("GateLabels", "Denied"),
    "alarm": QT_TRANSLATE_NOOP("GateLabels", "Alarm"),
    "info": QT_TRANSLATE_NOOP("GateLabels", "Info"),
}
DIRECTIONS = {
    "in": QT_TRANSLATE_NOOP("GateLabels", "In"),
    "out": QT_TRANSLATE_NOOP("GateLabels", "Out"),
}
METHODS = {
    "card": QT_TRANSLATE_NOOP("GateLabels", "Card"),
    "face": QT_TRANSLATE_NOOP("GateLabels", "Face"),
    "qr": QT_TRANSLATE_NOOP("GateLabels", "QR code"),
    "plate": QT_TRANSLATE_NOOP("GateLabels", "Plate"),
    "password": QT_TRANSLATE_NOOP("GateLabels", "Password"),
    "fingerprint": QT_TRANSLATE_NOOP("GateLabels", "Fingerprint"),
    "remote": QT_TRANSLATE_NOOP("GateLabels", "Remote"),
    "other": QT_TRANSLATE_NOOP("GateLabels", "Other"),
}
# The machine words drivers put in GatePayload.reason that officers meet most; others show as they are.
REASONS = {
    "no_such_card": QT_TRANSLATE_NOOP("GateLabels", "Unknown card"),
    "no_such_person": QT_TRANSLATE_NOOP("GateLabels", "Unknown person"),
    "expired": QT_TRANSLATE_NOOP("GateLabels", "Expired"),
    "no_permission": QT_TRANSLATE_NOOP("GateLabels", "No permission here"),
    "invalid_time": QT_TRANSLATE_NOOP("GateLabels", "Outside permitted hours"),
    "anti_passback": QT_TRANSLATE_NOOP("GateLabels", "Anti-passback"),
    "wrong_password": QT_TRANSLATE_NOOP("GateLabels", "Wrong password"),
    "face_mismatch": QT_TRANSLATE_NOOP("GateLabels", "Face does not match"),
    "fingerprint_mismatch": QT_TRANSLATE_NOOP("GateLabels", "Fingerprint does not match"),
    "blocklist": QT_TRANSLATE_NOOP("GateLabels", "On the device's block list"),
    "denylist": QT_TRANSLATE_NOOP("GateLabels", "On the deny list"),
    "denied_burst": QT_TRANSLATE_NOOP("GateLabels", "Many refusals in a short time"),
    "tailgating": QT_TRANSLATE_NOOP("GateLabels", "Tailgating"),
    "forced": QT_TRANSLATE_NOOP("GateLabels", "Door forced"),
    "held_open": QT_TRANSLATE_NOOP("GateLabels", "Door held open"),
    "reverse": QT_TRANSLATE_NOOP("GateLabels", "Wrong-way passage"),
    "climb": QT_TRANSLATE_NOOP("GateLabels", "Climbing over"),
    "fire_release": QT_TRANSLATE_NOOP("GateLabels", "Released for fire"),
    "remote_open": QT_TRANSLATE_NOOP("GateLabels", "Opened remotely"),
    "remote_close": QT_TRANSLATE_NOOP("GateLabels", "Closed remotely"),
}
# Refusals stand out in orange, conditions (tailgating, forced door ...) in the alarm red; passes stay calm.
RESULT_COLOURS = {"denied": "#fb8c00", "alarm": "#e53935", "granted": "#66bb6a"}
RESULT_BACKGROUNDS = {"denied": "#3a2a14", "alarm": "#4a1717"}


def label(table: Mapping[str, str], value: str | None) -> str:
    """The translated label of a gate enum value; unknown values (a newer driver) show as they are."""
    if not value:
        return ""
    return QCoreApplication.translate(_CTX, table[value]) if value in table else value


def merge_newest(shown: list[GateRow], fresh: list[GateRow]) -> list[GateRow]:
    """The rows of ``fresh`` (newest first) newer than everything shown, newest first."""
    newest = shown[0].id if shown else 0
    return sorted((r for r in fresh if r.id > newest), key=lambda r: r.id, reverse=True)


def fetch_newer(query: Callable[[GateFilter], list[GateRow]], flt: GateFilter, newest: int,
                pages: int = REFRESH_PAGES) -> tuple[list[GateRow], bool]:
    """Pages from the top down to the row id ``newest`` (worker thread). Returns the rows newer than it and
    whether they join up with it (False: more came than ``pages`` pages; the caller reloads instead)."""
    out: list[GateRow] = []
    before = NO_UPPER_BOUND
    for _ in range(pages):
        page = query(replace(flt, before_id=before))
        out.extend(r for r in page if r.id > newest)
        if len(page) < flt.limit or any(r.id <= newest for r in page):
            return out, True
        before = page[-1].id
    return out, False


class GateLogModel(RowTableModel):
    """Rows newest first. ``set_filter`` reloads, ``fetchMore`` appends the next page, ``refresh_newest``
    puts rows that arrived since at the top. Queries run on ``executor``; rows are swapped in when they come
    back, and an answer for a filter that has since changed is dropped."""

    columns = COLUMNS

    sig_loading = Signal(bool)
    """True while a query this model asked for is outstanding."""
    sig_loaded = Signal()
    """A page, a reload or a live refresh was applied."""
    sig_failed = Signal(str)
    """A query failed; the text says why."""

    def __init__(
        self,
        query: Callable[[GateFilter], list[GateRow]],
        executor: Executor,
        zone: tzinfo | None = None,
        names: Mapping[str, str] | None = None,
        parent: QObject | None = None,
        page: int = PAGE,
        max_rows: int = MAX_ROWS,
    ) -> None:
        super().__init__(parent)
        self._query = query
        self._executor = executor
        self._zone = zone
        self._names = dict(names or {})  # gate / point id -> display name
        self._page = page
        self._max = max(max_rows, page)
        self._relay = FutureRelay(self)
        self._rows: list[GateRow] = []
        self._texts: dict[int, tuple[str, ...]] = {}
        self._filter = GateFilter(limit=page)
        self._generation = 0
        self._loaded = False  # the first page of the current filter has arrived
        self._exhausted = False
        self._fetching = False
        self._refreshing = False
        self._refresh_again = False
        self._reloading = False

    # -- reading --------------------------------------------------------------------------------------
    @property
    def filter(self) -> GateFilter:
        return self._filter

    @property
    def newest_id(self) -> int:
        return self._rows[0].id if self._rows else 0

    @property
    def busy(self) -> bool:
        return self._reloading or self._fetching or self._refreshing

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def rows(self) -> list[GateRow]:
        return list(self._rows)

    def row_at(self, row: int) -> GateRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, row_id: int) -> int:
        """The table row showing ``row_id``, or -1 (linear; only for anchoring after an insert)."""
        return next((i for i, r in enumerate(self._rows) if r.id == row_id), -1)

    # -- loading ----------------------------------------------------------------------------------------
    def set_filter(self, flt: GateFilter) -> None:
        """Query the first page of ``flt`` off the GUI thread; the rows shown stay until it arrives."""
        self._filter = replace(flt, before_id=None, limit=self._page)
        self._generation += 1
        self._fetching = self._refreshing = self._refresh_again = False
        self._reloading = True
        self.sig_loading.emit(True)
        self._submit(lambda f=self._filter: self._query(f), self._on_reloaded, "_reloading")

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802 - Qt's signature
        return not parent.isValid() and self._loaded and not self._exhausted and not self._fetching \
            and not self._reloading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008, N802 - Qt's signature
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        self.sig_loading.emit(True)
        flt = replace(self._filter, before_id=self._rows[-1].id if self._rows else None)
        self._submit(lambda: self._query(flt), self._on_page, "_fetching")

    def refresh_newest(self) -> None:
        """New gate events were stored: query what is newer than the top row (at most one query at a time;
        a call while one runs makes it run once more afterwards)."""
        if not self._loaded or self._reloading:
            return  # the reload under way already includes them
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        flt, newest = self._filter, self.newest_id
        self._submit(lambda: fetch_newer(self._query, flt, newest), self._on_newer, "_refreshing")

    def _submit(self, work: Callable[[], Any], apply: Callable[[Any], None], flag: str) -> None:
        """Run ``work`` on the executor; ``apply`` its result here, or on failure clear ``flag`` (the busy
        attribute of this kind of query) and report."""
        generation = self._generation

        def done(future: Future[Any]) -> None:
            if generation != self._generation:
                return  # the filter changed while this ran
            error = future.exception()
            if error is not None:
                log.warning("gate log query failed: %s", error)
                setattr(self, flag, False)
                self.sig_loading.emit(False)
                self.sig_failed.emit(str(error))
                return
            apply(future.result())
            self.sig_loading.emit(self.busy)
            self.sig_loaded.emit()

        try:
            future = self._executor.submit(work)
        except RuntimeError:  # the executor was shut down: the view is closing
            return
        self._relay.watch(future, done)

    def _on_reloaded(self, rows: list[GateRow]) -> None:
        self._reloading = False
        self.beginResetModel()
        self._rows = list(rows)
        self._texts.clear()
        self._loaded = True
        self._exhausted = len(rows) < self._page
        self.endResetModel()

    def _on_page(self, rows: list[GateRow]) -> None:
        self._fetching = False
        oldest = self._rows[-1].id if self._rows else None
        older = [r for r in rows if oldest is None or r.id < oldest]
        self._exhausted = len(rows) < self._page
        if older:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(older) - 1)
            self._rows.extend(older)
            self.endInsertRows()

    def _on_newer(self, result: tuple[list[GateRow], bool]) -> None:
        rows, joined = result
        self._refreshing = False
        if not joined:
            self.set_filter(self._filter)  # too many to splice in: start again from the top
            return
        fresh = merge_newest(self._rows, rows)
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self._rows[:0] = fresh
            self.endInsertRows()
            self._trim()
        if self._refresh_again:
            self._refresh_again = False
            self.refresh_newest()

    def _trim(self) -> None:
        if len(self._rows) <= self._max:
            return
        self.beginRemoveRows(QModelIndex(), self._max, len(self._rows) - 1)
        for gone in self._rows[self._max :]:
            self._texts.pop(gone.id, None)
        del self._rows[self._max :]
        self.endRemoveRows()
        self._exhausted = False  # what was dropped can be paged in again

    def close(self) -> None:
        self._generation += 1
        self._relay.close()

    # -- Qt's model interface ------------------------------------------------------------------------
    def _row_total(self) -> int:
        return len(self._rows)

    def _titles(self) -> tuple[str, ...]:
        return (
            self.tr("Time"),
            self.tr("Gate"),
            self.tr("Door / lane"),
            self.tr("Direction"),
            self.tr("Result"),
            self.tr("Name"),
            self.tr("Card"),
            self.tr("Plate"),
            self.tr("Person / vehicle ID"),
            self.tr("Method"),
            self.tr("Reason"),
        )

    def _display(self, row: GateRow) -> tuple[str, ...]:
        texts = self._texts.get(row.id)
        if texts is None:
            door = self._names.get(row.point or "", "") or row.door or ""
            texts = self._texts[row.id] = (
                format_time(row.time, self._zone),
                self._names.get(row.gate, row.gate),
                door,
                label(DIRECTIONS, row.direction),
                label(RESULTS, row.result),
                row.name or "",
                row.card or "",
                row.plate or "",
                row.subject_id or "",
                label(METHODS, row.method),
                label(REASONS, row.reason) or ("" if row.result == "granted" else row.kind),
            )
        return texts

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row)[column]
        if role == Qt.ItemDataRole.UserRole:
            return row
        if column == RESULT_COLUMN:
            if role == Qt.ItemDataRole.ForegroundRole and row.result in RESULT_COLOURS:
                return QColor(RESULT_COLOURS[row.result])
            if role == Qt.ItemDataRole.BackgroundRole and row.result in RESULT_BACKGROUNDS:
                return QColor(RESULT_BACKGROUNDS[row.result])
            if role == Qt.ItemDataRole.FontRole and row.result in RESULT_BACKGROUNDS:
                font = QFont()
                font.setBold(True)
                return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.kind}\n{row.summary}" if row.summary else row.kind
        return None
