"""Run tasks in the background of the process that started them, and keep their records up to date.

Each process runs at most MCP_TASK_THREADS tasks at once and keeps up to QUEUED_PER_THREAD
times as many waiting (`working`); each caller holds at most MCP_MAX_TASKS_PER_CALLER, across
every worker and instance (leases in the shared store). Threads come from a pool made on first
use in each process (under gevent, greenlets). A keeper renews the alive mark and the lease of
every task this process holds, so that a task whose process died reads as failed, and frees its
caller's place, instead of working forever. A running task talks to its client through the
store (`TaskChannel`): its questions become the task's `inputRequests`, answered with
`tasks/update` on any instance, until the task's TTL runs out; `tasks/cancel` anywhere sets a
flag it looks at. On SIGTERM the process's tasks end as failed, saying to start them again. A
task sends no notifications: the extension carries no progress or log messages.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from app.auth.principal import Principal
from app.mcp.context import Context
from app.mcp.errors import INTERNAL_ERROR, INVALID_REQUEST, Cancelled, ProtocolError
from app.mcp.server import invoke
from app.mcp.server.channel import Channel
from app.mcp.specs import ToolSpec
from app.mcp.tasks import store

log = logging.getLogger(__name__)

#: Seconds between looks at the store while a task waits for answers: from the first to the last, growing.
ANSWER_POLL = (0.1, 1.0)
#: Seconds between looks for a cancel while a task runs.
CANCEL_POLL = 0.5
#: Tasks a process keeps waiting for a thread, per thread.
QUEUED_PER_THREAD = 10
#: Seconds a refused caller is told to wait.
RETRY_AFTER = 5
RESTARTED = ProtocolError(INTERNAL_ERROR, "The server restarted while running this task: start it again.")
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


class Runner:
    """This process's pool of task threads, and the keeper of their alive marks and leases."""

    def __init__(self, threads: int) -> None:
        self.pid = os.getpid()
        self.threads = threads
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mcp-task")
        self.held: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.keeper: threading.Thread | None = None
        self.stopping = threading.Event()

    def submit(self, job: Job) -> None:
        """Run `job` when a thread is free; 429 if this process holds too many (503 while it shuts down)."""
        if self.stopping.is_set():
            raise refusal(503, "Service Unavailable: the server is restarting")
        with self.lock:
            if len(self.held) >= self.threads * (1 + QUEUED_PER_THREAD):
                raise refusal(429, "Too Many Requests: this server runs as many tasks as it can")
            self.held[job.task_id] = job
            if self.keeper is None:
                self.keeper = threading.Thread(target=self._keep, name="mcp-task-keeper", daemon=True)
                self.keeper.start()
        try:
            self.pool.submit(self._run, job)
        except RuntimeError:  # the pool shut down meanwhile
            self._release(job)
            raise refusal(503, "Service Unavailable: the server is restarting") from None

    def drain(self) -> None:
        """The process is shutting down: running tasks stop at their next look, waiting ones never start; each
        ends failed, saying to start it again."""
        self.stopping.set()

    def _run(self, job: Job) -> None:
        """Run the task and record how it ended (unless it was cancelled, stopped or expired before it began)."""
        try:
            with job.app.app_context():
                ended = outcome(job, self.stopping)
                job.record = store.save(job.record, **ended)
        except Exception as error:  # the store is away: the task will read as lost once its mark expires
            log.error("task %s of %s could not be recorded: %s", job.task_id, job.spec.name, type(error).__name__)
        finally:
            self._release(job)

    def _release(self, job: Job) -> None:
        with self.lock:
            self.held.pop(job.task_id, None)
        try:
            with job.app.app_context():
                store.release(job.record, job.principal)
        except Exception:  # its lease expires on its own
            pass

    def _keep(self) -> None:
        """Renew the alive mark and lease of every task this process holds, every third of their life."""
        while True:
            time.sleep(store.ALIVE_SECONDS / 3)
            with self.lock:
                held = list(self.held.values())
            failed = 0
            for job in held:
                try:
                    with job.app.app_context():
                        store.keep(job.record, job.principal)
                except Exception:  # the store is away: the next round tries again
                    failed += 1
            if failed:
                log.warning("tasks: %d of %d alive marks could not be renewed", failed, len(held))


def outcome(job: Job, stopping: threading.Event) -> dict[str, Any]:
    """Run the tool; return what its task ends with: completed with its result, failed, or cancelled."""
    if stopping.is_set():
        return _failed(RESTARTED)
    if store.cancel_requested(job.task_id):
        return {"status": "cancelled", "statusMessage": "Cancelled before it started.", "inputRequests": {}}
    channel = TaskChannel(job, stopping)
    ctx = Context(job.principal, channel, job.task_id, client_capabilities=job.capabilities)
    try:
        result = invoke.call_tool(job.spec, job.arguments, ctx)
    except Cancelled:
        if stopping.is_set():
            return _failed(RESTARTED)
        return {"status": "cancelled", "statusMessage": "Cancelled.", "inputRequests": {}}
    except ProtocolError as error:
        return _failed(error)
    except Exception:  # a fault of the engine's, not of the tool's (those are isError results)
        log.exception("task %s of %s failed", job.task_id, job.spec.name)
        return _failed(ProtocolError(INTERNAL_ERROR, "The task failed unexpectedly; the server log has the details."))
    return {"status": "completed", "statusMessage": None, "result": result, "inputRequests": {}}


def _failed(error: ProtocolError) -> dict[str, Any]:
    return {"status": "failed", "statusMessage": error.message, "error": error.to_json(), "inputRequests": {}}


def _store_failed(job: Job, error: Exception) -> ProtocolError:
    """A store failure inside a task fails the task (not the tool: its result would read as the tool's error)."""
    log.warning("task %s: the store failed: %s", job.task_id, type(error).__name__)
    return STORE_FAILED


def refusal(status: int, message: str) -> ProtocolError:
    """An HTTP refusal a client retries after RETRY_AFTER seconds (429 over a cap, 503 while shutting down)."""
    return ProtocolError(INVALID_REQUEST, message, status=status, headers={"Retry-After": str(RETRY_AFTER)})


_runner: Runner | None = None
_making = threading.Lock()


def runner(threads: int) -> Runner:
    """This process's runner, made on first use in each process (a pool made before gunicorn forked the worker
    has no threads in it)."""
    global _runner
    with _making:
        if _runner is None or _runner.pid != os.getpid():
            _runner = Runner(threads)
        return _runner


def drain() -> None:
    """SIGTERM (app.mcp.server.streams.drain): stop this process's tasks, if it runs any."""
    if _runner is not None and _runner.pid == os.getpid():
        _runner.drain()
