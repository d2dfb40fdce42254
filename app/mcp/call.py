"""One JSON-RPC request on its way through the dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import current_app

from app.auth.principal import Principal
from app.mcp import mrtr
from app.mcp.context import Channel, Context
from app.mcp.envelope import Envelope
from app.mcp.errors import InputRequired
from app.mcp.jsonrpc import Message
from app.mcp.registry import Registry
from app.mcp.specs import PromptSpec, ResourceSpec, ToolSpec

#: The methods that run the tool, prompt or resource they name.
RUNS = ("tools/call", "prompts/get", "resources/read")


@dataclass
class Call:
    message: Message
    envelope: Envelope
    principal: Principal
    channel: Channel

    @property
    def params(self) -> dict[str, Any]:
        return self.message.params

    @property
    def registry(self) -> Registry:
        return current_app.extensions["mcp"]

    @cached_property
    def target(self) -> tuple[ToolSpec | PromptSpec | ResourceSpec, dict[str, str]] | None:
        """The tool, prompt or resource the call names, with a resource template's variables (None for other
        methods, or nothing by that name). Looked up once: the scope check and the handler both need it, and
        every method that names one needs its scopes, whether it runs it or not (completions, subscriptions)."""
        method, params, registry = self.message.method, self.params, self.registry
        if method in ("resources/read", "resources/subscribe", "resources/unsubscribe"):
            return registry.find_resource(params["uri"]) if isinstance(params.get("uri"), str) else None
        if method == "tools/call":
            spec = registry.tools.get(params.get("name"))
        elif method == "prompts/get":
            spec = registry.prompts.get(params.get("name"))
        elif method == "completion/complete":
            spec = registry.completion_target(params.get("ref") or {})
        else:
            return None
        return (spec, {}) if spec is not None else None

    @property
    def runs_target(self) -> bool:
        """Whether the method runs the function it names (and so may talk to the client while it does)."""
        return self.message.method in RUNS

    @property
    def spec(self) -> ToolSpec | PromptSpec | ResourceSpec | None:
        return self.target[0] if self.target else None

    def context(self) -> Context:
        meta = self.params.get("_meta") or {}
        return Context(
            principal=self.principal,
            channel=self.channel,
            request_id=self.message.id if self.message.id is not None else "",
            progress_token=meta.get("progressToken") if isinstance(meta, dict) else None,
            log_level=self.envelope.log_level,
            client_capabilities=self.envelope.client_capabilities,
        )

    def interactive(self, target: str, arguments: Any, run: Callable[[Context], dict[str, Any]]) -> dict[str, Any]:
        """Run `run`; in 2026-07-28, a question to the client ends it with input-required.

        The call runs again from the start when the client answers, with every answer
        so far available to `Context.ask`.
        """
        if not self.envelope.modern:
            return run(self.context())
        # Most calls carry no answers; the call's digest is needed only when some are in play.
        answering = "requestState" in self.params or "inputResponses" in self.params
        digest = mrtr.call_digest(self.message.method, target, arguments) if answering else ""
        answers = mrtr.answers_of(self.params, self.principal.subject, digest) if answering else {}
        self.channel.answers = answers  # type: ignore[attr-defined]
        try:
            return run(self.context())
        except InputRequired as needed:
            digest = digest or mrtr.call_digest(self.message.method, target, arguments)
            state = mrtr.seal(self.principal.subject, digest, answers)
            return {"resultType": "input_required", "inputRequests": needed.requests, "requestState": state}
