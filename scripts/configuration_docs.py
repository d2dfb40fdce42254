"""Write docs/configuration.md from config/settings.py, the one place every setting is defined.

    .venv/bin/python scripts/configuration_docs.py          # rewrite the page
    .venv/bin/python scripts/configuration_docs.py --check  # exit 1 if the page is out of step

tests/config/test_settings.py runs the check, so a setting added without this page fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import GROUPS, GUNICORN_SETTINGS, PROVIDER_FIELDS, Setting  # noqa: E402

PAGE = ROOT / "docs" / "configuration.md"
INTRO = """# Configuration

Every setting is read from the environment; `wsgi.py` (what gunicorn and `flask` load) also
reads `.env`. Each is defined once, in `config/settings.py`, and `.env.example` lists them
all with a comment each. Production refuses to start, naming each problem, on a missing or
unsafe value (`config/checks.py`).

This page is generated from `config/settings.py` by `scripts/configuration_docs.py`; edit
that module, then run the script.
"""


def render() -> str:
    parts = [INTRO]
    for title, settings in GROUPS.items():
        parts.append(_table(f"## {title}", settings))
    several = [Setting(f"OAUTH_<NAME>_{field}", help) for field, help in PROVIDER_FIELDS.items()]
    parts.append(
        _table(
            "### Several providers at once\n\nWith `OAUTH_PROVIDERS=a,b`, each name reads the same variables under its"
            " own prefix, and the unprefixed `OAUTH_*` ones are ignored (see [providers.md](providers.md)).",
            several,
        )
    )
    gunicorn = "## gunicorn\n\nRead by `gunicorn.conf.py`, from the environment or `.env`"
    gunicorn += " (`GUNICORN_CMD_ARGS` still wins)."
    parts.append(_table(gunicorn, GUNICORN_SETTINGS))
    return "\n".join(parts)


def _table(heading: str, settings: tuple[Setting, ...] | list[Setting]) -> str:
    rows = [heading, "", "| variable | default | meaning |", "|---|---|---|"]
    for setting in settings:
        default = setting.shown or (f"`{setting.default}`" if setting.default else "")
        rows.append(f"| `{setting.name}` | {default} | {setting.help} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text() != page:
            print(f"{PAGE.relative_to(ROOT)} is out of step: run {Path(__file__).relative_to(ROOT)}", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
