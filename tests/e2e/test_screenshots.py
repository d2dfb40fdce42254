"""scripts/screenshots.py runs end to end: it starts the app, drives Chromium, and writes PNGs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import services
from tests.support.servers import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.live]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCRIPT = ROOT / "scripts" / "screenshots.py"


def expected_pages() -> tuple[str, ...]:
    """The pages the script says it shoots (its PAGES)."""
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PAGES


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE and header[12:16] == b"IHDR", f"{path.name} is not a PNG"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_the_script_writes_every_screenshot(tmp_path: Path) -> None:
    services.require(services.have_chromium(), f"Chromium at {services.CHROMIUM}")
    command = [sys.executable, str(SCRIPT), "--out", str(tmp_path)]
    expected = expected_pages()
    assert {"playground-phone", "playground-dark", "connect-dark"} <= set(expected)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(path.stem for path in tmp_path.glob("*.png")) == sorted(expected)
    for name in expected:
        width, height = png_size(tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert width == (780 if name == "playground-phone" else 1280), name  # the phone is 390 px at 2x
        assert height >= 800, name
