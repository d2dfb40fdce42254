"""deploy/docker-compose.yml resolves (podman-compose config), and describes the topology the production tests run.

tests/production/test_https_proxy.py runs nginx with deploy/nginx.conf in front of gunicorn (the Dockerfile's
command), on PostgreSQL with Redis sessions and one trusted proxy hop, after the migrations; the compose file must
say the same, and the image it runs is the one tests/deploy/test_image.py builds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from config.settings import GUNICORN_SETTINGS, VERSION
from tests.support import services
from tests.support.image import documented_migration
from tests.support.servers import ROOT

COMPOSE = ROOT / "deploy" / "docker-compose.yml"
PODMAN_COMPOSE = Path(sys.executable).parent / "podman-compose"


def resolved(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """`podman-compose config` in a copy of the project's layout (deploy/ beside a .env), as a person runs it."""
    (tmp_path / "deploy").mkdir(parents=True)
    for name in ("docker-compose.yml", "nginx.conf"):
        shutil.copy(ROOT / "deploy" / name, tmp_path / "deploy" / name)
    (tmp_path / ".env").write_text("SECRET_KEY=set-in-the-env-file\n")
    command = [str(PODMAN_COMPOSE), "-f", "deploy/docker-compose.yml", "config"]
    env = {"PATH": "/usr/bin:/bin", **environment}
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def stack(tmp_path: Path) -> dict:
    services.require(shutil.which("podman") is not None, "podman (podman-compose asks it its version)")
    done = resolved(tmp_path, POSTGRES_PASSWORD="0123abcd")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_it_follows_the_compose_specification() -> None:
    """podman-compose resolves what it understands and ignores the rest: the schema catches a misspelt key."""
    schema = json.loads((ROOT / "tests" / "support" / "compose" / "compose-spec.json").read_text())
    errors = [
        error.message for error in jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(COMPOSE.read_text()))
    ]
    assert errors == []
    misspelt = yaml.safe_load(COMPOSE.read_text())
    misspelt["services"]["app"]["helthcheck"] = misspelt["services"]["app"].pop("healthcheck")
    assert list(jsonschema.Draft7Validator(schema).iter_errors(misspelt))


def test_it_resolves_and_refuses_to_without_a_database_password(stack: dict, tmp_path: Path) -> None:
    assert set(stack["services"]) == {"postgres", "redis", "migrate", "app", "nginx"}
    assert set(stack["volumes"]) == {"postgres-data", "redis-data"}
    missing = resolved(tmp_path / "again")
    assert missing.returncode != 0 and "set POSTGRES_PASSWORD" in missing.stdout + missing.stderr


def test_the_app_runs_the_image_as_the_production_tests_run_it(stack: dict) -> None:
    app, migrate = stack["services"]["app"], stack["services"]["migrate"]
    for service in (app, migrate):
        assert service["image"] == f"mcp-server:{VERSION}" and service["build"]["dockerfile"] == "Dockerfile"
        environment = service["environment"]
        assert environment["APP_ENV"] == "production" and environment["TRUSTED_PROXY_HOPS"] == "1"
        assert environment["DATABASE_URL"] == "postgresql://mcp:0123abcd@postgres:5432/mcp"
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert "command" not in app  # the Dockerfile's CMD: gunicorn --config gunicorn.conf.py wsgi:app
    assert migrate["command"] == documented_migration()
    healthcheck = re.search(r"^HEALTHCHECK .* CMD (\[.*\])$", dockerfile(), re.MULTILINE)[1]
    assert app["healthcheck"]["test"] == ["CMD", *yaml.safe_load(healthcheck)]
    assert app["expose"] == ["8000"] and "ports" not in app  # nginx is the way in
    assert app["read_only"] is True and app["tmpfs"] == ["/tmp"]  # as tests/deploy/test_image.py runs it
    graceful = next(s.default for s in GUNICORN_SETTINGS if s.name == "GUNICORN_GRACEFUL_TIMEOUT")
    assert int(app["stop_grace_period"].rstrip("s")) > int(graceful)


def test_each_service_starts_once_what_it_needs_is_ready(stack: dict) -> None:
    services = stack["services"]
    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["app"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["nginx"]["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert all("healthcheck" in services[name] for name in ("postgres", "redis", "app"))
    assert services["migrate"]["restart"] == "no"


def test_nginx_serves_the_tested_configuration_with_only_the_upstream_changed(stack: dict) -> None:
    nginx = stack["services"]["nginx"]
    mounted = {volume.split(":")[1] for volume in nginx["volumes"]}
    assert {"/etc/nginx/mcp.conf.in", "/etc/nginx/certs"} <= mounted
    script = " ".join(nginx["command"])
    upstream = re.search(r"s/(server 127\.0\.0\.1:8000;)/server app:8000;/", script)
    assert upstream and (ROOT / "deploy" / "nginx.conf").read_text().count(upstream[1]) == 1
    assert sorted(nginx["ports"]) == ["443:443", "80:80"]
