"""Every setting of the application, defined once: its name, default and meaning.

Settings are read from the environment (and `.env`, which only `wsgi.py` and the
`flask` command load). `config.loader` turns them into Flask configuration;
`config.checks` refuses unsafe combinations. `docs/configuration.md` is generated from
this module (`scripts/configuration_docs.py`), `.env.example` lists the same names, and
tests keep all three in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable the application reads."""

    name: str
    help: str
    default: str = ""
    #: The default as the reference shows it, when it is worked out rather than fixed.
    shown: str = ""
    #: A credential, or what may hold one (a URL with a password): kept in a secret store, never in plain config.
    secret: bool = False


#: Suffixes of the provider variables. With one provider they follow `OAUTH_`
#: (`OAUTH_CLIENT_ID`); with several they follow `OAUTH_<NAME>_`
#: (`OAUTH_GITHUB_CLIENT_ID`).
PROVIDER_FIELDS: dict[str, str] = {
    "TYPE": "provider type when the name is not one (several providers only)",
    "CLIENT_ID": "client id registered with the provider",
    "CLIENT_SECRET": "client secret registered with the provider",
    "CALLBACK_URL": "redirect URI registered with the provider (default: PUBLIC_URL + /auth/callback)",
    "ISSUER": "OIDC issuer URL; discovery reads <issuer>/.well-known/openid-configuration",
    "SERVER_METADATA_URL": "OIDC discovery document URL, instead of OAUTH_ISSUER",
    "DOMAIN": "tenant host for auth0 and okta (or a GitHub Enterprise host)",
    "AUTHORIZATION_URL": "authorization endpoint, overriding discovery or the built-in one",
    "TOKEN_URL": "token endpoint, overriding discovery or the built-in one",
    "USER_INFO_URL": "user info endpoint, overriding discovery or the built-in one",
    "AUDIENCE": "API audience sent with the authorization request (auth0)",
    "SCOPE": "scopes to request (default: openid profile email; github: read:user user:email)",
    "ENTERPRISE": "true: accept its ID-JAGs at /oauth/token (enterprise-managed authorization; OIDC types only)",
}

#: Every setting, by the part of the application it concerns.
GROUPS: dict[str, tuple[Setting, ...]] = {
    "Basics": (
        Setting("APP_ENV", "development, testing or production; production refuses unsafe settings", "production"),
        Setting(
            "SECRET_KEY",
            "long random secret for CSRF tokens, signing and session-id hashes; required in production",
            shown="development: one made and kept in instance/secret-key",
            secret=True,
        ),
        Setting("SESSION_SECRET", "alias of SECRET_KEY (the name the original guide uses)", secret=True),
        Setting("PUBLIC_URL", "externally visible base URL, e.g. https://mcp.example.com; https in production"),
    ),
    "Storage": (
        Setting(
            "DATABASE_URL",
            "SQLAlchemy URL; postgresql://user:password@host/db for PostgreSQL (psycopg 3)",
            shown="SQLite instance/app.db",
            secret=True,
        ),
        Setting("REDIS_URL", "redis://host:6379/0: sessions, the shared store and rate limits in Redis", secret=True),
        Setting("SESSION_LIFETIME_HOURS", "how long a browser session lasts", "168"),
        Setting("SESSION_COOKIE_NAME", "name of the session cookie", "session"),
        Setting("SESSION_COOKIE_SECURE", "send the session cookie over https only", shown="true outside development"),
    ),
    "HTTP": (
        Setting("TRUSTED_PROXY_HOPS", "number of reverse proxies whose X-Forwarded-* headers are trusted", "0"),
        Setting("MAX_CONTENT_LENGTH", "largest request body accepted, in bytes (413 above)", "1048576"),
        Setting("PUBLIC_PATHS", "extra paths open without sign-in, comma-separated; a trailing / means a prefix"),
        Setting("API_PREFIXES", "path prefixes answered with JSON 401 instead of a sign-in redirect", "/api/"),
        Setting("LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR", "INFO"),
        Setting("LOG_FORMAT", "text, or json for one JSON object per line (each names its request id)", "text"),
    ),
    "MCP endpoint": (
        Setting("MCP_PATH", "path of the MCP endpoint; it has its own guard and never redirects", "/mcp"),
        Setting("MCP_TOOL_PACKAGES", "packages whose modules hold the tools, resources and prompts", "app.tools"),
        Setting(
            "MCP_SKILL_PATHS",
            "folders of skills (one subfolder with a SKILL.md per skill), comma-separated, from the project root;"
            " without skills the extension is not declared",
            "app/skills",
        ),
        Setting(
            "MCP_STATIC_TOKENS",
            "fixed bearer tokens for /mcp, comma-separated; development and tests only",
            secret=True,
        ),
        Setting(
            "MCP_ALLOWED_HOSTS",
            "Host values /mcp answers, comma-separated; an entry without a port allows any port",
            shown="PUBLIC_URL's host (and localhost outside production)",
        ),
        Setting(
            "MCP_ALLOWED_ORIGINS",
            "browser origins /mcp accepts, comma-separated",
            shown="PUBLIC_URL's origin (and localhost outside production)",
        ),
        Setting("MCP_SERVER_NAME", "the server name MCP clients see", "flask-mcp-server"),
        Setting("MCP_INSTRUCTIONS", "instructions for the client's model on how to use this server"),
        Setting("MCP_PAGE_SIZE", "items per page of tools/list, resources/list and prompts/list", "100"),
        Setting("MCP_CLIENT_TIMEOUT", "seconds a tool waits for a legacy client's answer or a person at a URL", "300"),
        Setting("MCP_SESSION_HOURS", "hours a legacy (initialize) MCP session lives after its last use", "24"),
        Setting(
            "MCP_MAX_STREAMS",
            "event streams open at once per worker process (an instance holds GUNICORN_WORKERS times this); 429 above",
            "500",
        ),
        Setting(
            "MCP_MAX_STREAMS_PER_CALLER",
            "event streams one caller may hold open at once, across every worker and instance; 429 above",
            "50",
        ),
        Setting("MCP_KEEPALIVE_SECONDS", "seconds between keep-alive comments on a quiet event stream", "15"),
        Setting(
            "MCP_TASK_TTL_SECONDS",
            "seconds a task (io.modelcontextprotocol/tasks) and its result are kept from its creation",
            "3600",
        ),
        Setting(
            "MCP_TASK_THREADS",
            "tasks one worker process runs at once; more wait their turn (status working), up to ten times as many",
            "16",
        ),
        Setting(
            "MCP_MAX_TASKS_PER_CALLER",
            "tasks one caller may have running or waiting at once, across every worker and instance; 429 above",
            "20",
        ),
    ),
    "Authorization server": (
        Setting("ACCESS_TOKEN_SECONDS", "lifetime of access tokens issued to MCP clients", "3600"),
        Setting("REFRESH_TOKEN_DAYS", "lifetime of refresh tokens; each use replaces the token", "30"),
        Setting("REFRESH_GRACE_SECONDS", "how long a rotated refresh token still works (concurrent refreshes)", "10"),
        Setting(
            "CONNECTION_EVENT_DAYS",
            "days of each client's way in the connection doctor shows (Connected apps, the CLI)",
            "7",
        ),
        Setting("AUDIT_DAYS", "days the audit log keeps tool calls and security events", "90"),
        Setting(
            "AUDIT_TOOL_CALLS", "record every tool call in the audit log: who, client, tool, outcome, time", "true"
        ),
        Setting("AUDIT_ARGUMENT_BYTES", "record tool arguments too, cut to this many bytes of JSON; 0 = never", "0"),
        Setting(
            "TOKEN_RETENTION_DAYS",
            "days a token is kept after it was revoked or could last be used; then housekeeping deletes it",
            "7",
        ),
        Setting("PERSONAL_TOKEN_MAX_DAYS", "longest lifetime a personal access token may have (1 to 3650)", "365"),
        Setting(
            "TOKEN_CACHE_SECONDS", "how long a worker trusts a verified token (revocation delay without Redis)", "30"
        ),
        Setting(
            "REGISTRATION_TOKEN",
            "initial access token required by /oauth/register; empty = open registration",
            secret=True,
        ),
        Setting(
            "CLIENT_IDLE_DAYS",
            "days after which a registration that never completed a grant is deleted (others stay until removed)",
            "30",
        ),
        Setting(
            "MACHINE_CLIENTS",
            "allow the client-credentials grant to clients added with `flask clients add --machine` (no person)",
            "false",
        ),
        Setting("EXTERNAL_ISSUER", "trust this MCP-ready authorization server instead of the built-in one"),
        Setting("EXTERNAL_AUDIENCE", "audience its tokens must carry", shown="this server's MCP URL"),
        Setting("EXTERNAL_JWKS_URI", "its JWKS URL", shown="found through its metadata"),
        Setting(
            "UPSTREAM_TOKEN_KEY",
            "Fernet key to keep people's identity-provider tokens, encrypted; empty = not kept",
            secret=True,
        ),
    ),
    "Rate limits": (
        Setting("REGISTRATION_RATE_LIMIT", "client registrations allowed per address", "20 per hour"),
        Setting("SIGN_IN_RATE_LIMIT", "sign-in attempts allowed per address", "30 per minute"),
        Setting("AUTHORIZE_RATE_LIMIT", "authorization requests allowed per address", "60 per minute"),
        Setting(
            "TOKEN_RATE_LIMIT", "token, revocation and introspection requests allowed per address", "120 per minute"
        ),
        Setting(
            "MCP_RATE_LIMIT", "requests to /mcp allowed per credential (per address without one)", "1200 per minute"
        ),
        Setting(
            "MCP_INVALID_TOKEN_RATE_LIMIT",
            "invalid bearer tokens /mcp takes per address; past it, unknown tokens are refused unread",
            "60 per minute",
        ),
    ),
    "Observability": (
        Setting("METRICS_TOKEN", "bearer token that may read /metrics (Prometheus); empty = no /metrics", secret=True),
        Setting(
            "PROMETHEUS_MULTIPROC_DIR",
            "where gunicorn workers keep the metrics /metrics sums (cleaned at start)",
            shown="a temporary directory, with METRICS_TOKEN",
        ),
        Setting(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTLP/HTTP collector to send traces to, e.g. http://localhost:4318; empty = no traces (the other"
            " OTEL_* variables work as the OpenTelemetry SDK documents them)",
        ),
        Setting("OTEL_SERVICE_NAME", "the service name traces carry", "flask-mcp-server"),
        Setting("ADMIN_EMAILS", "e-mail addresses of operators, who see /admin, comma-separated; verified ones only"),
        Setting(
            "ADMIN_ROLE_CLAIM",
            "claim of the identity provider's ID token or user info that holds roles or groups, e.g. groups,"
            " roles or realm_access.roles (a dotted path)",
        ),
        Setting("ADMIN_ROLE", "the role or group in ADMIN_ROLE_CLAIM that makes an operator, e.g. mcp-admins"),
    ),
    "Identity providers": (
        Setting(
            "OAUTH_PROVIDER",
            "one provider: auth0, google, okta, github, keycloak, oidc or dev",
            shown="dev in development",
        ),
        Setting("OAUTH_PROVIDERS", "several providers, comma-separated names, each with OAUTH_<NAME>_* variables"),
        Setting(
            "CONNECTION_PROVIDERS",
            "providers people connect to their account for tools, not to sign in: names, each with OAUTH_<NAME>_*"
            " variables (needs UPSTREAM_TOKEN_KEY)",
        ),
        *(
            Setting(f"OAUTH_{field}", help, secret=field == "CLIENT_SECRET")
            for field, help in PROVIDER_FIELDS.items()
            if field != "TYPE"
        ),
    ),
}
SETTINGS: tuple[Setting, ...] = tuple(setting for group in GROUPS.values() for setting in group)

#: What gunicorn.conf.py reads from the environment (gunicorn's own GUNICORN_CMD_ARGS still overrides).
GUNICORN_SETTINGS: tuple[Setting, ...] = (
    Setting("GUNICORN_BIND", "address to listen on", "127.0.0.1:8000"),
    Setting("GUNICORN_WORKERS", "worker processes (about one per core)", "2"),
    Setting(
        "GUNICORN_WORKER_CLASS",
        "gevent (an open stream costs memory, not a thread), or gthread (a stream holds one of GUNICORN_THREADS)",
        "gevent",
    ),
    Setting("GUNICORN_WORKER_CONNECTIONS", "connections a gevent worker holds at once, open streams included", "1000"),
    Setting("GUNICORN_THREADS", "threads per gthread worker: each request or open stream holds one", "4"),
    Setting("GUNICORN_TIMEOUT", "seconds a silent worker may take before it is restarted", "30"),
    Setting("GUNICORN_GRACEFUL_TIMEOUT", "seconds a worker has to finish on restart", "30"),
    Setting("GUNICORN_KEEPALIVE", "seconds a kept-alive connection waits for its next request", "5"),
    Setting("GUNICORN_FORWARDED_ALLOW_IPS", "proxy addresses that may set X-Forwarded-*", "127.0.0.1,::1"),
    Setting("GUNICORN_ACCESS_LOG", "access log: - for stdout, a file, or off", "-"),
)

#: What a true/false setting takes as true; anything else is false.
TRUE_WORDS = ("1", "true", "yes", "on")

#: Provider types this application knows how to sign in with.
PROVIDER_TYPES = ("auth0", "google", "okta", "github", "keycloak", "oidc", "dev")

#: The version `/status` reports.
VERSION = "0.1.0"

APP_ENVS = ("development", "testing", "production")
