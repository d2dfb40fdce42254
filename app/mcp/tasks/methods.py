"""What a client of the tasks extension sends: a `tools/call` that may start a task, `tasks/*` to follow it, and
`taskIds` in a `subscriptions/listen` filter to hear each status change (`notifications/tasks`).

Every one of them needs the extension in the request's client capabilities (-32021 without), and
reaches only the caller's own tasks: another's reads as unknown (-32602), as does an expired one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app
from pydantic import ValidationError

from app.extensions import this_app
from app.mcp.errors import INVALID_PARAMS, METHOD_NOT_FOUND, MISSING_CLIENT_CAPABILITY, ProtocolError
from app.mcp.server import changes, invoke, streams
from app.mcp.server.channel import checked_answer
from app.mcp.specs import ToolSpec
from app.mcp.tasks import runner, store
from app.mcp.tasks.channel import Job
from app.urls import public_url

if TYPE_CHECKING:
    from app.mcp.server.call import Call
    from app.mcp.server.dispatch import Handler

EXTENSION = "io.modelcontextprotocol/tasks"
#: The revisions the extension is written for (its capabilities travel with each request).
VERSIONS = ("2026-07-28",)
#: Task ids one subscription may listen to.
MAX_LISTENED = 100


def start(handler: Handler, call: Call) -> dict[str, Any]:
    """`tools/call`: run a task-supporting tool as a task when the client follows tasks, else as usual.

    A tool that requires a task refuses clients that do not follow them. Its `ask_first` questions are
    asked on the call itself (an input-required result) before the task starts; invalid arguments are
    answered at once, as any call's.
    """
    spec = call.spec
    if not isinstance(spec, ToolSpec) or spec.task == "forbidden" or call.envelope.version not in VERSIONS:
        return handler(call)
    if not declared(call):
        if spec.task == "optional":
            return handler(call)
        raise missing_extension()
    arguments = call.params.get("arguments") or {}
    try:
        spec.arguments.model.model_validate(arguments)
    except ValidationError as error:
        return invoke.error_result(f"Invalid arguments for {spec.name}: {invoke.describe(error)}")
    answered = call.context().ask(spec.ask_first) if spec.ask_first else {}
    return {"resultType": "task"} | store.view(_started(call, spec, arguments, answered))


def _started(call: Call, spec: ToolSpec, arguments: dict[str, Any], answered: dict[str, Any]) -> dict[str, Any]:
    """Record the task and hand it to this process's runner; 429 when the caller or the process holds too many."""
    record = store.create(call.principal, spec.name)
    if record is None:
        limit = current_app.config["MCP_MAX_TASKS_PER_CALLER"]
        raise streams.refusal(429, f"Too Many Requests: this caller has {limit} tasks running or waiting already")
    job = Job(
        this_app(),
        record, spec, arguments, call.principal, dict(call.envelope.client_capabilities), answered, public_url(),
    )  # fmt: skip
    try:
        runner.runner(current_app.config["MCP_TASK_THREADS"]).submit(job)
    except ProtocolError:
        store.discard(record, call.principal)
        raise
    return record


def get_task(call: Call) -> dict[str, Any]:
    """`tasks/get`: the task's status, with its outstanding questions, its result or its error."""
    return store.view(_task(call))


def update_task(call: Call) -> dict[str, Any]:
    """`tasks/update`: answers to the task's outstanding questions (others are ignored, as the extension asks)."""
    record = _task(call)
    responses = call.params.get("inputResponses")
    if not isinstance(responses, dict):
        raise ProtocolError(INVALID_PARAMS, "inputResponses must be an object")
    waiting = store.outstanding(record) if record["status"] == "input_required" else {}
    answers = {key: checked_answer(key, waiting[key]["method"], response)
               for key, response in responses.items() if key in waiting}  # fmt: skip
    for key, response in answers.items():  # all checked first: a bad answer leaves none of them kept
        store.answer(record, key, response)
    return {}


def cancel_task(call: Call) -> dict[str, Any]:
    """`tasks/cancel`: ask the task to stop; the runner ends it as cancelled when it sees that (a task
    that has ended already stays as it is)."""
    record = _task(call)
    if record["status"] not in store.TERMINAL:
        store.request_cancel(record)
    return {}


def honour_task_ids(call: Call, asked: Any) -> list[str]:
    """`subscriptions/listen` with `taskIds`: the caller's own tasks among them (-32021 without the extension)."""
    if not declared(call):
        raise missing_extension()
    if not isinstance(asked, list) or len(asked) > MAX_LISTENED:
        raise ProtocolError(INVALID_PARAMS, f"notifications.taskIds must be a list of at most {MAX_LISTENED} task ids")
    return [task_id for task_id in dict.fromkeys(asked) if store.find(task_id, call.principal) is not None]


def task_notification(change: changes.Change, task_ids: list[str]) -> tuple[str, dict[str, Any]] | None:
    """`notifications/tasks` for a listened task whose status changed: the task as `tasks/get` gives it."""
    record = store.find_any(change.uri) if change.uri in task_ids else None
    return ("notifications/tasks", store.view(record)) if record is not None else None


def declared(call: Call) -> bool:
    """Whether the request's client capabilities include the extension."""
    extensions = call.envelope.client_capabilities.get("extensions")
    return isinstance(extensions, dict) and EXTENSION in extensions


def missing_extension() -> ProtocolError:
    """-32021, naming the extension the request lacks."""
    data = {"requiredCapabilities": {"extensions": {EXTENSION: {}}}}
    return ProtocolError(MISSING_CLIENT_CAPABILITY, f"Missing required client capability: {EXTENSION}", data, 400)


def _task(call: Call) -> dict[str, Any]:
    """The caller's task the request names, once the request may ask for it."""
    if call.envelope.version not in VERSIONS:
        raise ProtocolError(METHOD_NOT_FOUND, f"Method not found: {call.message.method}")
    if not declared(call):
        raise missing_extension()
    record = store.find(call.params.get("taskId"), call.principal)
    if record is None:
        raise ProtocolError(INVALID_PARAMS, "Failed to retrieve task: Task not found")
    return record
