"""Skills over MCP (io.modelcontextprotocol/skills): the shipped skill, the methods, and the rules at start-up."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml

from app.mcp.skills.catalog import SkillError
from tests.mcp.conftest import TOKEN
from tests.support.mcp_client import McpActions

SKILL = "skill://server-tools/SKILL.md"
FOLDER = Path(__file__).resolve().parents[2] / "app" / "skills" / "server-tools"
EXTENSION = "io.modelcontextprotocol/skills"


def result_of(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_the_extension_is_declared_in_both_eras(mcp):
    assert result_of(mcp.modern("server/discover"))["capabilities"]["extensions"][EXTENSION] == {"directoryRead": True}
    initialized = mcp.post(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        }
    )
    assert result_of(initialized)["capabilities"]["extensions"][EXTENSION] == {"directoryRead": True}


def test_the_listing_gives_front_matter_and_each_files_digest_and_size(mcp):
    listed = result_of(mcp.modern("skills/list"))
    assert listed["ttlMs"] == 0 and listed["cacheScope"] == "private" and "nextCursor" not in listed
    [entry] = [skill for skill in listed["skills"] if skill["uri"] == SKILL]
    manifest = (FOLDER / "SKILL.md").read_text()
    assert entry["frontmatter"] == yaml.safe_load(manifest.split("---\n")[1])
    files = {"SKILL.md": FOLDER / "SKILL.md", "references/tools.md": FOLDER / "references" / "tools.md"}
    expected = [
        {
            "uri": f"skill://server-tools/{name}",
            "digest": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(),
            "size": path.stat().st_size,
        }
        for name, path in files.items()
    ]
    assert entry["resources"] == expected


def test_get_answers_for_a_skill_and_refuses_other_uris(mcp):
    got = result_of(mcp.modern("skills/get", {"uri": SKILL}))
    assert got["skill"]["uri"] == SKILL and "nextCursor" not in got and got["cacheScope"] == "private"
    for params in ({"uri": "skill://nothing-here/SKILL.md"}, {"uri": "skill://server-tools"}, {}, {"uri": 7}):
        refused = mcp.modern("skills/get", params)
        assert refused.status_code == 400 and error_of(refused)["code"] == -32602, params


def test_skill_files_are_resources_as_the_listing_promised(mcp):
    resources = result_of(mcp.modern("resources/list"))["resources"]
    [manifest] = [r for r in resources if r["uri"] == SKILL]
    assert manifest["name"] == "server-tools" and manifest["mimeType"] == "text/markdown"
    assert manifest["description"].startswith("How to use this MCP server's example tools")
    for name in ("SKILL.md", "references/tools.md"):
        [content] = result_of(mcp.modern("resources/read", {"uri": f"skill://server-tools/{name}"}))["contents"]
        assert content["text"].encode() == (FOLDER / name).read_bytes() and content["mimeType"] == "text/markdown"


def test_a_directory_lists_its_direct_children(mcp):
    root = result_of(mcp.modern("resources/directory/read", {"uri": "skill://server-tools"}))["resources"]
    assert [(child["uri"], child["mimeType"]) for child in root] == [
        ("skill://server-tools/SKILL.md", "text/markdown"),
        ("skill://server-tools/references", "inode/directory"),
    ]
    inner = result_of(mcp.modern("resources/directory/read", {"uri": "skill://server-tools/references"}))
    assert [child["uri"] for child in inner["resources"]] == ["skill://server-tools/references/tools.md"]
    for uri in (SKILL, "skill://server-tools/nothing", "skill://other", "profile://me"):
        refused = mcp.modern("resources/directory/read", {"uri": uri})
        assert error_of(refused)["code"] == -32602, uri


def test_2025_sessions_get_the_methods_too(mcp):
    session = mcp.initialize()
    listed = mcp.legacy("skills/list", {}, session=session)
    assert SKILL in [skill["uri"] for skill in listed.get_json()["result"]["skills"]]


def write_skill(folder: Path, name: str, front: str, files: dict[str, str] | None = None) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "SKILL.md").write_text(f"---\n{front}\n---\n\nBody of {name}.\n")
    for path, text in (files or {}).items():
        (folder / name / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / name / path).write_text(text)


def test_listing_pages_never_split_an_entry(make_app, tmp_path):
    folder = tmp_path / "skills"
    for name in ("alpha", "beta", "gamma"):
        write_skill(folder, name, f"name: {name}\ndescription: The {name} skill.", {"notes/a.md": name})
    mcp = McpActions(make_app(MCP_STATIC_TOKENS=TOKEN, MCP_SKILL_PATHS=str(folder), MCP_PAGE_SIZE="2").test_client())
    first = result_of(mcp.modern("skills/list"))
    second = result_of(mcp.modern("skills/list", {"cursor": first["nextCursor"]}))
    uris = [skill["uri"] for skill in first["skills"] + second["skills"]]
    assert uris == [f"skill://{name}/SKILL.md" for name in ("alpha", "beta", "gamma")]
    assert all(len(skill["resources"]) == 2 for skill in first["skills"] + second["skills"])


def test_no_skills_no_extension(make_app, tmp_path):
    mcp = McpActions(make_app(MCP_STATIC_TOKENS=TOKEN, MCP_SKILL_PATHS=str(tmp_path)).test_client())
    assert EXTENSION not in result_of(mcp.modern("server/discover"))["capabilities"]["extensions"]
    assert error_of(mcp.modern("skills/list"))["code"] == -32601


@pytest.mark.parametrize(
    ("name", "front", "says"),
    [
        ("Bad_Name", "name: Bad_Name\ndescription: d", "folder name is its name"),
        ("two--hyphens", "name: two--hyphens\ndescription: d", "folder name is its name"),
        ("alpha", "name: beta\ndescription: d", "SKILL.md names it 'beta'"),
        ("alpha", "name: alpha", "needs a description"),
        ("alpha", "name: [unclosed", "not valid YAML"),
    ],
)
def test_a_skill_that_breaks_a_rule_stops_start_up(make_app, tmp_path, name, front, says):
    write_skill(tmp_path / "skills", name, front)
    with pytest.raises(SkillError, match=re.escape(says)):
        make_app(MCP_SKILL_PATHS=str(tmp_path / "skills"))


def test_a_skills_folder_named_in_settings_must_exist(make_app, tmp_path):
    with pytest.raises(SkillError, match="does not exist"):
        make_app(MCP_SKILL_PATHS=str(tmp_path / "missing"))


def test_a_manifest_without_front_matter_stops_start_up(make_app, tmp_path):
    (tmp_path / "skills" / "alpha").mkdir(parents=True)
    (tmp_path / "skills" / "alpha" / "SKILL.md").write_text("# No front matter\n")
    with pytest.raises(SkillError, match="must begin with YAML front matter"):
        make_app(MCP_SKILL_PATHS=str(tmp_path / "skills"))
