"""What the benchmark needs besides the app's venv: wrk, and a separate venv for the peer servers."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
PEERS_VENV = BENCH_DIR / ".venv-peers"
PEERS_REQUIREMENTS = BENCH_DIR / "requirements-peers.txt"
#: Holds the hash of the requirements last installed, so an edit reinstalls them.
PEERS_STAMP = PEERS_VENV / ".requirements.sha256"
INSTALL_TIMEOUT = 600


class SetupError(RuntimeError):
    """Something the benchmark needs is missing and could not be set up."""


def wrk_path() -> str:
    """Return the path of wrk, or say how to install it."""
    found = shutil.which("wrk")
    if found is None:
        raise SetupError("wrk is not installed: apt-get install wrk (Debian/Ubuntu), then run this again")
    return found


def peers_bin() -> Path:
    """Create or update benchmarks/.venv-peers (FastMCP, the MCP SDK, uvicorn) and return its bin folder."""
    bin_dir = PEERS_VENV / "bin"
    wanted = hashlib.sha256(PEERS_REQUIREMENTS.read_bytes()).hexdigest()
    if PEERS_STAMP.exists() and PEERS_STAMP.read_text().strip() == wanted and (bin_dir / "uvicorn").exists():
        return bin_dir
    if not (bin_dir / "python").exists():
        print(f"creating {PEERS_VENV.relative_to(ROOT)} for the peer servers ...", flush=True)
        _run([sys.executable, "-m", "venv", str(PEERS_VENV)])
    print(f"installing {PEERS_REQUIREMENTS.relative_to(ROOT)} into it ...", flush=True)
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, "-r", str(PEERS_REQUIREMENTS)])
    PEERS_STAMP.write_text(wanted + "\n")
    return bin_dir


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        raise SetupError(f"{' '.join(command)} took more than {INSTALL_TIMEOUT}s") from error
    if done.returncode != 0:
        raise SetupError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def peer_versions() -> dict[str, str]:
    """The pinned versions in requirements-peers.txt, by package name (extras dropped)."""
    pins = {}
    for line in PEERS_REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            pins[name.split("[", 1)[0].strip().lower()] = version.strip()
    return pins
