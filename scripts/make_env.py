"""Write `.env` from `.env.example` for production: fresh secrets, the identity provider and the public URL.

SECRET_KEY and UPSTREAM_TOKEN_KEY are generated here, never typed; the provider and
PUBLIC_URL are asked for (or given as options). An existing `.env` is never overwritten.
Then the production start-up checks run on what was written, and say what is still
missing (the provider's client id and secret, at least: they come from its console).

    make env                      # asks
    .venv/bin/python scripts/make_env.py --provider okta --public-url https://mcp.example.com
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import ConfigError, load_config  # noqa: E402 - the repository root is on the path only now
from config.settings import PROVIDER_TYPES  # noqa: E402

#: The providers production may use (the development sign-in never runs there).
PROVIDERS = tuple(name for name in PROVIDER_TYPES if name != "dev")


def main(argv: list[str] | None = None, ask: Callable[[str], str] = input) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=PROVIDERS, help="the identity provider people sign in with")
    parser.add_argument("--public-url", help="the https:// address people and clients use")
    parser.add_argument("--path", type=Path, default=ROOT / ".env", help="where to write (default: .env)")
    args = parser.parse_args(argv)
    if args.path.exists():
        print(f"{args.path} exists already: left as it is (move it away to make a new one).", file=sys.stderr)
        return 1
    if args.public_url and not args.public_url.startswith("https://"):
        parser.error("--public-url must start with https:// (production serves people over TLS)")
    provider = args.provider or _asked(ask, f"Identity provider ({', '.join(PROVIDERS)})", PROVIDERS)
    public_url = args.public_url or _asked(ask, "Public URL (https://...)", None)
    values = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "UPSTREAM_TOKEN_KEY": Fernet.generate_key().decode(),
        "OAUTH_PROVIDER": provider,
        "PUBLIC_URL": public_url.rstrip("/"),
    }
    _write(args.path, filled((ROOT / ".env.example").read_text(), values))
    print(f"Wrote {args.path}, with a new SECRET_KEY and UPSTREAM_TOKEN_KEY (readable by you only).")
    problems = still_missing(args.path)
    if problems:
        print("Before production starts, set in it:\n" + "\n".join(f"  - {problem}" for problem in problems))
    else:
        print("The production start-up checks pass.")
    return 0


def filled(example: str, values: dict[str, str]) -> str:
    """`example` with the first `NAME=` line of each of `values` set; comments and the rest as they are."""
    pending = dict(values)
    lines = []
    for line in example.splitlines(keepends=True):
        match = re.match(r"([A-Z0-9_]+)=", line)
        if match and match.group(1) in pending:
            line = f"{match.group(1)}={pending.pop(match.group(1))}\n"
        lines.append(line)
    lines += [f"{name}={value}\n" for name, value in pending.items()]  # a setting the example lacks
    return "".join(lines)


def still_missing(path: Path) -> list[str]:
    """What the production start-up checks refuse in the file at `path` (nothing: it would start)."""
    environ = {name: value or "" for name, value in dotenv_values(path).items()}
    try:
        load_config(environ | {"APP_ENV": "production"}, str(ROOT / "instance"))
    except ConfigError as error:
        return error.problems
    return []


def _asked(ask: Callable[[str], str], question: str, choices: tuple[str, ...] | None) -> str:
    """Ask until the answer is one of `choices` (or, without choices, an https:// URL)."""
    while True:
        answer = ask(f"{question}: ").strip()
        if (choices and answer in choices) or (not choices and answer.startswith("https://")):
            return answer
        print(f"  not one of {', '.join(choices)}" if choices else "  it must start with https://")


def _write(path: Path, text: str) -> None:
    """Write `text` to a new file that only its owner may read (it holds secrets)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except (EOFError, KeyboardInterrupt):
        print("\nNothing written.", file=sys.stderr)
        raise SystemExit(1) from None
