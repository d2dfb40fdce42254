"""Benchmark this app's MCP endpoint against a bare-Flask floor, FastMCP and the MCP SDK.

Usage: .venv/bin/python benchmarks/run.py [--rounds 5] [--seconds 5] [--servers app,floor,...]
(or `make bench BENCH_ARGS="--rounds 3"`). Everything runs on 127.0.0.1 and stops by itself;
see benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts benchmarks/ first on the path, where its modules would
# shadow top-level ones: put the repository root there instead.
sys.path[0] = str(Path(__file__).resolve().parents[1])


def _main() -> int:
    from benchmarks.runner import main

    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(_main())
