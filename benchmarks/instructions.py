"""Instructions per tools/call, counted by valgrind's callgrind: this app against the floor, whatever the machine does.

Timings in process move with the machine's load and clock (on the development machine the floor's
call took 75 µs one hour and 130 µs the next); the number of instructions a call runs does not. Each
target runs in a process of its own under callgrind, which counts only inside the measured loop:
the loop runs inside `functools.reduce`, a C function nothing else on the path calls
(`--toggle-collect`), after a warm-up. Skipped when valgrind is not installed.

Run as a script by `run`: `python -m benchmarks.instructions TARGET CALLS` with the app's settings and
`BENCH_TOKEN` in the environment.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.environment import ROOT
from benchmarks.protocol import FORMS

#: Calls counted per target, after WARM_UP uncounted ones (the first fill caches and import lazily).
CALLS = 300
WARM_UP = 200
TIMEOUT = 600
TOTALS = re.compile(r"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def available() -> bool:
    return shutil.which("valgrind") is not None


def run(settings: dict[str, str], token: str) -> dict[str, int]:
    """Instructions per tools/call: the app in both forms, and the floor (two targets at a time, one per core)."""
    targets = [f"app {form.version}" for form in FORMS] + ["floor"]
    inherited = {name: value for name, value in os.environ.items() if not name.startswith(("OTEL_", "GUNICORN_"))}
    environ = inherited | settings | {"BENCH_TOKEN": token}  # traces off, as in the app's own run
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = pool.map(lambda target: _count(target, environ), targets)
        return dict(zip(targets, counts, strict=True))


def _count(target: str, environ: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        callgrind = ["--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce"]
        measured = [sys.executable, "-m", "benchmarks.instructions", target, str(CALLS)]
        command = ["valgrind", *callgrind, f"--callgrind-out-file={out}", *measured]
        subprocess.run(command, cwd=ROOT, env=environ, check=True, capture_output=True, timeout=TIMEOUT)
        totals = TOTALS.search(out.read_text())
        if totals is None:
            raise RuntimeError(f"callgrind wrote no totals for {target}")
        return int(totals.group(1)) // CALLS


def _measured(target: str, calls: int) -> None:
    """In the process callgrind watches: warm up, then run `calls` calls inside `functools.reduce`."""
    from benchmarks.micro import _checked, environ_template, wsgi_call

    base_url = os.environ["PUBLIC_URL"]
    if target == "floor":
        from benchmarks.floor import app

        form, token = FORMS[0], None
    else:
        from app import create_app

        app = create_app()
        form, token = next(form for form in FORMS if target == f"app {form.version}"), os.environ["BENCH_TOKEN"]
    call = _checked(wsgi_call(app, environ_template(base_url, form, token), form.body()), target)
    for _ in range(WARM_UP):
        call()
    functools.reduce(lambda _, __: call(), range(calls), None)


if __name__ == "__main__":
    _measured(sys.argv[1], int(sys.argv[2]))
