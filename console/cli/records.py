"""Subcommands that read the records: `events` and `audit verify|show`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from console.services.audit import verify_chain
from console.storage import queries
from console.storage.store import DB_NAME, open_reader, rows

from .common import UsageError, data_dir


def parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"not an ISO time: {text!r} (e.g. 2026-11-22T08:00 or 2026-11-22T08:00+08:00)"
        ) from None
    # A time without an offset means the workstation's local time, as an officer would type it.
    return moment if moment.tzinfo else moment.astimezone()


def cmd_events(args: argparse.Namespace) -> int:
    flt = queries.EventFilter(
        since=parse_time(args.since),
        until=parse_time(args.until),
        kind=args.kind,
        source=args.source,
        limit=args.limit,
    )
    conn = open_reader(data_dir(args) / DB_NAME)
    try:
        for event in queries.events(conn, flt):
            if args.json:
                print(json.dumps(event, ensure_ascii=False, sort_keys=True))
            else:
                local = datetime.fromisoformat(event["time"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
                point = event["point"] or "-"
                print(
                    f"{event['id']:>8} {local} {event['priority']:<11} {event['kind']:<18} "
                    f"{event['source']:<16} {point:<16} {event['summary']}"
                )
    finally:
        conn.close()
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    conn = open_reader(data_dir(args) / DB_NAME)
    try:
        if args.audit_command == "verify":
            report = verify_chain(conn)
            if report.ok:
                print(f"audit chain intact: {report.rows_checked} rows verified")
                return 0
            print(
                f"audit chain BROKEN at row {report.first_bad_id}: {report.reason} "
                f"({report.rows_checked} rows checked)",
                file=sys.stderr,
            )
            return 1
        for r in rows(
            conn,
            "SELECT id, time, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?",
            (args.limit,),
        ):
            print(json.dumps(r, ensure_ascii=False))
        return 0
    finally:
        conn.close()
