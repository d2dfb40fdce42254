"""Skills on disk: one folder per skill, its SKILL.md front matter, and every file's digest and size.

Read once at start-up from the folders of MCP_SKILL_PATHS, kept in memory, and served as
they were read, so a file always matches the digest its listing promised. A skill that
breaks a rule of the Agent Skills format stops start-up, naming the folder and the rule.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SKILL_FILE = "SKILL.md"
SCHEME = "skill://"
DIRECTORY = "inode/directory"
#: The Agent Skills naming rule: 1-64 lowercase letters, digits and hyphens, no hyphen at either end or twice.
NAME = re.compile(r"(?!.*--)[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
FRONT_MATTER = re.compile(r"\A\ufeff?---\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
#: What the extension says a server should not exceed for one skill.
MAX_FILES = 512
MAX_BYTES = 16 * 1024 * 1024
#: Characters a file's path may hold: they go into URIs as they are.
SAFE_PATH = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@/-]+")
TEXT_TYPES = ("application/json", "application/xml", "application/yaml", "application/x-yaml", "application/toml")


class SkillError(RuntimeError):
    """A skill folder that cannot be served as it is."""


@dataclass(frozen=True)
class SkillFile:
    """One file of a skill: its URI, its bytes as read at start-up, their digest and size, and its type."""

    uri: str
    content: bytes
    mime_type: str
    #: `sha256:` and the hex digest of the content, computed once at start-up.
    digest: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", "sha256:" + hashlib.sha256(self.content).hexdigest())

    @property
    def text(self) -> str | None:
        """The content as text, if it is text (served as `text`), else None (served as a base64 `blob`)."""
        textual = self.mime_type.startswith("text/") or self.mime_type in TEXT_TYPES
        try:
            return self.content.decode() if textual else None
        except UnicodeDecodeError:
            return None


@dataclass(frozen=True)
class Skill:
    """A skill: its name, the URI of its SKILL.md, its front matter as JSON, and all its files."""

    name: str
    uri: str
    frontmatter: dict[str, Any]
    files: tuple[SkillFile, ...]

    @property
    def root(self) -> str:
        """The skill's directory: `skill://name`, no trailing slash."""
        return self.uri.removesuffix(f"/{SKILL_FILE}")

    @property
    def description(self) -> str:
        return self.frontmatter["description"]

    def entry(self) -> dict[str, Any]:
        """The skill as skills/list and skills/get give it: URI, front matter, and every file's digest and size."""
        resources = [{"uri": f.uri, "digest": f.digest, "size": len(f.content)} for f in self.files]
        return {"uri": self.uri, "frontmatter": self.frontmatter, "resources": resources}

    def directories(self) -> set[str]:
        """Every directory of the skill, its root included."""
        found = {self.root}
        for file in self.files:
            parts = file.uri.removeprefix(self.root + "/").split("/")[:-1]
            found |= {"/".join([self.root, *parts[: depth + 1]]) for depth in range(len(parts))}
        return found


def load(folders: Iterable[Path]) -> dict[str, Skill]:
    """Every skill under `folders` (each subfolder holding a SKILL.md is one), keyed by its SKILL.md URI."""
    skills: dict[str, Skill] = {}
    for folder in folders:
        if not folder.is_dir():
            raise SkillError(f"{folder}: the skills folder does not exist")
        for candidate in sorted(folder.iterdir()):
            if (candidate / SKILL_FILE).is_file():
                skill = read_skill(candidate)
                if skill.uri in skills:
                    raise SkillError(f"{candidate}: a skill named {skill.name!r} is served already")
                skills[skill.uri] = skill
    return dict(sorted(skills.items()))


def read_skill(folder: Path) -> Skill:
    """The skill in `folder`, checked against the rules of the format and the extension."""
    name = folder.name
    if not NAME.fullmatch(name):
        raise SkillError(f"{folder}: a skill's folder name is its name: 1-64 of a-z, 0-9 and single inner hyphens")
    frontmatter = front_matter((folder / SKILL_FILE).read_text(encoding="utf-8"), folder)
    if frontmatter["name"] != name:
        raise SkillError(f"{folder}: SKILL.md names it {frontmatter['name']!r}; its folder must have that name")
    uri = f"{SCHEME}{name}/{SKILL_FILE}"
    files = tuple(_file(folder, path, uri.removesuffix(SKILL_FILE)) for path in _paths(folder))
    if len(files) > MAX_FILES or sum(len(f.content) for f in files) > MAX_BYTES:
        raise SkillError(f"{folder}: a skill holds at most {MAX_FILES} files and {MAX_BYTES} bytes")
    return Skill(name, uri, frontmatter, files)


def front_matter(text: str, folder: Path) -> dict[str, Any]:
    """The YAML front matter of a SKILL.md as a JSON object; it must name the skill and describe it."""
    block = FRONT_MATTER.match(text)
    try:
        data = yaml.safe_load(block.group(1)) if block else None
    except yaml.YAMLError as error:
        raise SkillError(f"{folder}: SKILL.md's front matter is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise SkillError(f"{folder}: SKILL.md must begin with YAML front matter between --- lines")
    for field in ("name", "description"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise SkillError(f"{folder}: SKILL.md's front matter needs a {field}")
    return json.loads(json.dumps(data, default=str))  # dates and the like as text, as JSON carries them


def _paths(folder: Path) -> list[Path]:
    """The skill's files, SKILL.md first, then the rest in order; hidden files and links are left out."""
    found = [
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(folder).parts)
    ]
    return sorted(found, key=lambda path: (path.relative_to(folder).as_posix() != SKILL_FILE, path.as_posix()))


def _file(folder: Path, path: Path, prefix: str) -> SkillFile:
    relative = path.relative_to(folder).as_posix()
    if not SAFE_PATH.fullmatch(relative):
        raise SkillError(f"{path}: file names in a skill are limited to URI-safe characters")
    mime_type = "text/markdown" if path.suffix == ".md" else mimetypes.guess_type(path.name)[0]
    return SkillFile(prefix + relative, path.read_bytes(), mime_type or "application/octet-stream")
