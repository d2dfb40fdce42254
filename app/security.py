"""Trust in proxy headers, CSRF protection, the security headers of every response, and the one reading of a
bearer credential."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from app import frame, hooks
from app.extensions import csrf

#: The policy of every page. frame-ancestors comes first: of two copies of a directive, browsers obey
#: the first, so nothing added to the policy can loosen it.
POLICY: dict[str, tuple[str, ...]] = {
    "frame-ancestors": ("'none'",),
    "default-src": ("'self'",),
    "img-src": ("'self'", "https:", "data:"),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
}
#: What a source added to the policy may be: a keyword, a scheme (`data:`), or `scheme://host[:port]`.
SOURCE = re.compile(r"'self'|'none'|[a-z][a-z0-9+.-]*:(//([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?)?")


def content_security_policy(**sources: tuple[str, ...]) -> str:
    """The policy, with `sources` added to some directives (`form_action=(origin,)`, `media_src=(...)`).

    A source that is not one (a `;` or a space would start a directive of its own) raises
    ValueError: callers build sources from parsed, checked URLs.
    """
    directives = dict(POLICY)
    for name, added in sources.items():
        directive = name.replace("_", "-")
        if directive == "frame-ancestors" or not all(SOURCE.fullmatch(source) for source in added):
            raise ValueError(f"not a source this policy takes for {directive}: {added!r}")
        directives[directive] = directives.get(directive, ()) + tuple(added)
    return "; ".join(f"{directive} {' '.join(values)}" for directive, values in directives.items())


CONTENT_SECURITY_POLICY = content_security_policy()
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Sign-in URLs carry codes and state: never hand them to another site. Same-site
    # requests keep theirs: over https, CSRF checks want a same-origin Referer.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Trust `TRUSTED_PROXY_HOPS` proxies, require CSRF tokens, add the headers."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        # Only the hops configured are trusted; with none, X-Forwarded-* is ignored, so
        # a client cannot make the app believe it was reached over https.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    csrf.init_app(app)
    # Flask-WTF checks every request by default; here only pages are checked (app.hooks), as its docs allow:
    # its own hook stands aside, and `check_form` calls `protect` with the exemptions applied.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    hooks.before(app, check_form, pages_only=True)
    frame.on_headers(app, security_headers)


def check_form(req: Request) -> None:
    """Refuse (400) a state-changing request to a page without this site's CSRF token (views marked
    `csrf.exempt` aside)."""
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and req.method in config["WTF_CSRF_METHODS"]:
        csrf.protect(apply_exemptions=True)


#: The headers `security_headers` adds, by kind of response: precomputed once.
PAGE_HEADERS = tuple(HEADERS.items())
OTHER_HEADERS = (("X-Content-Type-Options", "nosniff"),)
SECURE_HEADERS = (("Strict-Transport-Security", HSTS),)


def security_headers(environ: dict[str, Any], present: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The fixed security headers (app.frame adds those a response lacks), and HSTS when the request came over
    https (as ProxyFix left the scheme, for a trusted proxy).

    Pages get them all; other responses (JSON on the API paths, the hot path of MCP clients) need only nosniff.
    """
    page = present.get("content-type", "").partition(";")[0].strip().lower() == "text/html"
    fixed = PAGE_HEADERS if page else OTHER_HEADERS
    return fixed + SECURE_HEADERS if environ.get("wsgi.url_scheme") in ("https", "wss") else fixed


def kept_nowhere(response: Response) -> Response:
    """A page of a person's own account (tokens, apps, activity) or of everyone's (the operator page): no cache
    keeps it, and the browser asks again rather than showing it from its history."""
    response.headers["Cache-Control"] = "no-store"
    return response


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header ('' when it has none); None for no header or
    another scheme. The scheme is read in any case (RFC 7235), and spaces around the token are dropped."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
