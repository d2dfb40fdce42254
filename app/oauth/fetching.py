"""GET a URL a stranger chose, without letting it reach inside the network or hold the server.

Client ID metadata documents are fetched from whatever URL a client names, and the
authorization endpoint does it before anyone signs in. So: every address the name
resolves to must be public (loopback allowed outside production), the connection
goes to the checked address (no second lookup to rebind), no redirects, a size cap,
and one deadline on the whole fetch: the name lookup (dnspython, which takes a time
limit, unlike the system resolver), the connection, the headers and the body. The
fetch runs in a thread of its own so that the request can stop waiting at the
deadline and cut the connection. At most MAX_CONCURRENT_FETCHES run at once per
process, one per URL and one per client address; more are refused at once, not queued.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import NamedTuple
from urllib.parse import SplitResult

import urllib3

from app.oauth.clients import ascii_host
from app.urls import LOOPBACK_HOSTS

MAX_BYTES = 10_000
#: Seconds the whole fetch may take, from the name lookup to the last byte of the body.
TIMEOUT_SECONDS = 5
#: Fetches in flight at once in one process.
MAX_CONCURRENT_FETCHES = 2

_slots = threading.BoundedSemaphore(MAX_CONCURRENT_FETCHES)
#: What is being fetched, and for whom: ("url", ...) and ("from", client address) entries.
_in_flight: set[tuple[str, str]] = set()
_in_flight_lock = threading.Lock()


class FetchError(Exception):
    """The URL could not be fetched, or was not allowed; says why."""


class Busy(FetchError):
    """Too many fetches are in flight to start this one; a later try may work."""


class Fetched(NamedTuple):
    status: int
    cache_control: str
    body: bytes


def get(parts: SplitResult, loopback_ok: bool, requester: str) -> Fetched:
    """GET the http(s) URL `parts` for the client at address `requester`, under the deadline and caps above;
    raise FetchError (Busy when the caps refuse it)."""
    keys = {("url", parts.geturl())} | ({("from", requester)} if requester else set())
    if not _slots.acquire(blocking=False):
        raise Busy("too many client metadata documents are being fetched; try again in a moment")
    with _in_flight_lock:
        if busy := keys & _in_flight:
            _slots.release()
            what = "this URL" if ("url", parts.geturl()) in busy else "a document for this address"
            raise Busy(f"{what} is being fetched already; try again in a moment")
        _in_flight.update(keys)
    download = Download(parts, loopback_ok, time.monotonic() + TIMEOUT_SECONDS)
    try:
        threading.Thread(target=download.run, args=(keys,), name="fetch", daemon=True).start()
    except RuntimeError:  # no thread to be had
        download.release(keys)
        raise Busy("the server cannot fetch documents right now; try again in a moment") from None
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

    def __init__(self, parts: SplitResult, loopback_ok: bool, deadline: float) -> None:
        self.parts, self.loopback_ok, self.deadline = parts, loopback_ok, deadline
        self.done, self.aborted = threading.Event(), False
        self.connection: urllib3.connection.HTTPConnection | None = None
        self.result = Fetched(0, "", b"")
        self.error: FetchError | None = None

    def run(self, keys: set[tuple[str, str]]) -> None:
        try:
            self.result = self._get()
        except FetchError as error:
            self.error = error
        except (TimeoutError, urllib3.exceptions.TimeoutError):  # a read's own timeout, at the fetch's deadline
            self.error = FetchError(f"the URL did not answer within {TIMEOUT_SECONDS} s")
        except Exception as error:  # refused, bad TLS, a malformed answer, a cut socket: all one to the caller
            self.error = FetchError(f"the URL could not be fetched ({type(error).__name__})")
        finally:
            self.done.set()
            if self.connection is not None:
                self.connection.close()
            self.release(keys)

    @staticmethod
    def release(keys: set[tuple[str, str]]) -> None:
        """Give back this fetch's place among those in flight."""
        with _in_flight_lock:
            _in_flight.difference_update(keys)
        _slots.release()

    def remaining(self) -> float:
        """Seconds left before the deadline (never quite zero: a zero socket timeout means no wait at all)."""
        return max(self.deadline - time.monotonic(), 0.001)

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
        address = checked_address(host, self.loopback_ok, self.remaining())
        if parts.scheme == "https":
            self.connection = urllib3.connection.HTTPSConnection(
                address, port, server_hostname=host, assert_hostname=host, timeout=self.remaining()
            )
        else:
            self.connection = urllib3.connection.HTTPConnection(address, port, timeout=self.remaining())
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


def checked_address(host: str, loopback_ok: bool, seconds: float) -> str:
    """Resolve `host` within `seconds`; every address must be public (or loopback, when allowed)."""
    addresses = _resolve(host, seconds)
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if ip.is_loopback and loopback_ok:
            continue
        if not ip.is_global or ip.is_multicast:
            raise FetchError("the host resolves to a private or reserved address")
    return sorted(addresses)[0]


def _resolve(host: str, seconds: float) -> set[str]:
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        pass
    if host.lower().rstrip(".") == "localhost":  # never asked of DNS (RFC 6761 section 6.3)
        return {name for name in LOOPBACK_HOSTS if name != "localhost"}
    # Loaded on the first lookup: a server that never meets a metadata document never carries it.
    import dns.exception
    import dns.resolver

    try:
        return set(dns.resolver.resolve_name(host, lifetime=max(seconds, 0.001)).addresses())
    except (dns.exception.DNSException, UnicodeError, ValueError):
        raise FetchError("the host does not resolve") from None
