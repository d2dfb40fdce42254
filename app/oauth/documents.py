"""Client ID metadata documents: a client whose id is an https URL describes itself there.

The document is fetched with the defences of `app.oauth.fetching` (public addresses
only, no redirects, a size cap, one deadline, fetches in flight capped), over https
only (plain http on loopback only outside production). A fetched document is kept
as a client row and fetched again when its HTTP cache lifetime runs out; a failed
fetch is remembered for FAILURE_CACHE_SECONDS in the shared store, so the same id
is refused meanwhile without another fetch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from sqlalchemy import select

from app import kv
from app.clock import aware, utcnow
from app.errors import store_errors
from app.extensions import db, this_app
from app.oauth import events, fetching
from app.oauth.clients import https_problem, redirect_problem
from app.oauth.fetching import Busy, FetchError
from app.oauth.models import OAuthClient
from app.urls import LOOPBACK_HOSTS

#: Seconds a failed fetch is remembered.
FAILURE_CACHE_SECONDS = 30
#: Bounds on how long a fetched document is trusted, whatever its Cache-Control says.
MIN_CACHE, MAX_CACHE, DEFAULT_CACHE = timedelta(minutes=1), timedelta(days=1), timedelta(minutes=10)
MAX_AGE = re.compile(r"max-age=(\d+)")


class DocumentError(FetchError):
    """The client id URL does not lead to a usable metadata document; says why."""


def is_document_id(client_id: str) -> bool:
    """Return whether `client_id` names a metadata document (a URL with a path)."""
    parts = urlsplit(client_id)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and parts.path not in ("", "/")


def load(client_id: str) -> OAuthClient:
    """Return the client described at `client_id`, fetching the document if needed.

    Raises FetchError (a DocumentError when the document itself is wrong). A fetch that
    failed a moment ago fails again at once, with the same reason.
    """
    row = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id))
    if row is not None and row.kind == "document" and aware(row.refresh_after) > utcnow():
        return row
    failure_key = "document-failed:" + hashlib.sha256(client_id.encode()).hexdigest()
    failed = _remembered(lambda: kv.store().get(failure_key))
    if failed is not None:
        raise DocumentError(failed["reason"])
    try:
        metadata, lifetime = fetch(client_id, (request.remote_addr or "") if has_request_context() else "")
    except Busy:
        raise
    except FetchError as error:
        failure = {"reason": str(error)}
        _remembered(lambda: kv.store().set(failure_key, failure, FAILURE_CACHE_SECONDS))
        raise
    first = row is None
    row = row or OAuthClient(client_id=client_id, kind="document")
    row.metadata_json, row.refresh_after = json.dumps(metadata), utcnow() + lifetime
    db.session.add(row)
    db.session.commit()
    if first:  # its first use is what a registration is to other clients (the audit log)
        name = metadata.get("client_name") or client_id
        events.record("registration", True, f"registered through its client metadata document as {name}", client_id)
    return row


def _remembered(use_store: Callable[[], dict | None]):
    """Read or write the failure cache; a store that is down makes it a miss (the fetch itself does not need it)."""
    try:
        return use_store()
    except store_errors(this_app()) as error:
        current_app.logger.warning("metadata document failures not remembered: %s", type(error).__name__)
        db.session.rollback()
        return None


def fetch(url: str, requester: str = "") -> tuple[dict, timedelta]:
    """Fetch and check the document at `url` for the client at address `requester`; return it and how long it
    may be cached (raises FetchError)."""
    parts = urlsplit(url)
    loopback_ok = current_app.config["APP_ENV"] != "production"
    if parts.scheme != "https" and not (loopback_ok and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise DocumentError("the client id must be an https URL")
    status, cache_control, body = fetching.get(parts, loopback_ok, requester)
    if status != 200:
        raise DocumentError(f"the client id URL answered HTTP {status}")
    try:
        document = json.loads(body)
    except ValueError:
        raise DocumentError("the client id URL did not return JSON") from None
    return validate(document, url), _lifetime(cache_control)


def validate(document: object, url: str) -> dict:
    """Check a document's required fields; its `client_id` must be the URL itself."""
    if not isinstance(document, dict) or document.get("client_id") != url:
        raise DocumentError("the document's client_id must equal its URL")
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or len(uris) > 10:
        raise DocumentError("the document needs 1 to 10 redirect_uris")
    for uri in uris:
        if problem := redirect_problem(uri, document.get("application_type", "native")):
            raise DocumentError(f"redirect URI {uri!r} {problem}")
    method = document.get("token_endpoint_auth_method", "none")
    if method != "none":
        raise DocumentError("a metadata-document client authenticates with 'none' (PKCE)")
    name = document.get("client_name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise DocumentError("client_name must be a string of at most 200 characters")
    for key in ("client_uri", "logo_uri"):
        if key in document and (problem := https_problem(document[key])):
            raise DocumentError(f"{key} {problem}")
    keep = ("client_id", "client_name", "client_uri", "logo_uri", "redirect_uris", "scope", "application_type")
    return {key: document[key] for key in keep if key in document} | {"token_endpoint_auth_method": "none"}


def _lifetime(cache_control: str) -> timedelta:
    if "no-store" in cache_control or "no-cache" in cache_control:
        return MIN_CACHE
    found = MAX_AGE.search(cache_control)
    lifetime = timedelta(seconds=int(found.group(1))) if found else DEFAULT_CACHE
    return max(MIN_CACHE, min(MAX_CACHE, lifetime))
