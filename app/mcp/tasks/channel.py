"""A task's way to its client: its questions go through the store (its `inputRequests`, answered with
`tasks/update` on any instance) until the task expires, and it looks in the store for `tasks/cancel`.

A store failure here fails the task (-32603), rather than reading as an error of the tool.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from app.auth.principal import Principal
from app.mcp.errors import INTERNAL_ERROR, Cancelled, ProtocolError
from app.mcp.server.channel import Channel, release_connection
from app.mcp.specs import ToolSpec
from app.mcp.tasks import store

log = logging.getLogger(__name__)

#: Seconds between looks at the store while a task waits for answers: from the first to the last, growing.
ANSWER_POLL = (0.1, 1.0)
#: Seconds between looks for a cancel while a task runs.
CANCEL_POLL = 0.5
STORE_FAILED = ProtocolError(INTERNAL_ERROR, "The task's record could not be kept: start it again.")
UNANSWERED = ProtocolError(INTERNAL_ERROR, "The questions of this task were not answered before it expired.")


@dataclass
class Job:
    """One task to run: its record, the tool and its arguments, and what the call that started it carried."""

    app: Flask
    record: dict[str, Any]
    spec: ToolSpec
    arguments: dict[str, Any]
    principal: Principal
    capabilities: dict[str, Any]
    #: Answers to the tool's `ask_first` questions, given on the call before the task started.
    answered: dict[str, Any] = field(default_factory=dict)
    #: The public URL of the request that started it (app.urls), for the links the tool makes.
    base_url: str = ""

    @property
    def task_id(self) -> str:
        return self.record["taskId"]


class TaskChannel(Channel):
    """A task's way to its client: questions through the store, cancellation from the store or a shutdown."""

    def __init__(self, job: Job, stopping: threading.Event) -> None:
        super().__init__(streaming=False)
        self.job, self.stopping = job, stopping
        self.asked: set[str] = set(job.answered)  # keys answered before the task are used already
        self._cancel_seen_at = 0.0

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Answer from the answers given before the task; ask the rest through `inputRequests`, and wait for them
        until the task expires."""
        answers = {key: self.job.answered.pop(key) for key in list(requests) if key in self.job.answered}
        keys = {self._fresh_key(key): key for key in requests if key not in answers}
        waiting = {wire: requests[key] for wire, key in keys.items()}
        if waiting:
            self._save(status="input_required", inputRequests=waiting)
            release_connection()
        pause = ANSWER_POLL[0]
        while waiting:
            time.sleep(pause)
            pause = min(pause * 1.5, ANSWER_POLL[1])
            if self.is_cancelled():
                raise Cancelled()
            if time.time() >= self.job.record["expires"]:
                raise UNANSWERED
            got = self._answers_to(waiting)
            if got:
                waiting = {wire: request for wire, request in waiting.items() if wire not in got}
                answers |= {keys[wire]: answer for wire, answer in got.items()}
                self._save(status="input_required" if waiting else "working", inputRequests=waiting)
                self._forget(got)
        return answers

    def is_cancelled(self) -> bool:
        """Whether `tasks/cancel` came (looked up at most every CANCEL_POLL seconds) or the process is stopping."""
        if self.cancel_event.is_set() or self.stopping.is_set():
            return True
        if time.monotonic() - self._cancel_seen_at >= CANCEL_POLL:
            self._cancel_seen_at = time.monotonic()
            try:
                if store.cancel_requested(self.job.task_id):
                    self.cancel_event.set()
            except Exception as error:  # the store is away: the next look tries again
                log.warning("task %s: the cancel flag could not be read: %s", self.job.task_id, type(error).__name__)
        return self.cancel_event.is_set()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Progress and log messages have no way to a task's client: dropped."""

    def _fresh_key(self, key: str) -> str:
        """A key for a question never used before in this task (the extension asks keys to be unique)."""
        wire, number = key, 1
        while wire in self.asked:
            number += 1
            wire = f"{key}-{number}"
        self.asked.add(wire)
        return wire

    def _answers_to(self, waiting: dict[str, Any]) -> dict[str, Any]:
        try:
            return {wire: found for wire in waiting if (found := store.take_answer(self.job.task_id, wire))}
        except Exception as error:
            raise _store_failed(self.job, error) from None

    def _forget(self, answered: dict[str, Any]) -> None:
        try:
            for wire in answered:
                store.forget_answer(self.job.task_id, wire)
        except Exception as error:
            raise _store_failed(self.job, error) from None

    def _save(self, **fields: Any) -> None:
        try:
            self.job.record = store.save(self.job.record, **fields)
        except Exception as error:
            raise _store_failed(self.job, error) from None


def _store_failed(job: Job, error: Exception) -> ProtocolError:
    """A store failure inside a task fails the task (not the tool: its result would read as the tool's error)."""
    log.warning("task %s: the store failed: %s", job.task_id, type(error).__name__)
    return STORE_FAILED
