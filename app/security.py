"""Trust in proxy headers, CSRF protection, and the security headers of every response."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' https: data:",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
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
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Add the fixed security headers, and HSTS when the request came over https.

    Pages get them all; other responses (JSON on the API paths, the hot path of MCP
    clients) need only nosniff, which is set without searching the headers.
    """
    headers = response.headers
    if response.mimetype == "text/html":
        for name, value in HEADERS.items():
            headers.setdefault(name, value)
    else:
        headers["X-Content-Type-Options"] = "nosniff"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response
