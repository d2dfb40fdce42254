"""Tasks (the `io.modelcontextprotocol/tasks` extension, SEP-2663), plugged into the engine.

A tool declared with `@tool(task="optional")` or `task="required"` runs as a task for a
2026-07-28 client that lists the extension in its request's capabilities: `tools/call`
answers at once with the task (`resultType: "task"`), the tool runs in the background, and
the client follows it with `tasks/get` (status, questions, then the result or error),
answers questions with `tasks/update` and stops it with `tasks/cancel`, on any worker or
instance: tasks live in the shared store for MCP_TASK_TTL_SECONDS. A `subscriptions/listen`
filter may name `taskIds`, to hear each status change as `notifications/tasks`. All of it lives here and
reaches the engine in one place, `init_app`; to remove it, delete this folder and its line
in `MCP_EXTENSIONS` (tools declared with `task=` then run as usual; the declaration itself,
`task` and `ask_first` of `@tool`, stays in app/mcp, where tool authors find it).

- `methods`  the tools/call wrapper that starts tasks; tasks/get, tasks/update, tasks/cancel
- `store`    task records in the shared store, and what a client reads of them
- `runner`   the threads that run tasks, their alive marks, their end on SIGTERM
- `channel`  a running task's way to its client: questions and cancellation through the store
"""

from __future__ import annotations

from flask import Flask

from app.mcp.server import dispatch, listen, streams
from app.mcp.server.discovery import declare_extension
from app.mcp.tasks import methods, runner, store


def init_app(app: Flask) -> None:
    declare_extension(app, methods.EXTENSION, {}, versions=methods.VERSIONS)
    dispatch.wrap_method(app, "tools/call", methods.start)
    dispatch.add_method(app, "tasks/get", methods.get_task, named="taskId")
    dispatch.add_method(app, "tasks/update", methods.update_task, named="taskId")
    dispatch.add_method(app, "tasks/cancel", methods.cancel_task, named="taskId")
    listen.add_source(app, "taskIds", listen.Source(store.KIND, methods.honour_task_ids, methods.task_notification))
    streams.on_drain(runner.drain)
