"""What a tool can reach while it runs: the caller, progress, logs, and questions for the client.

Declare a parameter of type `Context` to get one. It is the same object in every
protocol revision; how a message reaches the client differs (a response stream, an
input-required result), and the engine hides that behind the call's `Channel`.
Build questions with `elicitation`, `sampling` and `roots`, and ask them with `ctx.ask`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app import tracing
from app.auth.principal import Principal
from app.mcp.errors import Cancelled, MissingCapability, ToolError

#: Severity order of MCP log levels (RFC 5424 names).
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
#: The client capability each kind of question needs.
CAPABILITY_OF = {"elicitation/create": "elicitation", "sampling/createMessage": "sampling", "roots/list": "roots"}


class Channel(Protocol):
    """How one request talks back to its client while it runs."""

    def notify(self, method: str, params: dict[str, Any]) -> None: ...

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]: ...

    def is_cancelled(self) -> bool: ...

    def announce(self, kind: str, uri: str | None = None) -> None: ...

    def elicit_url(self, key: str, message: str, url: str, principal: Principal) -> dict[str, Any]: ...


def elicitation(message: str, requested_schema: dict[str, Any]) -> dict[str, Any]:
    """Build a question for the person: a message and a flat JSON Schema of the answers."""
    return {"method": "elicitation/create", "params": {"message": message, "requestedSchema": requested_schema}}


def sampling(prompt: str, max_tokens: int = 200, system_prompt: str | None = None) -> dict[str, Any]:
    """Build a request for the client's language model to complete `prompt`."""
    params: dict[str, Any] = {
        "messages": [{"role": "user", "content": {"type": "text", "text": prompt}}],
        "maxTokens": max_tokens,
    }
    params |= {"systemPrompt": system_prompt} if system_prompt else {}
    return {"method": "sampling/createMessage", "params": params}


def roots() -> dict[str, Any]:
    """Build a request for the client's roots (the folders or files it shares)."""
    return {"method": "roots/list", "params": {}}


@dataclass
class Context:
    """Handed to a tool, resource or prompt that declares a parameter of this type."""

    principal: Principal
    channel: Channel
    request_id: str | int
    progress_token: str | int | None = None
    log_level: str | None = None
    client_capabilities: Mapping[str, Any] = field(default_factory=dict)
    _last_progress: float | None = field(default=None, repr=False)

    def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Tell the client how far along the work is (only if it asked, with a progress token)."""
        self._check_cancelled()
        if self.progress_token is None:
            return
        if self._last_progress is not None and progress <= self._last_progress:
            raise ValueError("progress must increase with every report")
        self._last_progress = progress
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        params |= {"total": total} if total is not None else {}
        params |= {"message": message} if message is not None else {}
        self.channel.notify("notifications/progress", params)

    def log(self, level: str, data: Any, logger: str | None = None) -> None:
        """Send a log message to the client, if it asked for this level or a lower one."""
        if level not in LOG_LEVELS:
            raise ValueError(f"level must be one of {LOG_LEVELS}")
        self._check_cancelled()
        if self.log_level is None or LOG_LEVELS.index(level) < LOG_LEVELS.index(self.log_level):
            return
        params = {"level": level, "data": data} | ({"logger": logger} if logger else {})
        self.channel.notify("notifications/message", params)

    def list_changed(self, kind: str) -> None:
        """Tell every listening client that the list of `kind` ("tools", "prompts" or "resources") changed, for
        a server whose lists depend on state (which tools a person may see, say)."""
        self.channel.announce(kind)

    def resource_updated(self, uri: str) -> None:
        """Tell every client subscribed to the resource at `uri` that it changed: they read it again."""
        self.channel.announce("updated", uri)

    def trace(self, **attributes: Any) -> None:
        """Add attributes to this call's span, when traces are on (docs/observability.md): what a slow or failed
        call should be found by (`ctx.trace(rows=120, region="eu")`), never a secret."""
        tracing.annotate(attributes)

    def trace_event(self, name: str, **attributes: Any) -> None:
        """Add a timed event to this call's span, when traces are on (`ctx.trace_event("cache miss", key=...)`)."""
        tracing.event(name, attributes)

    def client_supports(self, capability: str) -> bool:
        """Return whether the client declared `capability` (elicitation, sampling, roots...)."""
        return capability in self.client_capabilities

    def ask(self, requests: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Ask the client several questions at once; return its answers by key.

        Build the questions with `elicitation`, `sampling` and `roots`. In 2026-07-28
        the call ends with an input-required result and runs again with the answers.
        """
        for request in requests.values():
            capability = CAPABILITY_OF.get(request["method"])
            if capability is None:
                raise ValueError(f"cannot ask the client for {request['method']!r}")
            if not self.client_supports(capability):
                raise MissingCapability(capability)
        self._check_cancelled()
        return self.channel.ask(requests)

    def elicit(self, message: str, requested_schema: dict[str, Any], key: str = "elicitation") -> dict[str, Any]:
        """Ask the person through the client; return `{"action": ..., "content": {...}}`."""
        return self.ask({key: elicitation(message, requested_schema)})[key]

    def elicit_url(self, message: str, url: str, key: str = "url") -> dict[str, Any]:
        """Send the person to `url`, a page of this server, for what must not pass through the client (signing
        in to another service, a secret); return `{"action": "accept"}` once the page says they finished there,
        or the client's "decline" or "cancel".

        The page finds the elicitation's id in its `elicitation` query parameter and calls
        `app.mcp.server.elicitations.complete` when done. A client that cannot open URLs gets the link in a
        tool error instead, to open by hand before calling again.
        """
        modes = self.client_capabilities.get("elicitation")
        if not (isinstance(modes, Mapping) and "url" in modes):
            raise ToolError(f"{message} Open {url} to do so, then try again.")
        self._check_cancelled()
        return self.channel.elicit_url(key, message, url, self.principal)

    def sample(self, prompt: str, max_tokens: int = 200, key: str = "sampling") -> dict[str, Any]:
        """Ask the client's language model; return its message (`role`, `content`, `model`)."""
        return self.ask({key: sampling(prompt, max_tokens)})[key]

    @property
    def cancelled(self) -> bool:
        return self.channel.is_cancelled()

    def _check_cancelled(self) -> None:
        if self.channel.is_cancelled():
            raise Cancelled()
