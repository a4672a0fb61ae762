"""format_time: the clock alone for today, month and day before it otherwise, in the site's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from widgets.formatting import format_time, today_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 5, 4, 15, 0, tzinfo=SHANGHAI)


def test_today_shows_only_the_clock_in_the_site_zone() -> None:
    assert format_time(datetime(2026, 5, 4, 1, 2, 3, tzinfo=UTC), SHANGHAI, NOW) == "09:02:03"


def test_another_day_shows_month_and_day() -> None:
    assert format_time(datetime(2026, 5, 3, 23, 59, 9, tzinfo=SHANGHAI), SHANGHAI, NOW) == "05-03 23:59:09"


def test_stored_iso_text_and_empty_values() -> None:
    assert format_time("2026-05-04T07:00:00.000000+00:00", SHANGHAI, NOW) == "15:00:00"
    assert format_time(None, SHANGHAI, NOW) == "" and format_time("", SHANGHAI, NOW) == ""


def test_a_batch_passes_today_once() -> None:
    today = today_in(SHANGHAI, NOW)
    assert today == NOW.date()
    assert format_time(datetime(2026, 5, 4, 1, 2, 3, tzinfo=UTC), SHANGHAI, today=today) == "09:02:03"
    assert format_time(datetime(2026, 5, 3, 1, 2, 3, tzinfo=UTC), SHANGHAI, today=today) == "05-03 09:02:03"
