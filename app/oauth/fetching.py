"""GET a URL a stranger chose, without letting it reach inside the network or hold the server.

Client ID metadata documents are fetched from whatever URL a client names, and the
authorization endpoint does it before anyone signs in. So: every address the name
resolves to must be public (loopback allowed outside production), the connection
goes to the checked address (no second lookup to rebind), no redirects, a size cap,
and one deadline on the whole fetch (name lookup, connection, headers, body). The
fetch runs in a thread of its own so the request can stop waiting at the deadline;
at most MAX_CONCURRENT_FETCHES run at once per process, one per URL, and more are
refused at once rather than queued.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import NamedTuple
from urllib.parse import SplitResult

import urllib3

from app.oauth.clients import ascii_host

MAX_BYTES = 10_000
#: Seconds the whole fetch may take, from the name lookup to the last byte of the body.
TIMEOUT_SECONDS = 5
#: Fetches in flight at once in one process.
MAX_CONCURRENT_FETCHES = 2

_slots = threading.BoundedSemaphore(MAX_CONCURRENT_FETCHES)
_in_flight: set[str] = set()
_in_flight_lock = threading.Lock()


class FetchError(Exception):
    """The URL could not be fetched, or was not allowed; says why."""


class Busy(FetchError):
    """Too many fetches are in flight to start this one; a later try may work."""


class Fetched(NamedTuple):
    status: int
    cache_control: str
    body: bytes


def get(parts: SplitResult, loopback_ok: bool) -> Fetched:
    """GET the http(s) URL `parts` under the deadline and caps above; raise FetchError (or Busy) if it fails."""
    if not _slots.acquire(blocking=False):
        raise Busy("too many client metadata documents are being fetched; try again in a moment")
    url = parts.geturl()
    with _in_flight_lock:
        if url in _in_flight:
            _slots.release()
            raise Busy("this URL is being fetched already; try again in a moment")
        _in_flight.add(url)
    download = Download(parts, loopback_ok)
    threading.Thread(target=download.run, args=(url,), name="fetch", daemon=True).start()
    if not download.done.wait(TIMEOUT_SECONDS):
        download.abort()
        raise FetchError(f"the URL did not answer within {TIMEOUT_SECONDS} s")
    if download.error is not None:
        raise download.error
    return download.result


class Download:
    """One GET, in its own thread, from the checked address, keeping the name for Host and TLS.

    Socket timeouts bound each read, not the whole: a server sending a byte a second
    would never trip them. The waiting thread calls `abort` at the deadline instead,
    which shuts the socket down under any read in progress. Until this thread ends,
    it keeps its place among the fetches in flight (a name lookup cannot be cut short).
    """

    def __init__(self, parts: SplitResult, loopback_ok: bool) -> None:
        self.parts, self.loopback_ok = parts, loopback_ok
        self.done, self.aborted = threading.Event(), False
        self.connection: urllib3.connection.HTTPConnection | None = None
        self.result = Fetched(0, "", b"")
        self.error: FetchError | None = None

    def run(self, url: str) -> None:
        try:
            self.result = self._get()
        except FetchError as error:
            self.error = error
        except Exception as error:  # refused, bad TLS, a malformed answer, a cut socket: all one to the caller
            self.error = FetchError(f"the URL could not be fetched ({type(error).__name__})")
        finally:
            self.done.set()
            if self.connection is not None:
                self.connection.close()
            with _in_flight_lock:
                _in_flight.discard(url)
            _slots.release()

    def abort(self) -> None:
        """Stop the fetch: a blocked read returns at once (the socket's own shutdown, not the TLS layer's)."""
        self.aborted = True
        sock = self.connection.sock if self.connection is not None else None
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass  # closed already

    def _get(self) -> Fetched:
        parts = self.parts
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        address = checked_address(host, port, self.loopback_ok)
        if parts.scheme == "https":
            self.connection = urllib3.connection.HTTPSConnection(
                address, port, server_hostname=host, assert_hostname=host, timeout=TIMEOUT_SECONDS
            )
        else:
            self.connection = urllib3.connection.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
        self.connection.connect()
        if self.aborted:
            raise FetchError("the fetch was given up")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        name = f"[{host}]" if ":" in host else ascii_host(host)  # an IPv6 address, or a name
        authority = name + (f":{parts.port}" if parts.port else "")
        headers = {"Host": authority, "Accept": "application/json"}
        self.connection.request("GET", path, headers=headers, preload_content=False)
        response = self.connection.getresponse()
        try:
            body = response.read(MAX_BYTES + 1, decode_content=True)
        finally:
            response.close()
        if len(body) > MAX_BYTES:
            raise FetchError(f"the document is larger than {MAX_BYTES} bytes")
        return Fetched(response.status, response.headers.get("Cache-Control", ""), body)


def checked_address(host: str, port: int, loopback_ok: bool) -> str:
    """Resolve `host`; every address must be public (or loopback, when allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError("the host does not resolve") from None
    addresses = {info[4][0] for info in infos}
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_loopback and loopback_ok:
            continue
        if not ip.is_global or ip.is_multicast:
            raise FetchError("the host resolves to a private or reserved address")
    return sorted(addresses)[0]
