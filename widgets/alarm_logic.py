"""Pure rules behind the alarm panel: which actions a session may take now, and the history as text."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from console.domain.alarms import Alarm, AlarmAction, AlarmStatus, Disposition, allowed_actions
from console.domain.session import Session
from console.services.alarm_center import ACTION_PERMISSION

from .formatting import format_time
from .i18n import action_label, disposition_label, status_label


def action_enabled(alarm: Alarm | None, action: AlarmAction, session: Session) -> bool:
    return alarm is not None and action in allowed_actions(alarm) and session.can(ACTION_PERMISSION[action])


def history_lines(entries: list[dict[str, Any]], zone: tzinfo | None) -> list[str]:
    """One line per recorded step: when, who, what, the status change, and the note."""
    lines = []
    for e in entries:
        text = f"{format_time(e['time'], zone)}  {e['actor']}  {action_label(AlarmAction(e['action']))}"
        if e["from_status"] != e["to_status"]:
            before, after = AlarmStatus(e["from_status"]), AlarmStatus(e["to_status"])
            text += f"  {status_label(before)} → {status_label(after)}"
        if e.get("disposition"):
            text += f"  [{disposition_label(Disposition(e['disposition']))}]"
        if e.get("note"):
            text += f"  {e['note']}"
        lines.append(text)
    return lines
