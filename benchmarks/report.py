"""Summarise the runs (medians per server and protocol form), print the tables and write the JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.wrk import WrkResult

#: This app's variants, compared with each reference server.
APP_KEYS = ("app", "app-production", "app-scaleout", "app-gthread", "app-sync")
REFERENCE_KEYS = ("floor", "floor-gthread", "floor-gevent", "fastmcp", "sdk")
METRICS = ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request", "peak_rss_mb")


@dataclass(frozen=True)
class Run:
    """One wrk run of one server in one protocol form."""

    round: int
    wrk: WrkResult
    cpu_ms_per_request: float | None

    def as_dict(self) -> dict[str, Any]:
        cpu = None if self.cpu_ms_per_request is None else round(self.cpu_ms_per_request, 3)
        return {"round": self.round, **self.wrk.as_dict(), "cpu_ms_per_request": cpu}


@dataclass
class Series:
    """Every run of one server in one protocol form, or why that form could not be measured."""

    server: str
    label: str
    form: str
    unsupported: str | None = None
    runs: list[Run] = field(default_factory=list)

    def summary(self, peak_rss_mb: float | None, pss_mb: float | None = None) -> dict[str, Any]:
        """Medians over the rounds, the worker's peak RSS, and every error wrk saw."""
        if not self.runs:
            return {"unsupported": self.unsupported} if self.unsupported else {}
        cpu = [run.cpu_ms_per_request for run in self.runs if run.cpu_ms_per_request is not None]
        rps = [run.wrk.rps for run in self.runs]
        return {
            "rps": _median(rps),
            "rps_range": [round(min(rps)), round(max(rps))],
            "p50_ms": _median(run.wrk.p50_ms for run in self.runs),
            "p99_ms": _median(run.wrk.p99_ms for run in self.runs),
            "cpu_ms_per_request": _median(cpu) if cpu else None,
            "peak_rss_mb": None if peak_rss_mb is None else round(peak_rss_mb, 1),
            "pss_mb": None if pss_mb is None else round(pss_mb, 1),
            "errors": sum(run.wrk.non_2xx + run.wrk.socket_errors for run in self.runs),
            "rounds": len(self.runs),
        }


def _median(values: Iterable[float]) -> float:
    return round(statistics.median(list(values)), 3)


def ratios(summaries: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """This app / each reference, metric by metric (req/s above 1 is faster; the others above 1 are worse)."""
    found = {}
    for app in APP_KEYS:
        for reference in REFERENCE_KEYS:
            mine, theirs = summaries.get(app, {}), summaries.get(reference, {})
            if "rps" in mine and (reference in summaries):
                found[f"{app} / {reference}"] = {metric: _ratio(mine, theirs, metric) for metric in METRICS}
    return found


def _ratio(mine: dict[str, Any], theirs: dict[str, Any], metric: str) -> float | None:
    if mine.get(metric) is None or not theirs.get(metric):
        return None
    return round(mine[metric] / theirs[metric], 2)


def _number(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def form_table(title: str, labels: dict[str, str], summaries: dict[str, dict[str, Any]]) -> str:
    """The table of one protocol form: one line per server, then the ratios of this app to the others."""
    width = max(map(len, labels.values())) + 2
    lines = [f"== {title} ==", f"{'server':<{width}}{'req/s':>9}{'(range)':>12}{'p50 ms':>9}{'p99 ms':>9}"]
    lines[-1] += f"{'p99/p50':>9}{'CPU ms/req':>12}"
    lines[-1] += f"{'RSS MB/worker':>15}{'PSS MB/worker':>15}{'errors':>8}"
    for key, label in labels.items():
        row = summaries.get(key, {})
        if "rps" not in row:
            lines.append(f"{label:<{width}}  not measured: {row.get('unsupported', 'not run')}")
            continue
        spread = "({}-{})".format(*row["rps_range"])
        lines.append(
            f"{label:<{width}}{row['rps']:>9.0f}{spread:>12}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
            f"{_number(row['p99_ms'] / row['p50_ms'] if row['p50_ms'] else None, 1):>9}"
            f"{_number(row['cpu_ms_per_request'], 3):>12}{_number(row['peak_rss_mb'], 1):>15}"
            f"{_number(row.get('pss_mb'), 1):>15}{row['errors']:>8}"
        )
    lines += _overheads(width, summaries)
    table = ratios(summaries)
    if table:
        heading = f"{'ratios (this app / other)':<{width}}{'req/s':>9}{'':>12}{'p50':>9}{'p99':>9}"
        lines.append(heading + f"{'CPU/req':>12}{'RSS':>15}")
        for name, values in table.items():
            cells = [_number(values[metric], 2) for metric in METRICS]
            lines.append(f"{name:<{width}}{cells[0]:>9}{'':>12}{cells[1]:>9}{cells[2]:>9}{cells[3]:>12}{cells[4]:>15}")
    return "\n".join(lines)


def _overheads(width: int, summaries: dict[str, dict[str, Any]]) -> list[str]:
    """What each variant of this app costs per request over the bare Flask floor of its worker class, in µs of
    server CPU: the goal, as a figure every run shows."""
    lines = []
    pairs = (
        ("app", "floor-gevent"), ("app-production", "floor-gevent"), ("app-scaleout", "floor-gevent"),
        ("app-gthread", "floor-gthread"),
    )  # fmt: skip
    for app, floor in (*pairs, ("app-sync", "floor")):
        floor = floor if _cpu(summaries, floor) is not None else "floor"  # else the sync floor, named as such
        mine, theirs = _cpu(summaries, app), _cpu(summaries, floor)
        if mine is not None and theirs is not None:
            lines.append(f"{f'{app} - {floor}, CPU µs/request':<{width}}{(mine - theirs) * 1000:>9.0f}")
    return lines


def _cpu(summaries: dict[str, dict[str, Any]], key: str) -> float | None:
    return summaries.get(key, {}).get("cpu_ms_per_request")


def micro_table(results: dict[str, dict[str, float]]) -> str:
    """The in-process microbenchmarks, in µs per call."""
    width = max(map(len, results)) + 2
    title = "== in-process (timeit; µs per call: median and best of 5 loops) =="
    lines = [title, f"{'':<{width}}{'median':>9}{'best':>9}"]
    lines += [f"{name:<{width}}{value['median_us']:>9.1f}{value['min_us']:>9.1f}" for name, value in results.items()]
    floor = results.get("tools/call via WSGI, floor")
    for form in ("2025-11-25", "2026-07-28"):
        app = results.get(f"tools/call via WSGI, app, {form}")
        if app and floor:  # best of the loops: the least disturbed by the rest of the machine
            ratio = app["min_us"] / floor["min_us"]
            lines.append(f"{f'tools/call app / floor ({form}), best':<{width}}{'':>9}{ratio:>9.2f}")
            overhead = app["min_us"] - floor["min_us"]
            lines.append(f"{f'tools/call app - floor ({form}), µs, best':<{width}}{'':>9}{overhead:>9.1f}")
    plain, observed = (
        results.get(f"tools/call via WSGI, app{kind}, 2026-07-28") for kind in ("", " traced and counted")
    )
    if plain and observed:
        cost = observed["min_us"] - plain["min_us"]
        lines.append(f"{'traces and metrics on, cost per call (µs), best':<{width}}{'':>9}{cost:>9.1f}")
    return "\n".join(lines)


def instructions_table(counted: dict[str, int]) -> str:
    """Instructions per tools/call (callgrind), and the app's ratio to the floor: the same on a busy machine."""
    lines = ["== instructions per tools/call (callgrind; the machine's load does not change them) =="]
    lines += [f"{target:<40}{count:>12,}" for target, count in counted.items()]
    floor = counted.get("floor")
    for target, count in counted.items():
        if floor and target != "floor":
            lines.append(f"{f'{target} / floor':<40}{count / floor:>12.2f}")
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
