"""Write the Kubernetes settings from config/settings.py: the ConfigMap's env file and the Secret's example.

deploy/kubernetes/base/settings.env holds every setting that is no secret, with its default
or the value Kubernetes wants (behind an ingress, JSON logs, listening on every address); one
without a value is left commented out, unset (set but empty is not unset to every reader).
Values edited there are kept when the file is written again. deploy/kubernetes/base/
secret.env.example names every secret one (copied to secret.env, which git ignores, and
filled in). kustomize makes them the ConfigMap and the Secret the pods read. A test keeps
both in step with the settings:

    .venv/bin/python scripts/kubernetes_settings.py
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import GUNICORN_SETTINGS, SETTINGS, Setting  # noqa: E402 - the root is on the path only now

BASE = ROOT / "deploy" / "kubernetes" / "base"
#: What runs differently in a cluster than the settings' defaults, and why.
IN_A_CLUSTER = {
    "APP_ENV": "production",
    "PUBLIC_URL": "https://mcp.example.com",  # the ingress's host
    "TRUSTED_PROXY_HOPS": "1",  # the ingress controller
    "LOG_FORMAT": "json",
    "GUNICORN_BIND": "0.0.0.0:8000",
    "GUNICORN_FORWARDED_ALLOW_IPS": "*",  # the controller's address changes; the NetworkPolicy admits only it
    "GUNICORN_KEEPALIVE": "75",  # longer than ingress-nginx keeps an idle upstream connection (60 s)
}
#: Secret settings whose names depend on others, which the example can only describe.
NAMED_ELSEWHERE = (
    "OAUTH_<NAME>_CLIENT_SECRET, for each provider of OAUTH_PROVIDERS and CONNECTION_PROVIDERS",
    "OTEL_EXPORTER_OTLP_HEADERS, when the trace collector wants an API key",
)
HEADER = (
    "# Made by scripts/kubernetes_settings.py from config/settings.py: edit the values (it keeps them), not the"
    " names.\n"
)


def settings_env(kept: Mapping[str, str | None] | None = None) -> str:
    """Every setting that is no secret, as kustomize's configMapGenerator reads them; the values in `kept` (the
    file as it was) win."""
    kept = kept or {}
    lines = [HEADER, "# docs/configuration.md says what each does.\n"]
    for setting in (*SETTINGS, *GUNICORN_SETTINGS):
        if not setting.secret:
            value = kept.get(setting.name) or IN_A_CLUSTER.get(setting.name, setting.default)
            line = f"{setting.name}={value}" if value else f"# {setting.name}="
            lines.append(f"# {_one_line(setting)}\n{line}\n")
    return "".join(lines)


def secret_env_example() -> str:
    """Every secret setting, empty, for secret.env (kustomize's secretGenerator)."""
    lines = [HEADER, "# Copy to secret.env (git ignores it) and fill in. `make env` writes a fresh SECRET_KEY and\n"]
    lines += ["# UPSTREAM_TOKEN_KEY into a new .env: copy them from there.\n"]
    lines += [f"# {_one_line(setting)}\n{setting.name}=\n" for setting in SETTINGS if setting.secret]
    lines += ["# Secret too, when you use them:\n", *(f"#   {name}\n" for name in NAMED_ELSEWHERE)]
    return "".join(lines)


def _one_line(setting: Setting) -> str:
    return setting.help + (f" (default: {setting.shown})" if setting.shown else "")


def main() -> int:
    path = BASE / "settings.env"
    path.write_text(settings_env(dotenv_values(path) if path.exists() else None))
    (BASE / "secret.env.example").write_text(secret_env_example())
    print(f"wrote {BASE / 'settings.env'} and {BASE / 'secret.env.example'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
