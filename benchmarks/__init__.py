"""Benchmarks: this app's MCP endpoint against a bare-Flask floor and two peer servers.

`make bench` (or `.venv/bin/python benchmarks/run.py --help`) runs them; see README.md.
"""
