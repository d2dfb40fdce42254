"""Async test scenarios under a deadline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio


def run_within(seconds: float, scenario: Callable[[], Awaitable[None]]) -> None:
    """Run an async scenario under a deadline, so a hung stream fails the test instead of stalling it."""

    async def bounded() -> None:
        with anyio.fail_after(seconds):
            await scenario()

    anyio.run(bounded)
