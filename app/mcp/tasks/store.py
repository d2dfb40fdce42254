"""Tasks as every worker and instance sees them: records in the shared store (app/kv.py), kept for their TTL.

A task is several keys, so that each has one writer and no update needs a lock:

- `mcp-task:<id>`             the record (status, its questions, result or error), written by the runner only
- `mcp-task:<id>:cancel`      set by `tasks/cancel`, on whichever instance it arrives; the runner stops at it
- `mcp-task:<id>:answer:<k>`  the client's answer to question `k` (`tasks/update`); the runner takes it
- `mcp-task:<id>:alive`       renewed by the process that runs the task: without it, the task died with its process

What a client reads (`view`) is computed from all four: answered questions are no longer
outstanding, and a task whose process is gone reads as failed (or cancelled, if asked).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from flask import current_app

from app import kv
from app.auth.principal import Principal
from app.mcp.errors import INTERNAL_ERROR
from app.mcp.server import changes

TERMINAL = ("completed", "failed", "cancelled")
#: The kind of change a task's new status is, for its listeners (app.mcp.server.changes).
KIND = "task"
#: What a task id looks like (`secrets.token_urlsafe(24)`): anything else names no task.
TASK_ID = re.compile(r"[A-Za-z0-9_-]{32}")
#: How often a client should poll (milliseconds), as told in every task.
POLL_INTERVAL_MS = 1000
#: Seconds an alive mark lasts; the running process renews it every third of that.
ALIVE_SECONDS = 30
#: What a task whose process died says.
LOST = {"code": INTERNAL_ERROR, "message": "The server stopped while running this task: start it again."}


def owner(principal: Principal) -> str:
    """Who may see a task: the caller that started it (the person, through the same client)."""
    return hashlib.sha256(f"{principal.subject}\0{principal.client_id or ''}".encode()).hexdigest()


def create(principal: Principal, tool: str) -> dict[str, Any] | None:
    """Make a task record, durably (a `tasks/get` anywhere finds it once this returns), marked alive; None if
    the caller holds MCP_MAX_TASKS_PER_CALLER tasks already."""
    ttl = current_app.config["MCP_TASK_TTL_SECONDS"]
    now, task_id = _now(), secrets.token_urlsafe(24)
    if not kv.store().claim(_group(principal), task_id, current_app.config["MCP_MAX_TASKS_PER_CALLER"], ALIVE_SECONDS):
        return None
    record = {
        "taskId": task_id,
        "owner": owner(principal),
        "tool": tool,
        "status": "working",
        "createdAt": now,
        "lastUpdatedAt": now,
        "ttlMs": ttl * 1000,
        "expires": time.time() + ttl,
    }
    mark_alive(record["taskId"])
    kv.store().set(_key(record["taskId"]), record, ttl)
    return record


def find(task_id: Any, principal: Principal) -> dict[str, Any] | None:
    """The caller's task `task_id`, or None (no such task, expired, or someone else's: all read alike)."""
    record = find_any(task_id)
    return record if record is not None and record["owner"] == owner(principal) else None


def find_any(task_id: Any) -> dict[str, Any] | None:
    """The task `task_id`, whoever's it is (for those who checked already)."""
    if not isinstance(task_id, str) or not TASK_ID.fullmatch(task_id):
        return None
    return kv.store().get(_key(task_id))


def save(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Write the runner's new state of a task (until its TTL runs out: then it is gone), and tell its listeners.

    A task that ended stays as it ended: a runner that outlived the verdict that it was lost writes nothing.
    """
    store, task_id = kv.store(), record["taskId"]
    kept = store.get(_key(task_id))
    if kept is not None and kept["status"] in TERMINAL:
        return kept
    record = record | fields | {"lastUpdatedAt": _now()}
    if record["expires"] > time.time():
        store.set(_key(task_id), record, _left(record))
        changes.publish(changes.Change(KIND, task_id))
    return record


def view(record: dict[str, Any]) -> dict[str, Any]:
    """The task as `tasks/get` returns it (a DetailedTask)."""
    store, task_id = kv.store(), record["taskId"]
    status = record["status"]
    shown = {
        "taskId": task_id,
        "status": status,
        "createdAt": record["createdAt"],
        "lastUpdatedAt": record["lastUpdatedAt"],
        "ttlMs": record["ttlMs"],
        "pollIntervalMs": POLL_INTERVAL_MS,
    }
    shown |= {"statusMessage": record["statusMessage"]} if record.get("statusMessage") else {}
    if status in TERMINAL:
        return shown | {key: record[key] for key in ("result", "error") if key in record}
    if not store.exists(_key(task_id, "alive")):
        return view(_lost(record))
    if status == "input_required":
        waiting = outstanding(record)
        if not waiting:
            return shown | {"status": "working"}
        return shown | {"inputRequests": waiting}
    return shown


def _lost(record: dict[str, Any]) -> dict[str, Any]:
    """A task whose process stopped marking it alive: record it failed for good, and stop its runner should
    it still run (a process that was only cut off from the store)."""
    request_cancel(record)
    return save(record, status="failed", statusMessage=LOST["message"], error=LOST, inputRequests={})


def outstanding(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The questions of a task the client has not answered yet."""
    store, task_id = kv.store(), record["taskId"]
    asked = record.get("inputRequests") or {}
    return {key: request for key, request in asked.items() if not store.exists(_key(task_id, "answer", key))}


def answer(record: dict[str, Any], key: str, response: dict[str, Any]) -> None:
    """Keep the client's answer to one of the task's questions, for its runner to take."""
    kv.store().set(_key(record["taskId"], "answer", key), {"answer": response}, _left(record))


def take_answer(task_id: str, key: str) -> dict[str, Any] | None:
    """The client's answer to question `key`, if it came (it stays until `forget_answer`)."""
    found = kv.store().get(_key(task_id, "answer", key))
    return found["answer"] if found is not None else None


def forget_answer(task_id: str, key: str) -> None:
    """Drop an answer the runner took (after it recorded that the question is answered)."""
    kv.store().delete(_key(task_id, "answer", key))


def request_cancel(record: dict[str, Any]) -> None:
    """Ask the runner of a task, wherever it runs, to stop."""
    kv.store().set(_key(record["taskId"], "cancel"), {}, _left(record))


def cancel_requested(task_id: str) -> bool:
    return kv.store().exists(_key(task_id, "cancel"))


def mark_alive(task_id: str) -> None:
    """Say that a process runs the task (or holds it waiting), for ALIVE_SECONDS."""
    kv.store().set(_key(task_id, "alive"), {}, ALIVE_SECONDS)


def keep(record: dict[str, Any], principal: Principal) -> None:
    """Renew a held task's alive mark and its place among its caller's tasks."""
    mark_alive(record["taskId"])
    kv.store().renew(_group(principal), record["taskId"], ALIVE_SECONDS)


def discard(record: dict[str, Any], principal: Principal) -> None:
    """Forget a task that could not be started after all (its process refused it)."""
    kv.store().delete(_key(record["taskId"]))
    kv.store().delete(_key(record["taskId"], "alive"))
    release(record, principal)


def release(record: dict[str, Any], principal: Principal) -> None:
    """The task ended (or never ran): free its place among its caller's tasks."""
    kv.store().release(_group(principal), record["taskId"])


def _group(principal: Principal) -> str:
    return f"tasks:{owner(principal)[:32]}"


def _left(record: dict[str, Any]) -> int:
    return max(1, int(record["expires"] - time.time()))


def _key(task_id: str, *parts: str) -> str:
    return ":".join(("mcp-task", task_id, *parts))


def _now() -> str:
    """An ISO 8601 timestamp, as tasks carry them."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
