"""Waiting for something another thread or process does, with a bound instead of a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(probe: Callable[[], bool], what: str = "the condition", seconds: float = 10.0) -> None:
    """Poll `probe` every 50 ms until it is true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not probe():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)
