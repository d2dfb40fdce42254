"""The benchmark's course: start the servers, verify them, drive them with wrk in interleaved rounds, report."""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import environment, instructions, micro, proc, protocol, report, stores, streams, wrk
from benchmarks.environment import BENCH_DIR, SetupError
from benchmarks.protocol import FORMS, Form
from benchmarks.report import Run, Series
from benchmarks.servers import Server, StartError, app_server, floor_server, peer_server
from benchmarks.tokens import FlowError, JwtIssuer

#: Run only when its stores are named (benchmarks/stores.py).
SCALEOUT = "app-scaleout"
SERVER_KEYS = (
    "app", "app-production", SCALEOUT, "app-gthread", "app-sync", "floor", "floor-gthread", "floor-gevent",
    "fastmcp", "sdk",
)  # fmt: skip
#: This app's servers by key: their worker class and label.
APP_SERVERS: dict[str, tuple[str, str]] = {
    "app": ("gevent", "this app (gevent, the default)"),
    "app-production": ("gevent", "this app, production settings"),
    SCALEOUT: ("gevent", "this app, scale-out (PostgreSQL, Redis)"),
    "app-gthread": ("gthread", "this app (gthread, 4 threads)"),
    "app-sync": ("sync", "this app (sync)"),
}
#: This app's servers the open-streams probe runs on (sync workers hold one request at a time: no streams).
PROBED = ("app", "app-gthread")
#: The floors by key: their worker class and label.
FLOORS = {
    "floor": ("sync", "floor: bare Flask (sync)"),
    "floor-gthread": ("gthread", "floor: bare Flask (gthread, 4 threads)"),
    "floor-gevent": ("gevent", "floor: bare Flask (gevent)"),
}
PEER_KEYS = ("fastmcp", "sdk")
#: Seconds allowed for everything but the wrk runs: starting servers, the OAuth flow, the microbenchmarks.
OVERHEAD = 90.0
#: Seconds each wrk run costs beyond its duration (start-up, connecting, the /proc snapshots).
PER_RUN = 0.5
#: Seconds the open-streams probe may take on one server (a gthread one waits for its threads to free).
STREAMS_PROBE = 240
#: Seconds the instruction counts take (three processes under callgrind, two at a time).
INSTRUCTIONS = 150


class VerificationError(RuntimeError):
    """A server did not answer the benchmark's request with add(1, 2) = 3."""


@dataclass
class Bench:
    """The state of one benchmark: its options, its servers and what was measured."""

    args: argparse.Namespace
    wrk: str
    servers: list[Server] = field(default_factory=list)
    series: dict[tuple[str, str], Series] = field(default_factory=dict)
    scripts: dict[tuple[str, str], Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    app_settings: dict[str, str] | None = None
    app_token: str | None = None

    def note(self, text: str) -> None:
        print(f"NOTE: {text}", flush=True)
        self.notes.append(text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of every server (default 5)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of unrecorded load per server and form")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    default = [key for key in SERVER_KEYS if key != SCALEOUT or stores.configured()]
    parser.add_argument("--servers", default=",".join(default), help=f"subset of {','.join(SERVER_KEYS)}")
    parser.add_argument("--budget", type=int, default=1500, help="refuse plans longer than this, in s (default 1500)")
    parser.add_argument("--no-micro", action="store_true", help="skip the in-process microbenchmarks")
    parser.add_argument("--no-streams", action="store_true", help="skip the open-streams probe")
    parser.add_argument("--no-instructions", action="store_true", help="skip the instruction counts (callgrind)")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "latest.json")
    args = parser.parse_args(argv)
    args.servers = [key.strip() for key in args.servers.split(",") if key.strip()]
    unknown = set(args.servers) - set(SERVER_KEYS)
    if unknown or not args.servers:
        parser.error(f"--servers takes a subset of {','.join(SERVER_KEYS)}")
    if SCALEOUT in args.servers and not stores.configured():
        parser.error(f"{SCALEOUT} needs {stores.POSTGRES_VARIABLE} and {stores.REDIS_VARIABLE}")
    if min(args.rounds, args.seconds, args.connections, args.threads) < 1 or args.warmup < 0:
        parser.error("--rounds, --seconds, --connections and --threads must be at least 1")
    return args


def planned_seconds(args: argparse.Namespace) -> float:
    """How long the plan takes: every server in every form, warm-up and rounds, plus the fixed overhead."""
    runs = len(args.servers) * len(FORMS)
    probes = 0 if args.no_streams else len(set(args.servers) & set(PROBED)) * STREAMS_PROBE
    counts = INSTRUCTIONS if wants_instructions(args) else 0
    return runs * (args.warmup + PER_RUN + args.rounds * (args.seconds + PER_RUN)) + probes + counts + OVERHEAD


def wants_instructions(args: argparse.Namespace) -> bool:
    return not args.no_micro and not args.no_instructions and "app" in args.servers and instructions.available()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        planned = planned_seconds(args)
        if planned > args.budget:
            raise SetupError(f"this plan takes about {planned:.0f}s, over --budget {args.budget}s: fewer rounds?")
        bench = Bench(args, environment.wrk_path())
        print(f"plan: about {planned / 60:.1f} min; load average {proc.load_average()}", flush=True)
        document = benchmark(bench, time.monotonic() + args.budget)
    except (SetupError, StartError, FlowError, VerificationError, wrk.WrkError) as error:
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        return 1
    report.write_json(args.output, document)
    print(f"\nresults written to {args.output}")
    return 0


def benchmark(bench: Bench, deadline: float) -> dict[str, Any]:
    """Start, verify and measure every server, then run the microbenchmarks; return the results document."""
    peers_bin = environment.peers_bin() if set(bench.args.servers) & set(PEER_KEYS) else None
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = proc.load_average()
    with tempfile.TemporaryDirectory(prefix="mcp-bench-") as tmp, ExitStack() as stack:
        start_servers(bench, stack, Path(tmp), peers_bin)
        verify(bench, Path(tmp))
        measure(bench, deadline)
        peaks = {server.key: (server.peak_rss_mb(), server.pss_mb()) for server in bench.servers}
        stream_results = probe_streams(bench)
        stack.close()  # stop the servers before the in-process measurements
        counted = run_instructions(bench)  # first: the traced microbenchmark sets OTEL_* in this process
        micro_results = run_micro(bench)
    document = results(bench, peaks, micro_results)
    if counted:
        print("\n" + report.instructions_table(counted))
    document["instructions_per_call"] = counted
    document["streams"] = stream_results
    document["environment"] |= {"started": started, "load_average_before": load_before}
    return document


def start_servers(bench: Bench, stack: ExitStack, tmp: Path, peers_bin: Path | None) -> None:
    """Start the selected servers one after the other (each gets its token as it starts)."""
    versions = environment.peer_versions()
    issuer = JwtIssuer()
    for key in bench.args.servers:
        print(f"starting {key} ...", flush=True)
        if key in APP_SERVERS:
            worker_class, label = APP_SERVERS[key]
            production = key in ("app-production", SCALEOUT)
            shared = stack.enter_context(stores.shared_stores()) if key == SCALEOUT else None
            server, settings = stack.enter_context(app_server(key, label, tmp, worker_class, production, shared))
            if key == "app" or (bench.app_settings is None and key != SCALEOUT):  # its schema goes with it
                bench.app_settings, bench.app_token = settings, server.token
        elif key in FLOORS:
            worker_class, label = FLOORS[key]
            server = stack.enter_context(floor_server(key, label, tmp, worker_class))
        else:
            assert peers_bin is not None
            module, label = ("peer_fastmcp", f"FastMCP {versions['fastmcp']}")
            if key == "sdk":
                module, label = ("peer_sdk", f"MCP SDK {versions['mcp']} (MCPServer)")
            server = stack.enter_context(peer_server(key, label, module, tmp, peers_bin, issuer))
        bench.servers.append(server)


def verify(bench: Bench, tmp: Path) -> None:
    """Check every server answers each form with 3; write its wrk script. A peer may lack 2026-07-28."""
    for server in bench.servers:
        for form in FORMS:
            series = bench.series[(server.key, form.version)] = Series(server.key, server.label, form.version)
            problem = protocol.check(server.url, form, server.token)
            if problem and server.key in PEER_KEYS and form.modern:
                series.unsupported = problem
                bench.note(f"{server.label} does not take the {form.version} request: {problem}")
            elif problem:
                raise VerificationError(f"{server.label}, {form.label}: {problem}\n--- its log:\n{server.log_tail()}")
            else:
                script = tmp / f"{server.key}-{form.version}.lua"
                script.write_text(wrk.lua_script(form.body(), form.headers(server.token)))
                bench.scripts[(server.key, form.version)] = script
    print("every server answered add(1, 2) = 3", flush=True)


def measure(bench: Bench, deadline: float) -> None:
    """Warm every server up, then run the rounds: in each, every form, and in each form every server in turn."""
    args = bench.args
    if args.warmup:
        for (key, _), script in bench.scripts.items():
            wrk.run(bench.wrk, _server(bench, key).url, script, args.warmup, args.connections, args.threads)
    for number in range(1, args.rounds + 1):
        for form in FORMS:
            done = []
            for server in bench.servers:
                if (server.key, form.version) not in bench.scripts:
                    continue
                if time.monotonic() + args.seconds + PER_RUN > deadline:
                    bench.note(f"the --budget ran out in round {number}: later runs were not made")
                    return
                run = measure_one(bench, server, form, number)
                done.append(f"{server.key} {run.wrk.rps:.0f}")
            print(f"round {number}/{args.rounds} [{form.version}] req/s: {' | '.join(done)}", flush=True)


def measure_one(bench: Bench, server: Server, form: Form, number: int) -> Run:
    """One wrk run, with the server tree's CPU time over it."""
    args = bench.args
    before = server.cpu_seconds()
    result = wrk.run(bench.wrk, server.url, bench.scripts[(server.key, form.version)], args.seconds,
                     args.connections, args.threads)  # fmt: skip
    after = server.cpu_seconds()
    if not server.alive():
        raise StartError(f"{server.label} stopped during the benchmark:\n{server.log_tail()}")
    if set(before) != set(after):
        bench.note(f"{server.label}: its processes changed during round {number} (a worker restarted?)")
    cpu = sum(after[pid] - before[pid] for pid in after if pid in before)
    if result.non_2xx or result.socket_errors:
        bench.note(f"{server.label}, {form.version}, round {number}: {result.non_2xx} non-2xx answers, "
                   f"{result.socket_errors} socket errors")  # fmt: skip
    run = Run(number, result, cpu * 1000 / result.requests if result.requests else None)
    bench.series[(server.key, form.version)].runs.append(run)
    return run


def probe_streams(bench: Bench) -> dict[str, Any]:
    """The open-streams probe on each of this app's servers, the default (gevent) first; print its tables."""
    found: dict[str, Any] = {}
    if bench.args.no_streams:
        return found
    for server in bench.servers:
        if server.key in PROBED:
            print(f"open-streams probe on {server.key} ...", flush=True)
            levels = streams.probe(server)
            found[server.key] = [level.as_dict() for level in levels]
            bench.tables.append(streams.table(server.label, levels))
    return found


def run_micro(bench: Bench) -> dict[str, dict[str, float]]:
    if bench.args.no_micro or bench.app_settings is None or bench.app_token is None:
        return {}
    print("in-process microbenchmarks ...", flush=True)
    return micro.run(bench.app_settings, bench.app_token)


def run_instructions(bench: Bench) -> dict[str, int]:
    if not wants_instructions(bench.args) or bench.app_settings is None or bench.app_token is None:
        return {}
    print("instruction counts (callgrind) ...", flush=True)
    return instructions.run(bench.app_settings, bench.app_token)


def results(
    bench: Bench, peaks: dict[str, tuple[float | None, float | None]], micro_results: dict[str, Any]
) -> dict[str, Any]:  # noqa: E501
    """Print the tables and return everything as one JSON-ready document."""
    args = bench.args
    labels = {server.key: server.label for server in bench.servers}
    forms: dict[str, Any] = {}
    for form in FORMS:
        summaries = {key: bench.series[(key, form.version)].summary(*peaks[key]) for key in labels}
        title = f"{form.label}: median of {args.rounds} x {args.seconds}s, {args.connections} connections, " \
                f"{args.threads} wrk threads"  # fmt: skip
        print("\n" + report.form_table(title, labels, summaries))
        runs = {key: [run.as_dict() for run in bench.series[(key, form.version)].runs] for key in labels}
        forms[form.version] = {"summary": summaries, "ratios": report.ratios(summaries), "runs": runs}
    if micro_results:
        print("\n" + report.micro_table(micro_results))
    for text in bench.tables:
        print("\n" + text)
    for text in bench.notes:
        print(f"NOTE: {text}")
    return {
        "options": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
        "environment": {
            "python": platform.python_version(),
            "cpus": _cpus(),
            "load_average_after": proc.load_average(),
            "peer_versions": environment.peer_versions(),
        },
        "servers": {server.key: {"label": server.label, "url": server.url, **server.info} for server in bench.servers},
        "forms": forms,
        "micro_us": micro_results,
        "notes": bench.notes,
    }


def _server(bench: Bench, key: str) -> Server:
    return next(server for server in bench.servers if server.key == key)


def _cpus() -> int | None:
    import os

    return os.cpu_count()
