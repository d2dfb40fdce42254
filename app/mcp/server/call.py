"""One JSON-RPC request on its way: what it asks, who asks, in which revision, and what it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from app.auth.principal import Principal
from app.mcp.context import Context
from app.mcp.server import wire
from app.mcp.server.channel import Channel
from app.mcp.server.jsonrpc import Message
from app.mcp.specs import PromptSpec, ResourceSpec, ToolSpec

if TYPE_CHECKING:
    from app.mcp.server.dispatch import Envelope, Handler, Revision

#: The methods that run the tool, prompt or resource they name.
RUNS = ("tools/call", "prompts/get", "resources/read")
#: Methods that talk before their result by nature: a subscription's stream.
TALKS = ("subscriptions/listen",)


@dataclass
class Call:
    """Made once by dispatch with everything it holds, and never changed after (not frozen: a frozen
    dataclass costs a microsecond or two per call to make, on the hot path)."""

    message: Message
    envelope: Envelope
    principal: Principal
    #: The tool, prompt or resource the request names, with a resource template's variables (None if none).
    target: tuple[ToolSpec | PromptSpec | ResourceSpec, dict[str, str]] | None
    handler: Handler
    revision: Revision
    #: Whether the client reads an event stream (it accepts text/event-stream).
    streaming: bool
    # Read several times per call: kept as attributes, since a property is a call each time.
    params: dict[str, Any] = field(init=False)
    spec: ToolSpec | PromptSpec | ResourceSpec | None = field(init=False)
    #: Whether the method runs the function it names (and so may talk to the client while it does).
    runs_target: bool = field(init=False)

    def __post_init__(self) -> None:
        self.params = self.message.params
        self.spec = self.target[0] if self.target else None
        self.runs_target = self.message.method in RUNS

    @property
    def may_talk(self) -> bool:
        """Only a subscription, or a function that runs and takes a Context, sends anything before its result."""
        spec = self.spec
        talks = self.runs_target and spec is not None and spec.arguments.context_parameter is not None
        return talks or self.message.method in TALKS

    @cached_property
    def channel(self) -> Channel:
        """How the call talks to its client, as its revision has it (made on first use)."""
        return self.revision.channel(self)

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

    def result(self) -> dict[str, Any]:
        """Run the method; return its result as the revision frames it and its wire schema has it."""
        result = self.revision.finish(self, self.revision.run(self))
        return wire.shape_result(self.message.method, self.envelope.version, result)
