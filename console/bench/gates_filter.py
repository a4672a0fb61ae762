"""Gate log filter latency on a large log: bulk-load synthetic gate rows, time a realistic mix of filters."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from console.bench.stats import percentile
from console.domain.gates import GateFilter, fold
from console.storage import gate_rows
from console.storage.store import Store, Tx, iso

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然子涵欣怡梓轩"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_INSERT_EVENT = (
    "INSERT INTO events (id, time, device_time, source, point, kind, state, priority, summary, payload, raw, "
    "dedup_key) VALUES (?,?,NULL,?,?,?,'info',9,?,'{}',x'',NULL)"
)
_BATCH = 50_000


@dataclass(frozen=True, slots=True)
class _Pools:
    gates: tuple[str, ...]
    campuses: dict[str, str]
    names: tuple[str, ...]
    cards: tuple[str, ...]
    employee_ids: tuple[str, ...]
    plates: tuple[str, ...]
    start: datetime
    end: datetime


def _pools(rnd: random.Random, now: datetime) -> _Pools:
    people = 20_000
    gates = tuple(f"gate-{n:02d}" for n in range(24))
    return _Pools(
        gates=gates,
        campuses={g: f"campus-{n % 3}" for n, g in enumerate(gates)},
        names=tuple(
            rnd.choice(_SURNAMES) + "".join(rnd.choice(_GIVEN) for _ in range(rnd.choice((1, 2))))
            for _ in range(people)
        ),
        cards=tuple(str(rnd.randrange(10**9, 4 * 10**9)) for _ in range(people)),
        employee_ids=tuple(f"E{n:06d}" for n in rnd.sample(range(1_000_000), people)),
        plates=tuple(
            rnd.choice(_PROVINCES) + rnd.choice("ABCDEFGHJK") + f"{rnd.randrange(100_000):05d}"
            for _ in range(5_000)
        ),
        start=now - timedelta(days=30),
        end=now,
    )


def load(store: Store, rows: int, seed: int) -> _Pools:
    """Append ``rows`` synthetic gate events (events + gate_events + text index + time blocks) in a few
    big writer jobs, bypassing ingest: a month at one busy campus group, 24 gates, 30 % vehicles.

    The secondary indexes of both tables are dropped for the load and rebuilt from their own stored SQL
    afterwards (one sort each instead of a million inserts): use a scratch data directory."""
    rnd = random.Random(seed)
    pools = _pools(rnd, datetime.now(UTC).replace(microsecond=0))
    last = store.submit(lambda tx: tx.conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])
    next_id = int(last.result()) + 1
    indexes = store.submit(_drop_indexes).result()
    try:
        for start in range(0, rows, _BATCH):
            count = min(_BATCH, rows - start)
            events, gates = _batch(rnd, pools, next_id + start, start, count, rows)
            # Not overlapped with generating the next batch: executemany re-takes the GIL for every row,
            # and a busy generator thread makes each re-take wait (measured 47 s against 30 s serial).
            store.submit(_writer(events, gates)).result()
    finally:
        store.submit(lambda tx: [tx.conn.execute(sql) for sql in indexes]).result()
    return pools


def _drop_indexes(tx: Tx) -> list[str]:
    found = tx.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'gate_events') "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in found:
        tx.conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _writer(events: list[tuple[Any, ...]], gates: list[tuple[Any, ...]]) -> Callable[[Tx], None]:
    def job(tx: Tx) -> None:
        tx.conn.executemany(_INSERT_EVENT, events)
        gate_rows.insert_rows_bulk(tx.conn, gates)

    return job


def _batch(
    rnd: random.Random, pools: _Pools, first_id: int, first_n: int, count: int, total: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    events: list[tuple[Any, ...]] = []
    gates: list[tuple[Any, ...]] = []
    people, plates, ngates = len(pools.names), len(pools.plates), len(pools.gates)
    start = pools.start.timestamp()
    step = (pools.end - pools.start).total_seconds() / total
    rand = rnd.random
    for k in range(count):
        event_id = first_id + k
        # Arrival order with a little jitter: ids follow time closely but not exactly, as with real drivers.
        moment = start + step * (first_n + k) + 4.0 * rand() - 2.0
        whole = int(moment)
        micros = int((moment - whole) * 1e6)
        at = f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(whole))}.{micros:06d}+00:00"
        gate = pools.gates[int(rand() * ngates)]
        r = rand()
        result, kind = _RESULTS[0 if r < 0.9 else 1 if r < 0.99 else 2]
        direction = "in" if rand() < 0.5 else "out"
        if rand() < 0.3:
            plate = pools.plates[int(rand() * plates)]
            name = card = None
            subject, subject_kind, method = plate, "vehicle", "plate"
            pictures = f'["files/plate/{at[:10]}/{event_id:x}.jpg"]'
            summary = f"车辆 {plate} {direction}"
        else:
            p = int(rand() * people)
            name, card, subject = pools.names[p], pools.cards[p], pools.employee_ids[p]
            plate, subject_kind, method, pictures = None, "person", "card", "[]"
            summary = f"{name} 刷卡 {direction}"
        events.append((event_id, at, gate, None, kind, summary))
        gates.append(
            (
                event_id, at, None, pools.campuses[gate], gate, None, "1", kind, result, direction,
                subject_kind, subject, name, card, plate, method, "" if result == "granted" else "no_right",
                None, pictures, summary,
            )
        )
    return events, gates


_RESULTS = (("granted", "gate.pass"), ("denied", "gate.denied"), ("alarm", "gate.alarm.tailgating"))


def _mix(rnd: random.Random, pools: _Pools, queries: int) -> list[tuple[str, GateFilter, int]]:
    """(label, filter, pages): pages > 1 is a scroll that follows before_id of each page's last row."""
    out: list[tuple[str, GateFilter, int]] = []
    span = (pools.end - pools.start).total_seconds()

    def moment() -> datetime:
        return pools.start + timedelta(seconds=rnd.uniform(0, span))

    def gate() -> str:
        return rnd.choice(pools.gates)

    def card_fragment() -> str:
        return _fragment(rnd, rnd.choice(pools.cards), 3, 3)

    makers: list[tuple[str, float, Callable[[], tuple[GateFilter, int]]]] = [
        ("gate", 0.10, lambda: (GateFilter(gate=gate()), 1)),
        ("denied", 0.06, lambda: (GateFilter(result="denied"), 1)),
        ("gate+denied", 0.08, lambda: (GateFilter(gate=gate(), result="denied"), 1)),
        ("gate+alarm+dir", 0.04, lambda: (GateFilter(gate=gate(), result="alarm", direction="in"), 1)),
        ("campus+dir", 0.06, lambda: (GateFilter(campus="campus-1", direction=rnd.choice(("in", "out"))), 1)),
        ("hour", 0.08, lambda: _window(moment(), timedelta(hours=1))),
        ("day+gate", 0.06, lambda: _window(moment(), timedelta(days=1), gate=gate())),
        ("day+denied", 0.04, lambda: _window(moment(), timedelta(days=1), result="denied")),
        ("plate-frag", 0.10, lambda: (GateFilter(text=_fragment(rnd, rnd.choice(pools.plates), 3, 5)), 1)),
        ("card-frag", 0.08, lambda: (GateFilter(text=_fragment(rnd, rnd.choice(pools.cards), 4, 6)), 1)),
        ("name", 0.08, lambda: (GateFilter(text=rnd.choice(pools.names)), 1)),
        ("plate-prefix", 0.02, lambda: (GateFilter(text=rnd.choice(pools.plates)[:2]), 1)),
        ("text+gate", 0.04, lambda: (GateFilter(text=card_fragment(), gate=gate()), 1)),
        ("text+alarm", 0.02, lambda: (GateFilter(text=card_fragment(), result="alarm"), 1)),
        ("scroll", 0.14, lambda: (GateFilter(gate=rnd.choice((None, gate()))), 5)),
    ]
    weights = [w for _, w, _ in makers]
    while sum(p for _, _, p in out) < queries:
        label, _, make = rnd.choices(makers, weights)[0]
        flt, pages = make()
        out.append((label, flt, pages))
    return out


def _window(at: datetime, width: timedelta, **kw: Any) -> tuple[GateFilter, int]:
    return GateFilter(since=at, until=at + width, **kw), 1


def _fragment(rnd: random.Random, value: str, low: int, high: int) -> str:
    size = min(len(value), rnd.randint(low, high))
    at = rnd.randrange(len(value) - size + 1)
    return value[at : at + size]


def time_queries(
    conn: sqlite3.Connection, mix: list[tuple[str, GateFilter, int]], queries: int
) -> dict[str, Any]:
    times: list[float] = []
    by_label: dict[str, list[float]] = {}
    for label, flt, pages in mix:
        current = flt
        for _ in range(pages):
            if len(times) >= queries:
                break
            t0 = time.perf_counter()
            rows = gate_rows.query(conn, current)
            ms = (time.perf_counter() - t0) * 1000
            times.append(ms)
            by_label.setdefault(label, []).append(ms)
            if len(rows) < current.limit:
                break
            current = replace(current, before_id=rows[-1].id)
    times.sort()
    return {
        "queries": len(times),
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "p99_ms": percentile(times, 99),
        "max_ms": max(times),
        "by_kind_max_ms": {k: round(max(v), 2) for k, v in sorted(by_label.items())},
    }


def like_reference(conn: sqlite3.Connection, texts: list[str]) -> float:
    """The same text searches as a plain LIKE '%x%' scan (what the log would do without the index)."""
    times = []
    for text in texts:
        pattern = "%" + text.replace("%", "").replace("_", "") + "%"
        t0 = time.perf_counter()
        conn.execute(
            "SELECT id FROM gate_events WHERE name LIKE ?1 OR card LIKE ?1 OR plate LIKE ?1 "
            "OR subject_id LIKE ?1 ORDER BY id DESC LIMIT 200",
            (pattern,),
        ).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(sorted(times), 50)


def reference_ids(conn: sqlite3.Connection, flt: GateFilter) -> list[int]:
    """The filter as a plain full scan, no index tricks: what ``gate_rows.query`` must agree with."""
    where: list[str] = []
    params: list[Any] = []
    for column in ("campus", "gate", "direction", "result"):
        if getattr(flt, column) is not None:
            where.append(f"{column} = ?")
            params.append(getattr(flt, column))
    bounds = (("time", ">=", flt.since), ("time", "<", flt.until), ("id", "<", flt.before_id))
    for column, op, value in bounds:
        if value is not None:
            where.append(f"+{column} {op} ?")
            params.append(iso(value) if isinstance(value, datetime) else value)
    needle = fold((flt.text or "").strip())
    if needle:
        fields = ("name", "card", "plate", "subject_id")
        if len(needle) < 3:
            where.append("(" + " OR ".join(f"substr(lower({f}), 1, {len(needle)}) = ?" for f in fields) + ")")
        else:
            where.append("(" + " OR ".join(f"instr(lower({f}), ?) > 0" for f in fields) + ")")
        params.extend([needle] * len(fields))
    sql = f"SELECT id FROM gate_events WHERE {' AND '.join(where) or '1'} ORDER BY id DESC LIMIT ?"
    return [r[0] for r in conn.execute(sql, [*params, flt.limit])]


def measure_filter_latency(
    data_dir_or_store: Path | str | Store,
    rows: int = 1_000_000,
    queries: int = 200,
    seed: int = 1,
    verify: int = 6,
) -> dict[str, Any]:
    """Load ``rows`` gate rows, then time ``queries`` filter queries (ms percentiles) on a read connection,
    with the LIKE-scan reference for the text queries. ``verify`` filters of the mix are also answered by
    a full scan and compared (``mismatches``). A Store passed in is used and left open."""
    own = not isinstance(data_dir_or_store, Store)
    store = Store(Path(data_dir_or_store)).open() if own else data_dir_or_store
    assert isinstance(store, Store)
    try:
        t0 = time.perf_counter()
        pools = load(store, rows, seed)
        store.submit(lambda tx: tx.conn.execute("ANALYZE")).result()
        load_s = time.perf_counter() - t0
        rnd = random.Random(seed + 1)
        mix = _mix(rnd, pools, queries)
        conn = store.reader()
        try:
            gate_rows.query(conn, GateFilter())  # warm the schema cache, as a running console would have
            result = time_queries(conn, mix, queries)
            texts = [flt.text for label, flt, _ in mix if flt.text and len(flt.text) >= 3][:7]
            result["like_scan_p50_ms"] = like_reference(conn, texts)
            sample = [flt for _, flt, _ in mix if flt.text][: verify // 2]
            sample += [flt for _, flt, _ in mix if not flt.text][: verify - len(sample)]
            result["verified"] = len(sample)
            result["mismatches"] = [
                repr(flt)
                for flt in sample
                if [r.id for r in gate_rows.query(conn, flt)] != reference_ids(conn, flt)
            ]
        finally:
            conn.close()
    finally:
        if own:
            store.close()
    return {"rows": rows, "load_s": round(load_s, 1), **result}


def main() -> None:  # pragma: no cover - manual run: python -m console.bench.gates_filter DATA_DIR [ROWS]
    import sys

    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    print(json.dumps(measure_filter_latency(Path(sys.argv[1]), rows), indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
