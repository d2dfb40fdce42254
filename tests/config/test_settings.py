"""Every setting is documented in `.env.example` and the generated docs/configuration.md; how the key is chosen."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from config.loader import load_config
from config.settings import GUNICORN_SETTINGS, PROVIDER_FIELDS, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
NAMES = {setting.name for setting in (*SETTINGS, *GUNICORN_SETTINGS)}


def test_env_example_lists_every_setting_with_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    assignment = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]+)=")
    commented = {
        match[1]
        for before, line in zip(lines, lines[1:], strict=False)
        if (match := assignment.match(line)) and before.startswith("# ") and not assignment.match(before)
    }
    assert NAMES <= commented, f"missing or without a comment: {sorted(NAMES - commented)}"


def test_env_example_holds_placeholders_only():
    text = (ROOT / ".env.example").read_text()
    for line in text.splitlines():
        if re.match(r"^(SECRET_KEY|SESSION_SECRET|OAUTH_\w*SECRET)=", line):
            assert line.split("=", 1)[1] in ("", "replace-me"), line


def test_the_configuration_reference_is_generated_from_the_settings():
    checked = subprocess.run(
        [sys.executable, "scripts/configuration_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    reference = (ROOT / "docs" / "configuration.md").read_text()
    documented = [*NAMES, *(s.name for s in GUNICORN_SETTINGS), *(f"OAUTH_<NAME>_{f}" for f in PROVIDER_FIELDS)]
    assert [name for name in documented if f"`{name}`" not in reference] == []


def test_development_keeps_its_generated_key_in_the_instance_folder(tmp_path):
    """Browser sessions are stored under a hash keyed with SECRET_KEY: a new random key at every reload of the
    development server would sign the developer out each time."""
    first = load_config({"APP_ENV": "development"}, str(tmp_path))["SECRET_KEY"]
    assert load_config({"APP_ENV": "development"}, str(tmp_path))["SECRET_KEY"] == first
    assert len(first) >= 48 and (tmp_path / "secret-key").stat().st_mode & 0o777 == 0o600
    assert load_config({"APP_ENV": "testing"}, str(tmp_path))["SECRET_KEY"] != first  # tests get one per app
    assert load_config({"APP_ENV": "development", "SECRET_KEY": "mine"}, str(tmp_path))["SECRET_KEY"] == "mine"
