"""Deny and allow lists of cards and plates: audited edits and CSV import; the deny rule sees edits."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from console.config import Site
from console.domain.gates import (
    ImportProblem,
    ImportReport,
    ListEntry,
    ListKind,
    ListName,
    ListValueError,
    normalise_value,
)
from console.domain.roles import Permission
from console.domain.session import Session
from console.storage import gate_rows
from console.storage.store import Store, Tx
from drivers.base import utc_now

from .accounts import Accounts
from .audit import append_audit
from .gate_rules import GateRules

# Audit action names (stored verbatim: never rename one that has shipped).
ADD = "gate_list.add"
REMOVE = "gate_list.remove"
IMPORT = "gate_list.import"

CSV_HEADER = ("list", "kind", "value", "reason", "expires")
MAX_REASON = 200
MAX_IMPORT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Draft:
    list: str
    kind: str
    value: str
    reason: str
    expires: datetime | None


class GateLists:
    """Reads on the caller's own connection; edits in the writer, each with its audit row."""

    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        site: Site,
        rules: GateRules | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._tz = ZoneInfo(site.site.timezone)
        self._rules = rules
        self._clock = clock

    def entries(self, list_name: str | None = None) -> list[ListEntry]:
        """Entries of one list (or both): unexpired first, then expired (``entry.expired(now)`` flags them);
        each group by list, kind and value."""
        if list_name is not None:
            list_name = _list_name(list_name)
        with self._store.reading() as conn:
            found = gate_rows.list_entries(conn, list_name)
        now = self._clock()
        return sorted(found, key=lambda e: (e.expired(now), e.list, e.kind, e.value))

    def add(
        self,
        list_name: str,
        kind: str,
        value: str,
        reason: str,
        expires: datetime | date | None,
        session: Session,
    ) -> Future[ListEntry]:
        """Add (or update) an entry. Raises PermissionDenied or ListValueError at once; ``expires`` as a
        date means through the end of that day in the site's time zone."""
        self._accounts.authorize(session, Permission.EDIT_CONFIG, f"add to the gate {list_name} list")
        draft = self._draft(list_name, kind, value, reason, self._expiry(expires))
        now = self._clock()

        def job(tx: Tx) -> ListEntry:
            entry, replaced = _store_draft(tx, draft, session.username, now)
            detail = {**_entry_detail(entry), "replaced": replaced}
            append_audit(tx, session.username, ADD, f"gate_list:{entry.id}", detail)
            self._reload(tx)
            return entry

        return self._store.submit(job)

    def remove(self, entry_id: int, session: Session) -> Future[None]:
        """Remove an entry; the future fails with KeyError if there is none with that id."""
        self._accounts.authorize(session, Permission.EDIT_CONFIG, "remove a gate list entry")

        def job(tx: Tx) -> None:
            entry = gate_rows.delete_entry(tx.conn, entry_id)
            if entry is None:
                raise KeyError(f"no gate list entry {entry_id}")
            append_audit(tx, session.username, REMOVE, f"gate_list:{entry_id}", _entry_detail(entry))
            self._reload(tx)

        return self._store.submit(job)

    def import_csv(self, path: Path, session: Session) -> Future[ImportReport]:
        """Import ``list,kind,value,reason,expires`` lines (a header line and ``#`` comments allowed). Good
        lines are stored (an existing entry is updated), bad ones reported with their line numbers."""
        self._accounts.authorize(session, Permission.EDIT_CONFIG, "import a gate list")
        path = Path(path)
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise ListValueError(f"{path} is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ListValueError(f"{path} is not UTF-8 text ({exc})") from None
        drafts, problems = self.parse_csv(text)
        now = self._clock()

        def job(tx: Tx) -> ImportReport:
            replaced = 0
            for _line, draft in drafts:
                replaced += _store_draft(tx, draft, session.username, now)[1]
            report = ImportReport(len(drafts), replaced, tuple(problems))
            detail = {
                "file": str(path),
                "imported": report.imported,
                "replaced": report.replaced,
                "bad_lines": [p.line for p in problems],
            }
            append_audit(tx, session.username, IMPORT, "gate_lists", detail)
            self._reload(tx)
            return report

        return self._store.submit(job)

    def parse_csv(self, text: str) -> tuple[list[tuple[int, _Draft]], list[ImportProblem]]:
        """Good lines (with their numbers) and problems; pure apart from the site's time zone."""
        drafts: list[tuple[int, _Draft]] = []
        problems: list[ImportProblem] = []
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                cells = next(csv.reader(io.StringIO(line)))
            except (csv.Error, StopIteration) as exc:
                problems.append(ImportProblem(number, f"not a CSV line ({exc})", line[:200]))
                continue
            cells = [c.strip() for c in cells]
            if number == 1 and tuple(c.lower() for c in cells[:5]) == CSV_HEADER[: len(cells[:5])]:
                continue
            try:
                drafts.append((number, self._parse_cells(cells)))
            except ListValueError as exc:
                problems.append(ImportProblem(number, str(exc), line[:200]))
        return drafts, problems

    # -- helpers --------------------------------------------------------------------------------------------
    def _parse_cells(self, cells: list[str]) -> _Draft:
        if not 3 <= len(cells) <= 5:
            raise ListValueError(f"expected 3 to 5 columns (list,kind,value,reason,expires): {len(cells)}")
        cells = cells + [""] * (5 - len(cells))
        return self._draft(cells[0], cells[1], cells[2], cells[3], self._expiry(_parse_expiry(cells[4])))

    def _draft(self, list_name: str, kind: str, value: str, reason: str, expires: datetime | None) -> _Draft:
        list_name = _list_name(list_name)
        if kind not in ListKind.__members__.values():
            raise ListValueError(f"kind must be card or plate, not {kind!r}")
        reason = reason.strip()
        if len(reason) > MAX_REASON:
            raise ListValueError(f"the reason is longer than {MAX_REASON} characters")
        return _Draft(list_name, kind, normalise_value(kind, value), reason, expires)

    def _expiry(self, expires: datetime | date | None) -> datetime | None:
        if expires is None:
            return None
        if isinstance(expires, datetime):
            if expires.tzinfo is None:
                raise ListValueError("an expiry time needs a time zone")
            return expires.astimezone(UTC)
        # A date: valid through that whole day where the site is.
        return datetime.combine(expires + timedelta(days=1), time(0), self._tz).astimezone(UTC)

    def _reload(self, tx: Tx) -> None:
        if self._rules is not None:
            self._rules.reload(tx.conn)



def _list_name(value: str) -> str:
    if value not in ListName.__members__.values():
        raise ListValueError(f"list must be deny or allow, not {value!r}")
    return str(value)


def _parse_expiry(text: str) -> datetime | date | None:
    """Empty, an ISO date (2026-12-31) or an ISO date-time with its offset."""
    if not text:
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ListValueError(f"expires {text[:40]!r} is not an ISO date (YYYY-MM-DD) or empty") from None
    if moment.tzinfo is None:
        raise ListValueError(f"expires {text[:40]!r} has no time zone offset")
    return moment


def _store_draft(tx: Tx, draft: _Draft, actor: str, now: datetime) -> tuple[ListEntry, bool]:
    return gate_rows.upsert_entry(
        tx.conn, draft.list, draft.kind, draft.value, draft.reason, draft.expires, actor, now
    )


def _entry_detail(entry: ListEntry) -> dict[str, Any]:
    return {
        "list": entry.list,
        "kind": entry.kind,
        "value": entry.value,
        "reason": entry.reason,
        "expires": entry.expires.isoformat() if entry.expires else None,
    }
