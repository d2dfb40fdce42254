"""2026-07-28 input-required fixtures: questions answered across rounds of one call."""

from __future__ import annotations

from app.mcp import Context, prompt, tool
from app.mcp.context import elicitation, roots, sampling


def _form(name: str, kind: str = "string") -> dict:
    return {"type": "object", "properties": {name: {"type": kind}}, "required": [name]}


@tool
def test_input_required_result_elicitation(ctx: Context) -> str:
    """Ask the person's name, then greet them."""
    answer = ctx.elicit("What is your name?", _form("name"), key="user_name")
    return f"Hello, {answer['content']['name']}!"


@tool
def test_input_required_result_sampling(ctx: Context) -> str:
    """Ask the client's model a question."""
    answer = ctx.sample("What is the capital of France?", max_tokens=100, key="capital_question")
    return f"The model says: {answer['content']['text']}"


@tool
def test_input_required_result_list_roots(ctx: Context) -> str:
    """Ask the client for its roots."""
    answer = ctx.ask({"client_roots": roots()})["client_roots"]
    return "Roots: " + ", ".join(root["uri"] for root in answer["roots"])


@tool
def test_input_required_result_request_state(ctx: Context) -> str:
    """Ask for a confirmation; the answer comes back with the request state."""
    answer = ctx.elicit("Please confirm", _form("ok", "boolean"), key="confirm")
    return f"state-ok: confirmed={answer['content']['ok']}"


@tool
def test_input_required_result_multiple_inputs(ctx: Context) -> str:
    """Ask three questions at once."""
    answers = ctx.ask(
        {
            "user_name": elicitation("What is your name?", _form("name")),
            "greeting": sampling("Generate a greeting", max_tokens=50),
            "client_roots": roots(),
        }
    )
    return f"{answers['greeting']['content']['text']} {answers['user_name']['content']['name']}"


@tool
def test_input_required_result_multi_round(ctx: Context) -> str:
    """Ask one question, then another that follows from it."""
    name = ctx.elicit("Step 1: What is your name?", _form("name"), key="step1")["content"]["name"]
    color = ctx.elicit("Step 2: What is your favorite color?", _form("color"), key="step2")["content"]["color"]
    return f"{name} likes {color}."


@tool
def test_input_required_result_tampered_state(ctx: Context) -> str:
    """Ask for a confirmation; a forged request state must be refused."""
    return str(ctx.elicit("Please confirm", _form("ok", "boolean"), key="confirm")["content"])


@tool
def test_input_required_result_capabilities(ctx: Context) -> str:
    """Ask only what the client can answer."""
    questions = {"question": sampling("Say hello", max_tokens=20)} if ctx.client_supports("sampling") else {}
    if ctx.client_supports("elicitation"):
        questions["name"] = elicitation("What is your name?", _form("name"))
    return str(ctx.ask(questions)) if questions else "Nothing to ask."


@prompt
def test_input_required_result_prompt(ctx: Context) -> str:
    """A prompt that asks for context before it is written."""
    answer = ctx.elicit("What context should the prompt use?", _form("context"), key="user_context")
    return f"Use this context: {answer['content']['context']}"
