"""Run tasks in the background of the process that started them, and keep their records up to date.

Each process runs at most MCP_TASK_THREADS tasks at once (the rest wait, `working`), on threads
of a pool made on first use (under gevent, greenlets). A keeper renews the alive mark of every
task this process holds, so that a task whose process died reads as failed instead of working
forever. A running task talks to its client through the store (`TaskChannel`): its questions
become the task's `inputRequests`, answered with `tasks/update` on any instance; `tasks/cancel`
anywhere sets a flag it looks at. It sends no notifications: the tasks extension carries no
progress or log messages.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from app.auth.principal import Principal
from app.mcp.context import Context
from app.mcp.errors import INTERNAL_ERROR, Cancelled, ProtocolError
from app.mcp.server import invoke
from app.mcp.server.channel import Channel
from app.mcp.specs import ToolSpec
from app.mcp.tasks import store

log = logging.getLogger(__name__)

#: Seconds between looks at the store while a task waits for answers, and between looks for a cancel.
ANSWER_POLL = 0.1
CANCEL_POLL = 0.2


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


class TaskChannel(Channel):
    """A task's way to its client: questions through the store, cancellation from the store."""

    def __init__(self, job: Job) -> None:
        super().__init__(streaming=False)
        self.job = job
        self.asked: set[str] = set()
        self._cancel_seen_at = 0.0

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Answer from the answers given before the task; ask the rest through `inputRequests`, and wait."""
        answers = {key: self.job.answered.pop(key) for key in list(requests) if key in self.job.answered}
        keys = {self._fresh_key(key): key for key in requests if key not in answers}
        waiting = {wire: requests[key] for wire, key in keys.items()}
        if waiting:
            self._save(status="input_required", inputRequests=waiting)
        while waiting:
            time.sleep(ANSWER_POLL)
            if self.is_cancelled():
                raise Cancelled()
            got = {wire: found for wire in waiting if (found := store.take_answer(self.job.record["taskId"], wire))}
            if got:
                waiting = {wire: request for wire, request in waiting.items() if wire not in got}
                answers |= {keys[wire]: answer for wire, answer in got.items()}
                self._save(status="input_required" if waiting else "working", inputRequests=waiting)
                for wire in got:
                    store.forget_answer(self.job.record["taskId"], wire)
        return answers

    def is_cancelled(self) -> bool:
        """Whether `tasks/cancel` came (looked up in the store at most every CANCEL_POLL seconds)."""
        if self.cancel_event.is_set():
            return True
        if time.monotonic() - self._cancel_seen_at >= CANCEL_POLL:
            self._cancel_seen_at = time.monotonic()
            if store.cancel_requested(self.job.record["taskId"]):
                self.cancel_event.set()
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

    def _save(self, **changes: Any) -> None:
        self.job.record = store.save(self.job.record, **changes)


class Runner:
    """This process's pool of task threads, and the keeper of their alive marks."""

    def __init__(self, threads: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mcp-task")
        self.held: dict[str, Flask] = {}
        self.lock = threading.Lock()
        self.keeper: threading.Thread | None = None

    def submit(self, job: Job) -> None:
        with self.lock:
            self.held[job.record["taskId"]] = job.app
            if self.keeper is None:
                self.keeper = threading.Thread(target=self._keep, name="mcp-task-keeper", daemon=True)
                self.keeper.start()
        self.pool.submit(self._run, job)

    def _run(self, job: Job) -> None:
        try:
            with job.app.app_context():
                ended = outcome(job)
                job.record = store.save(job.record, **ended)
        except Exception:
            log.exception("task %s of %s could not be recorded", job.record["taskId"], job.spec.name)
        finally:
            with self.lock:
                self.held.pop(job.record["taskId"], None)

    def _keep(self) -> None:
        """Renew the alive mark of every task this process holds, every third of its life."""
        while True:
            time.sleep(store.ALIVE_SECONDS / 3)
            with self.lock:
                held = list(self.held.items())
            for task_id, app in held:
                try:
                    with app.app_context():
                        store.mark_alive(task_id)
                except Exception as error:  # the store is down: the next round tries again
                    log.warning("task %s: alive mark failed: %s", task_id, error)


def outcome(job: Job) -> dict[str, Any]:
    """Run the tool; return what its task ends with: completed with its result, failed, or cancelled."""
    channel = TaskChannel(job)
    task_id = job.record["taskId"]
    ctx = Context(job.principal, channel, task_id, client_capabilities=job.capabilities)
    try:
        result = invoke.call_tool(job.spec, job.arguments, ctx)
    except Cancelled:
        return {"status": "cancelled", "statusMessage": "Cancelled.", "inputRequests": {}}
    except ProtocolError as error:
        return {"status": "failed", "statusMessage": error.message, "error": error.to_json(), "inputRequests": {}}
    except Exception:  # a fault of the engine's, not of the tool's (those are isError results)
        log.exception("task %s of %s failed", task_id, job.spec.name)
        error = {"code": INTERNAL_ERROR, "message": "The task failed unexpectedly; the server log has the details."}
        return {"status": "failed", "statusMessage": error["message"], "error": error, "inputRequests": {}}
    return {"status": "completed", "statusMessage": None, "result": result, "inputRequests": {}}


_runner: Runner | None = None
_making = threading.Lock()


def runner(threads: int) -> Runner:
    """This process's runner (made on first use, after gunicorn forked the worker)."""
    global _runner
    with _making:
        if _runner is None:
            _runner = Runner(threads)
        return _runner
