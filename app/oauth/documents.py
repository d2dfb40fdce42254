"""Client ID metadata documents: a client whose id is an https URL describes itself there.

The document is fetched with SSRF defences: https only (plain http on loopback only
outside production), every address the name resolves to must be public (loopback
allowed outside production), the connection goes to the checked address (no second
lookup to rebind), no redirects, a size cap and a deadline. A fetched document is kept
as a client row and fetched again when its HTTP cache lifetime runs out.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.oauth.clients import LOOPBACK_HOSTS, redirect_problem
from app.oauth.models import OAuthClient, aware, utcnow

MAX_BYTES = 10_000
TIMEOUT_SECONDS = 5
#: Bounds on how long a fetched document is trusted, whatever its Cache-Control says.
MIN_CACHE, MAX_CACHE, DEFAULT_CACHE = timedelta(minutes=1), timedelta(days=1), timedelta(minutes=10)
MAX_AGE = re.compile(r"max-age=(\d+)")


class DocumentError(Exception):
    """The client id URL does not lead to a usable metadata document; says why."""


def is_document_id(client_id: str) -> bool:
    """Return whether `client_id` names a metadata document (a URL with a path)."""
    parts = urlsplit(client_id)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and parts.path not in ("", "/")


def load(client_id: str) -> OAuthClient:
    """Return the client described at `client_id`, fetching the document if needed."""
    row = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id))
    if row is not None and row.kind == "document" and aware(row.refresh_after) > utcnow():
        return row
    metadata, lifetime = fetch(client_id)
    row = row or OAuthClient(client_id=client_id, kind="document")
    row.metadata_json, row.refresh_after = json.dumps(metadata), utcnow() + lifetime
    db.session.add(row)
    db.session.commit()
    return row


def fetch(url: str) -> tuple[dict, timedelta]:
    """Fetch and check the document at `url`; return it and how long it may be cached."""
    parts = urlsplit(url)
    loopback_ok = current_app.config["APP_ENV"] != "production"
    if parts.scheme != "https" and not (loopback_ok and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        raise DocumentError("the client id must be an https URL")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _checked_address(parts.hostname or "", port, loopback_ok)
    status, cache_control, body = _get(parts, address)
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
    keep = ("client_id", "client_name", "client_uri", "logo_uri", "redirect_uris", "scope", "application_type")
    return {key: document[key] for key in keep if key in document} | {"token_endpoint_auth_method": "none"}


def _checked_address(host: str, port: int, loopback_ok: bool) -> str:
    """Resolve `host`; every address must be public (or loopback, outside production)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DocumentError("the client id's host does not resolve") from None
    addresses = {info[4][0] for info in infos}
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_loopback and loopback_ok:
            continue
        if not ip.is_global or ip.is_multicast:
            raise DocumentError("the client id's host resolves to a private or reserved address")
    return sorted(addresses)[0]


def _get(parts, address: str) -> tuple[int, str, bytes]:
    """GET the document from the checked address, keeping the name for Host and TLS."""
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    timeout = urllib3.Timeout(total=TIMEOUT_SECONDS)
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host, timeout=timeout)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc, "Accept": "application/json"}
    try:
        response = pool.urlopen("GET", path, headers=headers, redirect=False, retries=False, preload_content=False)
        body = response.read(MAX_BYTES + 1, decode_content=True)
    except urllib3.exceptions.HTTPError as error:
        raise DocumentError(f"the client id URL could not be fetched ({type(error).__name__})") from None
    finally:
        pool.close()
    if len(body) > MAX_BYTES:
        raise DocumentError(f"the document is larger than {MAX_BYTES} bytes")
    return response.status, response.headers.get("Cache-Control", ""), body


def _lifetime(cache_control: str) -> timedelta:
    if "no-store" in cache_control or "no-cache" in cache_control:
        return MIN_CACHE
    found = MAX_AGE.search(cache_control)
    lifetime = timedelta(seconds=int(found.group(1))) if found else DEFAULT_CACHE
    return max(MIN_CACHE, min(MAX_CACHE, lifetime))
