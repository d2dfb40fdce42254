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
from typing import Any

from app.mcp.context import Context
from app.mcp.errors import INTERNAL_ERROR, Cancelled, ProtocolError
from app.mcp.server import invoke, observe
from app.mcp.server.streams import refusal
from app.mcp.tasks import store
from app.mcp.tasks.channel import Job, TaskChannel
from app.urls import carry_public_url

log = logging.getLogger(__name__)

#: Tasks a process keeps waiting for a thread, per thread.
QUEUED_PER_THREAD = 10
RESTARTED = ProtocolError(INTERNAL_ERROR, "The server restarted while running this task: start it again.")


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
                carry_public_url(job.base_url)
                started = time.perf_counter()
                ended = outcome(job, self.stopping)
                observe.task_ended(job.principal, job.spec.name, job.arguments, ended, started)
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
        result = invoke.call_tool(job.spec, job.arguments, lambda: ctx)
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
