"""Pure text helpers shared by the views: times in the site's time zone, places, short counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def site_zone(name: str | None) -> tzinfo | None:
    """The site's zone, or None (the machine's local zone) if this system lacks the zone database."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def today_in(zone: tzinfo | None, now: datetime | None = None) -> date:
    """The date in ``zone`` (None: the machine's zone) now, for ``format_time`` over a batch."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


def format_time(
    at: datetime | str | None, zone: tzinfo | None, now: datetime | None = None, *, today: date | None = None
) -> str:
    """``HH:MM:SS`` for today, ``MM-DD HH:MM:SS`` otherwise; stored ISO strings are accepted too.
    ``today`` (from ``today_in``) spares working out the date again for each of many times."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    local = at.astimezone(zone)
    if today is None:
        today = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo).date()
    # Formatted by hand, not strftime: the event log formats every event of a storm in the GUI thread.
    clock = f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    return clock if local.date() == today else f"{local.month:02d}-{local.day:02d} {clock}"



def place_and_summary(location: str, summary: str) -> str:
    """The alarm's place first (where to send someone), then what the device said."""
    if location and summary:
        return f"{location} — {summary}"
    return location or summary
