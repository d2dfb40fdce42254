"""The methods the skills extension adds: `skills/list`, `skills/get` and `resources/directory/read`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app

from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.server import listing
from app.mcp.skills.catalog import DIRECTORY, Skill

if TYPE_CHECKING:
    from app.mcp.server.call import Call


def list_skills(call: Call) -> dict[str, Any]:
    """Every skill this server serves, a page at a time; an entry is never split across pages."""
    skills, cursor = listing.page_of(call, list(_skills().values()), lambda skill: skill.uri)
    return listing.listed("skills", [skill.entry() for skill in skills], cursor)


def get_skill(call: Call) -> dict[str, Any]:
    """One skill's entry, named by the URI of its SKILL.md; -32602 for a URI that names none."""
    uri = _uri(call)
    skill = _skills().get(uri)
    if skill is None:
        raise ProtocolError(INVALID_PARAMS, "No skill is served at this URI", {"uri": uri})
    return {"skill": skill.entry()} | listing.cacheable()


def read_directory(call: Call) -> dict[str, Any]:
    """The direct children of a skill's directory: its files as resources, its subdirectories as directories."""
    uri = _uri(call)
    skill = next((s for s in _skills().values() if uri == s.root or uri.startswith(s.root + "/")), None)
    if skill is None or uri not in skill.directories():
        raise ProtocolError(INVALID_PARAMS, "Not a directory this server serves", {"uri": uri})
    children, cursor = listing.page_of(call, _children(skill, uri), lambda child: child["uri"])
    return listing.listed("resources", children, cursor)


def _children(skill: Skill, directory: str) -> list[dict[str, Any]]:
    registry = current_app.extensions["mcp"]
    depth = directory.count("/") + 1
    files = [
        listing.resource_json(registry.resources[file.uri])
        for file in skill.files
        if file.uri.startswith(directory + "/") and file.uri.count("/") == depth
    ]
    subdirectories = [
        {"uri": path, "name": path.rsplit("/", 1)[-1], "mimeType": DIRECTORY}
        for path in skill.directories()
        if path.startswith(directory + "/") and path.count("/") == depth
    ]
    return sorted(files + subdirectories, key=lambda child: child["uri"])


def _uri(call: Call) -> str:
    uri = call.params.get("uri")
    if not isinstance(uri, str) or not uri:
        raise ProtocolError(INVALID_PARAMS, "Invalid params: uri: a URI (string) is required")
    return uri


def _skills() -> dict[str, Skill]:
    return current_app.extensions["mcp_skills"]
