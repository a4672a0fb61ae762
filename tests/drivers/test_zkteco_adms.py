"""ZKTeco ADMS codec: ATTLOG/USER lines, options, replies, verify codes and local time (with hypothesis)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.base import Method
from drivers.gates.zkteco.adms import (
    AdmsError,
    AttRecord,
    UserRecord,
    build_options,
    format_att_line,
    format_user_line,
    line_tag,
    local_to_utc,
    method_for,
    parse_att_line,
    parse_attlog,
    parse_ok_count,
    parse_options,
    parse_user_line,
    tz_hours,
)
from drivers.gates.zkteco.simulator import BAD_LINES

PIN = st.text("0123456789ABCDEFabcdef", min_size=1, max_size=24)
CODE = st.integers(0, 255).map(str)
FIELD = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=8)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0))
RECORDS = st.builds(AttRecord, pin=PIN, time=TIMES, status=CODE, verify=CODE, workcode=FIELD,
                    rest=st.lists(FIELD, max_size=10).map(tuple))


def test_real_line_and_verify_table() -> None:
    record = parse_att_line(b"1001\t2026-03-02 07:58:09\t0\t15\t0\t0\t0")
    assert (record.pin, record.status, record.verify, record.workcode) == ("1001", "0", "15", "0")
    assert record.time == datetime(2026, 3, 2, 7, 58, 9) and record.rest == ("0", "0")
    assert [method_for(v) for v in ("0", "1", "4", "15", "18", "3", "2", "999", "x")] == [
        Method.PASSWORD, Method.FINGERPRINT, Method.CARD, Method.FACE, Method.FACE, Method.PASSWORD,
        Method.OTHER, Method.OTHER, Method.OTHER]


MORE_BAD = (b"1\t2026-02-30 00:00:00\t0\t1", b"a b\t2026-01-01 00:00:00\t0\t1",
            b"\t".join([b"1", b"2026-01-01 00:00:00"] + [b"0"] * 20))


@pytest.mark.parametrize("line", BAD_LINES + MORE_BAD)
def test_bad_lines_raise_adms_error_with_raw(line: bytes) -> None:
    with pytest.raises(AdmsError) as info:
        parse_att_line(line)
    assert info.value.raw == line


def test_body_keeps_good_lines_around_bad_ones() -> None:
    first, second = b"1001\t2026-03-02 07:58:09\t0\t15", b"1002\t2026-03-02 07:58:10\t1\t1"
    body = first + b"\r\n\r\n" + BAD_LINES[2] + b"\n" + second + b"\n  \n"
    good, bad = parse_attlog(body)
    assert [r.pin for r, _ in good] == ["1001", "1002"]
    assert [raw for _, raw in good] == [first, second]
    assert [e.raw for e in bad] == [BAD_LINES[2]]


@settings(max_examples=300, deadline=None)
@given(record=RECORDS)
def test_valid_lines_round_trip(record: AttRecord) -> None:
    assert parse_att_line(format_att_line(record)) == record


@settings(max_examples=100, deadline=None)
@given(records=st.lists(RECORDS, max_size=20), crlf=st.lists(st.booleans(), min_size=20, max_size=20))
def test_bodies_round_trip_with_mixed_line_endings(records: list[AttRecord], crlf: list[bool]) -> None:
    body = b"".join(format_att_line(r) + (b"\r\n" if crlf[i] else b"\n") for i, r in enumerate(records))
    good, bad = parse_attlog(body)
    assert bad == [] and [r for r, _ in good] == records


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=300))
def test_garbage_never_raises_anything_but_adms_error(data: bytes) -> None:
    for parse in (parse_att_line, parse_user_line, parse_options, parse_ok_count):
        with contextlib.suppress(AdmsError):
            parse(data)
    good, bad = parse_attlog(data)
    assert len(good) + len(bad) == len([x for x in data.split(b"\n") if x.strip()])
    line_tag(data)


@settings(max_examples=200, deadline=None)
@given(columns=st.lists(st.text(max_size=25), max_size=20))
def test_random_columns_never_raise_anything_but_adms_error(columns: list[str]) -> None:
    line = "\t".join(columns).encode("utf-8", "surrogatepass")
    try:
        record = parse_att_line(line)
    except AdmsError:
        return
    assert record.pin and 4 <= len(columns) <= 16


def test_user_lines_utf8_and_gb18030() -> None:
    user = UserRecord("1001", "张三", card="0003000000", privilege="0")
    assert parse_user_line(format_user_line(user)) == user
    gbk = "USER PIN=1002\tName=李四\tPri=0".encode("gb18030")
    assert parse_user_line(gbk).name == "李四"
    for bad in (b"OPLOG 4\t0\t2026-01-01 00:00:00", b"USER Name=x", b"USER PIN=a b"):
        with pytest.raises(AdmsError):
            parse_user_line(bad)
    assert line_tag(b"USER PIN=1") == "USER" and line_tag(b"OPLOG 4\t0") == "OPLOG"
    assert line_tag(b"1\t2") == ""


def test_options_round_trip_and_ok_count() -> None:
    body = build_options("CKJ1", {"ATTLOG": "123"}, delay=10, error_delay=30, trans_interval=1, realtime=True,
                         timezone_hours="8", new_style=True)
    text = body.decode()
    assert text.startswith("GET OPTION FROM: CKJ1\n")
    options = parse_options(body)
    assert options["SN"] == "CKJ1" and options["ATTLOGStamp"] == "123" and options["OPERLOGStamp"] == "0"
    for key in ("ErrorDelay", "Delay", "TransTimes", "TransInterval", "TransFlag", "Realtime", "Encrypt",
                "ServerVer", "TimeZone"):
        assert key in options
    assert options["Delay"] == "10" and options["Realtime"] == "1"
    assert options["TransFlag"].startswith("TransData")
    old = parse_options(build_options("X", {}, delay=5, error_delay=30, trans_interval=1, realtime=False,
                                      timezone_hours="8", new_style=False))
    assert old["TransFlag"] == "1111000000" and old["Realtime"] == "0"
    assert parse_ok_count(b"OK: 12") == 12 and parse_ok_count(b"OK") == 0
    for bad in (b"ERROR", b"OK: x", b"OK 3"):
        with pytest.raises(AdmsError):
            parse_ok_count(bad)


def test_local_time_to_utc() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert local_to_utc(datetime(2026, 3, 2, 8, 0, 0), shanghai) == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    assert local_to_utc(datetime(2026, 7, 1, 12, 0), berlin) == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 1, 1, 12, 0), berlin) == datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    assert tz_hours(shanghai) == "8" and tz_hours(ZoneInfo("Asia/Kolkata")) == "5.5"
