"""Skills over MCP (the `io.modelcontextprotocol/skills` extension, SEP-2640), plugged into the engine.

A skill is a folder with a SKILL.md (YAML front matter: name, description) and any
supporting files; each folder under MCP_SKILL_PATHS (default app/skills) is one. Every
file is a resource at `skill://<name>/<path>` (SKILL.md listed with the skill's name and
description), `skills/list` and `skills/get` give each skill's front matter and the digest
and size of every file, and `resources/directory/read` lists a skill directory's children.
All of it lives here and reaches the engine in one place, `init_app`. With no skills (app/skills
deleted, or MCP_SKILL_PATHS naming an empty folder) the extension is not declared; to remove it
altogether, delete this folder and its line in `MCP_EXTENSIONS`.

- `catalog`  the skills on disk, read and checked once at start-up
- `methods`  skills/list, skills/get, resources/directory/read
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app.mcp.decorators import resource
from app.mcp.server import dispatch
from app.mcp.server.discovery import declare_extension
from app.mcp.skills import catalog, methods
from app.mcp.skills.catalog import Skill, SkillFile

EXTENSION = "io.modelcontextprotocol/skills"
DEFAULT_FOLDER = "app/skills"


def init_app(app: Flask) -> None:
    """Serve the skills of MCP_SKILL_PATHS, if any: their files as resources, and the extension's methods."""
    project = Path(app.root_path).parent  # settings name folders from the project's root
    folders = [project / path for path in app.config["MCP_SKILL_PATHS"]]
    if folders == [project / DEFAULT_FOLDER] and not folders[0].is_dir():
        folders = []  # the shipped folder was deleted: no skills (a folder named in settings must exist)
    skills = catalog.load(folders)
    app.extensions["mcp_skills"] = skills
    if not skills:
        return
    registry = app.extensions["mcp"]
    for skill in skills.values():
        for file in skill.files:
            registry.add(_resource(skill, file))
    registry.finish()
    declare_extension(app, EXTENSION, {"directoryRead": True})
    dispatch.add_method(app, "skills/list", methods.list_skills)
    dispatch.add_method(app, "skills/get", methods.get_skill)
    dispatch.add_method(app, "resources/directory/read", methods.read_directory)


def _resource(skill: Skill, file: SkillFile) -> Any:
    """A resource serving `file` as read at start-up: SKILL.md named and described as its skill."""
    is_manifest = file.uri == skill.uri

    def read() -> str | bytes:
        text = file.text
        return file.content if text is None else text

    read.__name__ = read.__qualname__ = f"skill_{skill.name}"
    read.__module__ = __name__
    name = skill.name if is_manifest else file.uri.removeprefix(skill.root + "/")
    description = skill.description if is_manifest else f"A file of the skill {skill.name!r}."
    return resource(file.uri, name=name, description=description, mime_type=file.mime_type)(read).__mcp_spec__
