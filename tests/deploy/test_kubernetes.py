"""deploy/kubernetes: every manifest valid against the Kubernetes API schemas, and the traps people fall into avoided.

No cluster runs here: the manifests are checked against the API's OpenAPI schemas (kubernetes-validate, strict:
an unknown field is an error) for the oldest and newest Kubernetes it knows, and against what the app needs
(probes, the root routes of the discovery documents, streaming, migrations once, settings from one source).
"""

from __future__ import annotations

import importlib.util
import io
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dotenv import dotenv_values

from config.settings import GUNICORN_SETTINGS, SETTINGS, VERSION
from tests.support.servers import ROOT

KUBERNETES = ROOT / "deploy" / "kubernetes"
#: The Kubernetes versions the manifests must be valid for: a supported old one, and the newest known.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
DEFAULTS = {setting.name: setting.default for setting in (*SETTINGS, *GUNICORN_SETTINGS)}


def manifests() -> dict[str, dict[str, Any]]:
    """Every resource, by kind (each kind appears once)."""
    found = {}
    for path in sorted(KUBERNETES.glob("*/*.yaml")):
        if path.name != "kustomization.yaml":
            document = yaml.safe_load(path.read_text())
            assert document["kind"] not in found, f"{document['kind']} twice"
            found[document["kind"]] = document
    return found


def env_file(path: Path) -> dict[str, str]:
    """The pairs of an env file as kustomize's generators read them: NAME=value lines, comments skipped."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(pairs)


def generated():
    spec = importlib.util.spec_from_file_location("kubernetes_settings", ROOT / "scripts" / "kubernetes_settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pod_of(kind: str) -> dict[str, Any]:
    return manifests()[kind]["spec"]["template"]["spec"]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_for_the_api(version: str) -> None:
    kinds = manifests()
    assert set(kinds) == {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                          "NetworkPolicy", "Job"}  # fmt: skip
    for document in kinds.values():
        kubernetes_validate.validate(document, version, strict=True)  # raises on any error
    settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mcp-server-settings"}}
    kubernetes_validate.validate(settings | {"data": env_file(KUBERNETES / "base" / "settings.env")}, version, True)


def test_the_kustomizations_name_every_file_and_only_files_that_are_there() -> None:
    for directory in ("base", "app", "migrate"):
        kustomization = yaml.safe_load((KUBERNETES / directory / "kustomization.yaml").read_text())
        listed = kustomization.get("resources", [])
        assert all((KUBERNETES / directory / entry).exists() for entry in listed), listed
        present = {path.name for path in (KUBERNETES / directory).glob("*.yaml")} - {"kustomization.yaml"}
        assert present == {entry for entry in listed if entry.endswith(".yaml")}, directory
        assert directory == "base" or "../base" in listed


def test_the_settings_come_from_config_settings_and_secrets_never_sit_in_the_config_map() -> None:
    module = generated()
    written = KUBERNETES / "base" / "settings.env"
    assert written.read_text() == module.settings_env(dotenv_values(written)), "run scripts/kubernetes_settings.py"
    assert (KUBERNETES / "base" / "secret.env.example").read_text() == module.secret_env_example(), "run the script"
    config_map, secrets = env_file(written), env_file(KUBERNETES / "base" / "secret.env.example")
    unset = set(re.findall(r"^# ([A-Z0-9_]+)=$", written.read_text(), re.MULTILINE))
    secret_names = {setting.name for setting in SETTINGS if setting.secret}
    assert set(secrets) == secret_names and not (set(config_map) | unset) & secret_names
    assert set(config_map) | unset | secret_names == set(DEFAULTS) and not set(config_map) & unset
    assert all(config_map.values())  # set but empty is not unset (prometheus-client, for one, tells them apart)
    assert not any(value for value in secrets.values())  # the example holds names only
    assert config_map["APP_ENV"] == "production" and config_map["TRUSTED_PROXY_HOPS"] == "1"
    assert (ROOT / ".gitignore").read_text().count("deploy/kubernetes/base/secret.env") == 1
    assert "deploy/kubernetes/base/secret.env" in (ROOT / ".dockerignore").read_text()


def test_every_setting_that_looks_like_a_credential_is_marked_secret() -> None:
    """A new setting named like a credential cannot land in the ConfigMap by omission."""
    credential = re.compile(r"SECRET|PASSWORD|_KEY$|HEADERS|_TOKENS?$|_URL$")
    public_urls = {"PUBLIC_URL", "OAUTH_CALLBACK_URL", "OAUTH_SERVER_METADATA_URL", "OAUTH_AUTHORIZATION_URL",
                   "OAUTH_TOKEN_URL", "OAUTH_USER_INFO_URL"}  # fmt: skip
    looks_secret = {s.name for s in SETTINGS if credential.search(s.name)} - public_urls
    assert looks_secret == {s.name for s in SETTINGS if s.secret}


def test_values_edited_in_the_settings_are_kept_when_they_are_written_again() -> None:
    module = generated()
    edited = {"PUBLIC_URL": "https://mcp.corp.example", "OAUTH_PROVIDER": "okta", "LOG_FORMAT": ""}
    again = dotenv_values(stream=io.StringIO(module.settings_env(edited)))
    assert again["PUBLIC_URL"] == "https://mcp.corp.example" and again["OAUTH_PROVIDER"] == "okta"
    assert again["LOG_FORMAT"] == "json"  # emptied: back to the cluster's value


def test_probes_ask_what_they_should() -> None:
    """Liveness never touches a store (a database blip must not restart every pod); readiness asks them."""
    [server] = pod_of("Deployment")["containers"]
    assert server["livenessProbe"]["httpGet"]["path"] == "/health"
    assert server["startupProbe"]["httpGet"]["path"] == "/health"
    assert server["readinessProbe"]["httpGet"]["path"] == "/status"
    port = int(env_file(KUBERNETES / "base" / "settings.env")["GUNICORN_BIND"].rsplit(":", 1)[1])
    assert server["ports"] == [{"name": "http", "containerPort": port}]


def test_the_discovery_documents_and_endpoints_are_routed_at_the_root_unbuffered() -> None:
    ingress = manifests()["Ingress"]
    [rule] = ingress["spec"]["rules"]
    paths = {(path["path"], path["pathType"]): path["backend"]["service"] for path in rule["http"]["paths"]}
    for root in ("/.well-known", "/oauth", "/auth", "/mcp", "/"):
        assert paths[(root, "Prefix")] == {"name": "mcp-server", "port": {"name": "http"}}, root
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > int(DEFAULTS["MCP_CLIENT_TIMEOUT"])
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"
    assert int(DEFAULTS["MAX_CONTENT_LENGTH"]) == 1024 * 1024
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]
    assert env_file(KUBERNETES / "base" / "settings.env")["PUBLIC_URL"] == f"https://{rule['host']}"


def test_images_are_pinned_to_this_release_and_run_as_the_images_user_read_only() -> None:
    uid = int(re.search(r"useradd .*--uid (\d+)", (ROOT / "Dockerfile").read_text()).group(1))
    for kind in ("Deployment", "Job"):
        pod = pod_of(kind)
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == uid
        assert pod["automountServiceAccountToken"] is False
        [container] = pod["containers"]
        image, tag = container["image"].rsplit(":", 1)
        assert tag == VERSION and tag != "latest", container["image"]
        restricted = container["securityContext"]
        assert restricted["readOnlyRootFilesystem"] is True and restricted["allowPrivilegeEscalation"] is False
        assert restricted["capabilities"]["drop"] == ["ALL"]
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert {"requests", "limits"} <= container["resources"].keys() and "memory" in container["resources"]["limits"]
        assert [source for ref in container["envFrom"] for source in ref] == ["configMapRef", "secretRef"]
    assert pod_of("Deployment")["containers"][0]["image"] == pod_of("Job")["containers"][0]["image"]


def test_migrations_run_once_per_release_and_pods_stop_gracefully() -> None:
    job, deployment = pod_of("Job"), manifests()["Deployment"]
    assert job["containers"][0]["command"] == ["flask", "--app", "wsgi", "db", "upgrade"]
    assert "flask --app wsgi db upgrade" in (ROOT / "Dockerfile").read_text()  # the command the image documents
    assert job["restartPolicy"] == "Never" and "initContainers" not in deployment["spec"]["template"]["spec"]
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it
    pod = pod_of("Deployment")
    stop = pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    assert pod["terminationGracePeriodSeconds"] > int(stop[-1]) + int(DEFAULTS["GUNICORN_GRACEFUL_TIMEOUT"])


def test_the_autoscaler_budget_service_and_policy_find_the_pods() -> None:
    kinds = manifests()
    labels = kinds["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert kinds["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert kinds["Service"]["spec"]["selector"].items() <= labels.items()
    assert kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert kinds["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    target = kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", kinds["Deployment"]["metadata"]["name"])
    assert (
        kinds["HorizontalPodAutoscaler"]["spec"]["minReplicas"] > kinds["PodDisruptionBudget"]["spec"]["minAvailable"]
    )
    [allowed] = kinds["NetworkPolicy"]["spec"]["ingress"]
    assert allowed["ports"] == [{"protocol": "TCP", "port": 8000}]
