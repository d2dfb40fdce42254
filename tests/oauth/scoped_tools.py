"""Tools, prompts and resources that need more than the base scope, for the scope tests."""

from __future__ import annotations

from app.mcp import completion, prompt, resource, tool

#: Secret system names the admin-only completions suggest.
SYSTEMS = ("billing-primary", "billing-replica", "payroll")


@tool(scopes=["notes:write"])
def write_note(text: str) -> str:
    """Write a note (needs notes:write)."""
    return f"noted: {text}"


@tool(scopes=["admin"])
def shut_down() -> str:
    """Pretend to shut down (needs admin)."""
    return "not really"


@prompt(scopes=["admin"])
def incident_report(system: str) -> str:
    """Draft an incident report (needs admin)."""
    return f"Report on {system}"


@completion(prompt="incident_report", argument="system")
def complete_system(value: str, context: dict[str, str]) -> list[str]:
    return [name for name in SYSTEMS if name.startswith(value)]


@resource("admin://systems/{system}/secrets", scopes=["admin"])
def system_secrets(system: str) -> str:
    """A system's secrets (needs admin)."""
    return f"the secrets of {system}"


@completion(resource="admin://systems/{system}/secrets", argument="system")
def complete_secret_system(value: str, context: dict[str, str]) -> list[str]:
    return complete_system(value, context)


@resource("admin://audit-log", scopes=["admin"])
def audit_log() -> str:
    """The audit log (needs admin)."""
    return "nothing happened"
