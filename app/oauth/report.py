"""What the operator page shows of the last 24 hours, read from the audit log: tools, clients, security events.

Each tool's calls are counted per hour and per latency bucket in one grouped query, so the
page costs a few hundred rows however many calls there were; p50 and p95 are estimated
from the buckets as Prometheus's histogram_quantile does (linear within a bucket), on
SQLite as on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.clock import aware, utcnow
from app.extensions import db
from app.oauth.connected import names_of
from app.oauth.events import TOOL, ConnectionEvent, Event, as_event, newest_first

HOURS = 24
#: The row of the calls of names this server has no tool for.
OTHER_TOOLS = "(no such tool)"
#: Upper bounds of the latency buckets, in milliseconds; slower calls fall in one more, unbounded.
BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000)


@dataclass
class Hour:
    """One hour of one tool: its calls, the failed ones, and how many took each bucket's time."""

    calls: int = 0
    errors: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))

    @property
    def p50(self) -> float | None:
        return quantile(0.5, self.buckets)

    @property
    def p95(self) -> float | None:
        return quantile(0.95, self.buckets)


@dataclass
class ToolReport:
    """A tool's last HOURS hours, oldest first, and their sum."""

    name: str
    hours: list[Hour]
    total: Hour


@dataclass(frozen=True)
class ClientReport:
    """A client seen in the last HOURS hours: when last, its tool calls, its failures and the last of them."""

    client_id: str
    name: str | None
    last_at: datetime
    calls: int
    failures: int
    last_failure: Event | None


class _HourOf(FunctionElement):
    """Hours since the epoch of a timestamp column, as each database counts them."""

    type = Integer()
    inherit_cache = True


@compiles(_HourOf, "postgresql")
def _hour_of_postgresql(element: _HourOf, compiler, **kw) -> str:
    return f"CAST(floor(extract(epoch from {compiler.process(element.clauses, **kw)}) / 3600) AS INTEGER)"


@compiles(_HourOf, "sqlite")
def _hour_of_sqlite(element: _HourOf, compiler, **kw) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 3600"


def window(now: datetime | None = None) -> tuple[int, datetime]:
    """The first of the last HOURS whole hours (as hours since the epoch, and as a moment)."""
    first = int((now or utcnow()).timestamp()) // 3600 - (HOURS - 1)
    return first, datetime.fromtimestamp(first * 3600, UTC)


def tools(known: set[str], now: datetime | None = None) -> list[ToolReport]:
    """Every tool called in the last HOURS hours, the busiest first; calls of names not in `known` (a client may
    send any) are one row, OTHER_TOOLS."""
    first, since = window(now)
    hour = _HourOf(ConnectionEvent.at)
    named = case((ConnectionEvent.target.in_(sorted(known)), ConnectionEvent.target), else_=OTHER_TOOLS)
    bounds = [(ConnectionEvent.duration_ms <= bound, index) for index, bound in enumerate(BUCKETS_MS)]
    bucket = case((ConnectionEvent.duration_ms.is_(None), -1), *bounds, else_=len(BUCKETS_MS))
    rows = db.session.execute(
        select(named, hour, bucket, func.count(), _failures())
        .where(ConnectionEvent.step == TOOL, ConnectionEvent.at >= since)
        .group_by(named, hour, bucket)
    )
    found: dict[str, list[Hour]] = {}
    for name, at_hour, index, calls, errors in rows:
        if 0 <= at_hour - first < HOURS:  # a row written with a clock ahead of this one's waits for its hour
            hours = found.setdefault(name, [Hour() for _ in range(HOURS)])
            _add(hours[at_hour - first], index, calls, errors or 0)
    reports = [ToolReport(name, hours, _sum(hours)) for name, hours in found.items()]
    return sorted(reports, key=lambda report: (-report.total.calls, report.name))


def _failures():
    """How many of a group's events failed."""
    return func.sum(case((ConnectionEvent.ok.is_(False), 1), else_=0))


def _add(hour: Hour, bucket: int, calls: int, errors: int) -> None:
    hour.calls += calls
    hour.errors += errors
    if bucket >= 0:  # a call with no duration is counted, not timed
        hour.buckets[bucket] += calls


def _sum(hours: list[Hour]) -> Hour:
    total = Hour()
    for hour in hours:
        total.calls += hour.calls
        total.errors += hour.errors
        total.buckets = [mine + theirs for mine, theirs in zip(total.buckets, hour.buckets, strict=True)]
    return total


def quantile(q: float, buckets: list[int]) -> float | None:
    """The q-quantile of latencies counted in BUCKETS_MS's buckets (the last unbounded), linear within its
    bucket; the largest bound when it falls in the unbounded one; None without any."""
    rank = q * sum(buckets)
    if not rank:
        return None
    below = 0
    for index, count in enumerate(buckets[: len(BUCKETS_MS)]):
        if count and below + count >= rank:
            lower = BUCKETS_MS[index - 1] if index else 0
            return lower + (BUCKETS_MS[index] - lower) * (rank - below) / count
        below += count
    return float(BUCKETS_MS[-1])


def clients(now: datetime | None = None, limit: int = 50) -> list[ClientReport]:
    """The clients seen in the last HOURS hours, the latest first, with the last of their failures."""
    _first, since = window(now)
    seen = ConnectionEvent.client_id.is_not(None), ConnectionEvent.at >= since
    calls = func.sum(case((ConnectionEvent.step == TOOL, 1), else_=0))
    last = func.max(ConnectionEvent.at)
    rows = db.session.execute(
        select(ConnectionEvent.client_id, last, calls, _failures())
        .where(*seen)
        .group_by(ConnectionEvent.client_id)
        .order_by(last.desc())
        .limit(limit)
    ).all()
    ids = [row[0] for row in rows]
    failures = _last_failures(ids, since)
    names = names_of(ids)
    return [
        ClientReport(id_, names.get(id_), aware(at), calls or 0, failed or 0, failures.get(id_))
        for id_, at, calls, failed in rows
    ]


def _last_failures(client_ids: list[str], since: datetime) -> dict[str, Event]:
    """The newest failure of each of `client_ids` since `since`."""
    newest = (
        select(func.max(ConnectionEvent.id))
        .where(ConnectionEvent.client_id.in_(client_ids), ConnectionEvent.ok.is_(False), ConnectionEvent.at >= since)
        .group_by(ConnectionEvent.client_id)
    )
    rows = db.session.scalars(select(ConnectionEvent).where(ConnectionEvent.id.in_(newest)))
    return {row.client_id or "": as_event(row) for row in rows}


def security_events(limit: int = 30) -> list[Event]:
    """The newest events that are not tool calls, of any age (a quiet server's last ones are older than a day):
    sign-ins, consents, tokens, refusals, removals."""
    return newest_first(select(ConnectionEvent).where(ConnectionEvent.step != TOOL), limit)


def event_count(now: datetime | None = None) -> int:
    """Events of the last HOURS hours, tool calls included."""
    _first, since = window(now)
    return db.session.scalar(select(func.count()).where(ConnectionEvent.at >= since)) or 0
