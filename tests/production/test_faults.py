"""Faults under load, as production meets them: a gunicorn worker killed, Redis restarted, PostgreSQL restarted.

Each test runs the app under gunicorn (2 workers) on a throwaway PostgreSQL schema, signs PEOPLE people in
through the development form (one browser session each), and has each make a personal access token. A bounded
load generator (one thread per person, loopback only, short timeouts, a hard time cap) then sends GET / with the
person's session and POST /mcp `tools/call whoami` with the person's token, while the test injects one fault.

Every request is counted by outcome and by phase:

- before: it ended before the fault;
- during: it was still running at the fault, or started before recovery plus SETTLE_SECONDS;
- after: it started after recovery plus SETTLE_SECONDS.

Recovery is the moment the broken part answers its own health probe: for gunicorn, a new worker process exists in
place of the killed one; for Redis, `redis-cli ping` answers PONG; for PostgreSQL, `pg_isready` succeeds.
SETTLE_SECONDS (1 s) lets requests already queued on the broken part finish, and the new worker finish booting.

After each fault: every session still shows the signed-in page (0 sessions lost), every token still calls whoami
as its owner (0 tokens lost), every request after recovery is answered 2xx (so 0 5xx), and while a store is
down the app answers a clean 503 (Retry-After, no traceback), never a 500.

Redis here is the test's own `redis-server` on a free port with append-only persistence, as a production Redis
that keeps sessions would be configured; the machine's shared Redis (6379, nothing kept on disk) is never
touched. PostgreSQL is the machine's own: its data survives a restart, and the cluster is started again in a
`finally` whatever happens.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.support import services, stores
from tests.support.accounts import create_personal_token, dev_sign_in
from tests.support.mcp_http import whoami
from tests.support.servers import LiveApp, app_settings, live_app
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.services, pytest.mark.live]

WORKERS = 2
PEOPLE = 5  # browser sessions, personal tokens, and load threads: one each per person
REQUEST_TIMEOUT = 3.0  # seconds, per request of the load generator
CHECK_TIMEOUT = 10.0  # seconds, per request of the checks around the load
PAUSE_SECONDS = 0.02  # between two rounds of one load thread
BEFORE_SECONDS = 1.0  # load before the fault
DOWN_SECONDS = 2.0  # how long a store stays down
SETTLE_SECONDS = 1.0  # after the health probe answers, before requests count as "after recovery"
AFTER_SECONDS = 3.0  # load after recovery
RECOVERY_TIMEOUT = 30.0  # the broken part must answer its health probe within this
LOAD_CAP_SECONDS = 60.0  # no load thread runs longer than this, whatever happens
SECRET_KEY = "fault-tests-fixed-secret-key-0123456789abcdef"
GENEROUS = "100000 per minute"
COOKIE = "session"
SECURITY_HEADER = "X-Content-Type-Options"  # one of the headers app/security.py adds to every answer

#: What varies between log lines of the same kind: the time stamp and the request id.
LOG_NOISE = re.compile(r"^\[?\S+ \S+ (\+\d{4}\] )?|\[[0-9a-f]{32}\]|pid:\d+|\[\d+\] ")
PHASES = ("before", "during", "after")
BUCKETS = ("2xx", "3xx", "401/403", "429", "other 4xx", "503", "other 5xx", "conn error", "timeout")
PAGE, MCP = "GET /", "POST /mcp"


# --- The deployment and its people -----------------------------------------------------------------------------


@dataclass
class Person:
    """One signed-in person: a browser session, its cookie as first set, a personal access token, an MCP client."""

    name: str
    email: str
    browser: requests.Session
    cookie: str
    token: str
    mcp_client: requests.Session  # no cookies: it speaks to /mcp with the token only


@dataclass(frozen=True)
class AppWithPeople(LiveApp):
    """The app under gunicorn, and the people signed in to it."""

    people: list[Person] = field(hash=False)


def fault_settings(tmp_path: Path, database_url: str, redis_url: str = "") -> dict[str, str]:
    """Settings of the app under test: dev sign-in, a fixed key, generous rate limits.

    TOKEN_CACHE_SECONDS is 1, so each check of the tokens after a fault reads the database, not a worker's memory.
    """
    limits = ("MCP_RATE_LIMIT", "SIGN_IN_RATE_LIMIT", "AUTHORIZE_RATE_LIMIT", "TOKEN_RATE_LIMIT")
    return app_settings(
        tmp_path,
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MCP_STATIC_TOKENS="",
        TOKEN_CACHE_SECONDS="1",
        REGISTRATION_RATE_LIMIT=GENEROUS,
        **dict.fromkeys(limits, GENEROUS),
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_THREADS="4",
    )


@contextmanager
def deployment(settings: dict[str, str], tmp_path: Path) -> Iterator[AppWithPeople]:
    """Start gunicorn with `settings`, sign PEOPLE people in, each with a personal token; close it all after."""
    clients = [(requests.Session(), requests.Session()) for _ in range(PEOPLE)]
    try:
        with live_app(settings, tmp_path / "gunicorn.log", workers=WORKERS) as app:
            people = [sign_in(*pair, app.base_url, number) for number, pair in enumerate(clients)]
            yield AppWithPeople(**vars(app), people=people)
    finally:
        for pair in clients:
            for client in pair:
                client.close()


def sign_in(browser: requests.Session, mcp_client: requests.Session, base_url: str, number: int) -> Person:
    """Sign person `number` in with the dev form in `browser`, and make their personal token."""
    name, email = f"Person {number}", f"person{number}@example.test"
    dev_sign_in(browser, base_url, name, email)
    token = create_personal_token(browser, base_url, f"faults {number}")
    cookie = browser.cookies.get(COOKIE)
    assert cookie, "no session cookie after signing in"
    return Person(name, email, browser, cookie, token, mcp_client)


def signed_in_page(response: requests.Response, person: Person) -> bool:
    """Return whether `response` is the home page of `person`, signed in."""
    return response.status_code == 200 and f"Welcome, {person.name}" in response.text


def whoami_answer(response: requests.Response, person: Person) -> bool:
    """Return whether `response` is whoami's answer naming `person`."""
    if response.status_code != 200:
        return False
    try:
        return response.json()["result"]["structuredContent"]["email"] == person.email
    except (ValueError, KeyError, TypeError):
        return False


# --- The load generator ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One request of the load: when it started and ended, what it was, and how it ended."""

    started: float
    ended: float
    request: str
    bucket: str
    detail: str = ""  # for anything but a 2xx or a clean 503: what was odd, the status and body, or the exception
    odd: str = ""  # what is wrong with the answer besides its status, if anything
    bare: bool = False  # answered without the app's security headers


def bucket_of(status: int) -> str:
    """Return the outcome bucket of an HTTP status."""
    if status < 300:
        return "2xx"
    if status < 400:
        return "3xx"
    if status in (401, 403, 429, 503):
        return {401: "401/403", 403: "401/403"}.get(status, str(status))
    return "other 5xx" if status >= 500 else "other 4xx"


def oddity(request: str, response: requests.Response, person: Person) -> str:
    """Describe what is wrong with an answer, beyond its status; "" if nothing is."""
    status, text = response.status_code, response.text
    if "Traceback" in text:
        return "a traceback in the body"
    if status == 200:
        right = signed_in_page(response, person) if request == PAGE else whoami_answer(response, person)
        return "" if right else "a 200 that is not the signed-in page or whoami's answer"
    if status == 503 and "Retry-After" not in response.headers:
        return "a 503 without Retry-After"
    if status == 503 and request == MCP and response.json().get("error", {}).get("code") != -32603:
        return "a 503 on /mcp that is not a JSON-RPC error"
    if request == PAGE and COOKIE in response.cookies and response.cookies[COOKIE] != person.cookie:
        return "a new session cookie"
    return ""


class Load:
    """One thread per person, each alternating GET / and POST /mcp, until stopped or LOAD_CAP_SECONDS pass."""

    def __init__(self, base_url: str, people: list[Person]) -> None:
        self.base_url = base_url
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(person,), daemon=True) for person in people]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT * 2 + 1)

    def _run(self, person: Person) -> None:
        deadline = time.monotonic() + LOAD_CAP_SECONDS
        while not self._stop.is_set() and time.monotonic() < deadline:
            for request in (PAGE, MCP):
                sample = self._send(request, person)
                with self._lock:
                    self.samples.append(sample)
            self._stop.wait(PAUSE_SECONDS)

    def _send(self, request: str, person: Person) -> Sample:
        started = time.monotonic()
        try:
            if request == PAGE:
                response = person.browser.get(f"{self.base_url}/", allow_redirects=False, timeout=REQUEST_TIMEOUT)
            else:
                response = whoami(f"{self.base_url}/mcp", person.token, http=person.mcp_client, timeout=REQUEST_TIMEOUT)
        except requests.Timeout:
            return Sample(started, time.monotonic(), request, "timeout", f"no answer within {REQUEST_TIMEOUT} s")
        except requests.RequestException as error:
            return Sample(started, time.monotonic(), request, "conn error", f"{type(error).__name__}: {error}")
        ended = time.monotonic()
        status, odd = response.status_code, oddity(request, response, person)
        usual = not odd and (status < 300 or status == 503)
        detail = "" if usual else f"{odd + ': ' if odd else ''}{status} {response.text[:200]!r}"
        bare = SECURITY_HEADER not in response.headers
        return Sample(started, ended, request, bucket_of(status), detail, odd, bare)


# --- Faults, phases and counts ---------------------------------------------------------------------------------


@dataclass
class Fault:
    """What breaks (`inject`, which returns once it is repaired or repairing) and the probe of its recovery."""

    name: str
    inject: Callable[[], None]
    recovered: Callable[[], bool]


@dataclass
class Result:
    """The samples of one fault, with the moments that split them into phases."""

    fault: Fault
    samples: list[Sample]
    fault_at: float
    recovered_at: float
    counts: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sample in self.samples:
            self.counts.setdefault((self.phase(sample), sample.request), Counter())[sample.bucket] += 1

    def phase(self, sample: Sample) -> str:
        """Return the phase of `sample`: before (ended before the fault), during, or after (started after)."""
        if sample.ended < self.fault_at:
            return "before"
        return "during" if sample.started < self.recovered_at + SETTLE_SECONDS else "after"

    def total(self, phase: str, bucket: str | None = None) -> int:
        """Return how many requests of `phase` (ending in `bucket`, if given) there were."""
        counters = [counter for (where, _), counter in self.counts.items() if where == phase]
        return sum(sum(c.values()) if bucket is None else c[bucket] for c in counters)

    def unexpected(self, phase: str) -> list[Sample]:
        """Return the samples of `phase` that were neither a 2xx nor a 503, or were odd."""
        return [sample for sample in self.samples if sample.detail and self.phase(sample) == phase]


def run_under_load(app: AppWithPeople, fault: Fault) -> Result:
    """Load the app, inject `fault`, wait for its recovery probe, keep loading; return what every request got."""
    with Load(app.base_url, app.people) as load:
        time.sleep(BEFORE_SECONDS)
        fault_at = time.monotonic()
        fault.inject()
        wait_until(fault.recovered, f"recovery from {fault.name}", RECOVERY_TIMEOUT)
        recovered_at = time.monotonic()
        time.sleep(SETTLE_SECONDS + AFTER_SECONDS)
    result = Result(fault, list(load.samples), fault_at, recovered_at)
    report(result, app)
    return result


def report(result: Result, app: AppWithPeople) -> None:
    """Print the counts per phase and request, the odd answers, and the app's warnings and errors."""
    took = result.recovered_at - result.fault_at
    print(f"\n=== {result.fault.name}: probe answered {took:.2f} s after the fault (+{SETTLE_SECONDS} s settling)")
    print(f"{'phase':<7} {'request':<10} {'total':>6} " + " ".join(f"{b:>10}" for b in BUCKETS) + "   slowest")
    for phase in PHASES:
        for request in (PAGE, MCP):
            counter = result.counts.get((phase, request), Counter())
            cells = " ".join(f"{counter[bucket]:>10}" for bucket in BUCKETS)
            times = [s.ended - s.started for s in result.samples if s.request == request and result.phase(s) == phase]
            print(f"{phase:<7} {request:<10} {sum(counter.values()):>6} {cells} {max(times, default=0):>8.2f}s")
    for phase in PHASES:
        for sample in result.unexpected(phase)[:5]:
            print(f"{phase}: {sample.request} -> {sample.bucket}: {sample.detail}")
    for phase in PHASES:
        bare = Counter(f"{s.request} {s.bucket}" for s in result.samples if s.bare and result.phase(s) == phase)
        if bare:
            print(f"without {SECURITY_HEADER}, {phase}: {dict(bare)}")
    lines = app.log_path.read_text(errors="replace").splitlines()
    unavailable = sum("store unavailable" in line for line in lines)
    print(f"gunicorn log: {len(lines)} lines, {unavailable} 'store unavailable' warnings")
    errors = Counter(LOG_NOISE.sub("", line) for line in lines if "ERROR" in line or "CRITICAL" in line)
    for line, count in errors.most_common(8):
        print(f"log, {count} x: {line}")


# --- Checks ----------------------------------------------------------------------------------------------------


def assert_clean_answers(result: Result) -> None:
    """In every phase any 5xx is a 503, and no answer is odd: no traceback, a 503 with Retry-After (and a JSON-RPC
    error on /mcp), a 200 that is the person's page or whoami's answer, and no new session cookie."""
    for phase in PHASES:
        failed = [sample for sample in result.unexpected(phase) if sample.bucket == "other 5xx"]
        assert not failed, f"5xx other than 503 {phase} the fault: {failed[:10]}"
        odd = [sample for sample in result.samples if sample.odd and result.phase(sample) == phase]
        assert not odd, f"odd answers {phase} the fault: {odd[:10]}"


def assert_all_answered_after(result: Result) -> None:
    """After recovery every request is answered 2xx: no 5xx, no refused session or token, no lost connection."""
    assert result.total("before") > 0 and result.total("after") > 0, "the load sent too little to judge"
    unhealthy = result.total("before") - result.total("before", "2xx")
    assert unhealthy == 0, f"not healthy before the fault: {result.unexpected('before')[:10]}"
    failed = result.total("after") - result.total("after", "2xx")
    assert failed == 0, f"{failed} requests after recovery were not answered 2xx: {result.unexpected('after')[:10]}"


def assert_never_signed_out(result: Result) -> None:
    """In no phase was a session or a token refused: an outage must not sign anyone out."""
    for phase in PHASES:
        refused = result.total(phase, "3xx") + result.total(phase, "401/403")
        assert refused == 0, f"{refused} sessions or tokens refused {phase} the fault: {result.unexpected(phase)[:10]}"


def assert_nothing_lost(app: AppWithPeople) -> None:
    """Every session still shows its person's signed-in page, and every token still calls whoami as its person."""
    for person in app.people:
        kept = person.browser.cookies.get(COOKIE)
        assert kept == person.cookie, f"{person.name}'s browser was given another session cookie"
        page = person.browser.get(f"{app.base_url}/", allow_redirects=False, timeout=CHECK_TIMEOUT)
        assert signed_in_page(page, person), f"{person.name}'s session is lost: {page.status_code} {page.text[:200]}"
        call = whoami(app.mcp_url, person.token, timeout=CHECK_TIMEOUT)
        assert whoami_answer(call, person), f"{person.name}'s token is lost: {call.status_code} {call.text[:200]}"


def check_security_headers(result: Result) -> None:
    """Every answer carries the security headers, 503s for a store that is down included."""
    bare = [sample for sample in result.samples if sample.bare]
    assert not bare, f"answers without {SECURITY_HEADER}: {bare[:10]}"


def assert_healthy_before(app: AppWithPeople) -> None:
    """Before any fault, every session and token works (so a failure later is the fault's)."""
    assert_nothing_lost(app)


# --- gunicorn's processes, from /proc ---------------------------------------------------------------------------


def children(parent: int) -> list[int]:
    """Return the live (not zombie) processes whose parent is `parent`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]  # after "pid (command)", which may hold spaces
        if int(ppid) == parent and state != "Z":
            found.append(int(entry.name))
    return sorted(found)


def gunicorn_master(port: int) -> int:
    """Return the pid of this test's gunicorn master: our child running gunicorn on `port`."""
    for pid in children(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(part.endswith(b"gunicorn") for part in command) and f"127.0.0.1:{port}".encode() in command:
            return pid
    raise AssertionError(f"no gunicorn master on port {port} among this process's children")


# --- The test's own Redis, with persistence -------------------------------------------------------------------


class OwnRedis:
    """A redis-server of this test's own on a free loopback port, persisting to an append-only file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = services.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start redis-server (it reloads the append-only file in its directory)."""
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory)]
        command += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        command += ["--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def ping(self) -> bool:
        """Redis's own health probe: `redis-cli ping` answers PONG."""
        command = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "ping"]
        answer = subprocess.run(command, capture_output=True, text=True, timeout=5)
        return answer.stdout.strip() == "PONG"

    def shutdown(self, *options: str) -> None:
        """Shut it down (`SHUTDOWN` writes the append-only file out first) and wait for the process to end."""
        if self.process is None or self.process.poll() is not None:
            return
        command = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), "shutdown", *options]
        subprocess.run(command, capture_output=True, timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Shut down, stay down DOWN_SECONDS, start again with the same directory."""
        self.shutdown()
        time.sleep(DOWN_SECONDS)
        self.start()


@contextmanager
def own_redis(directory: Path) -> Iterator[OwnRedis]:
    """Run an OwnRedis for the block; shut it down after, whatever happened."""
    services.require(shutil.which("redis-server") is not None, "redis-server")
    directory.mkdir()
    server = OwnRedis(directory)
    server.start()
    try:
        wait_until(server.ping, "the test's redis-server answering", 10)
        yield server
    finally:
        server.shutdown("nosave")


# --- The machine's PostgreSQL ----------------------------------------------------------------------------------


def pg_ctlcluster(action: str) -> None:
    """Run `pg_ctlcluster <version> main <action>` on the machine's cluster."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def pg_ready() -> bool:
    """PostgreSQL's own health probe: `pg_isready` on 127.0.0.1:5432."""
    command = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "1"]
    return subprocess.run(command, capture_output=True, timeout=5).returncode == 0


def restart_postgres() -> None:
    """Stop the cluster (fast: sessions are ended), stay down DOWN_SECONDS, start it again."""
    pg_ctlcluster("stop")
    time.sleep(DOWN_SECONDS)
    pg_ctlcluster("start")


@contextmanager
def postgres_kept_up() -> Iterator[None]:
    """Whatever happens in the block, leave the machine's PostgreSQL running."""
    can_restart = os.geteuid() == 0 and shutil.which("pg_ctlcluster") is not None and Path("/etc/postgresql").is_dir()
    services.require(can_restart, "root and pg_ctlcluster, to restart PostgreSQL")
    try:
        yield
    finally:
        if not pg_ready():
            pg_ctlcluster("start")
            wait_until(pg_ready, "PostgreSQL answering again", RECOVERY_TIMEOUT)


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway schema of the machine's PostgreSQL.

    Its helper's engine pings before use here, so that dropping the schema after a PostgreSQL restart takes a
    fresh connection instead of the one the restart ended.
    """
    monkeypatch.setattr(stores, "create_engine", functools.partial(stores.create_engine, pool_pre_ping=True))
    with stores.postgres_schema() as url:
        yield url


# --- The tests -------------------------------------------------------------------------------------------------


@contextmanager
def deployment_with_redis(database_url: str, tmp_path: Path) -> Iterator[tuple[AppWithPeople, OwnRedis]]:
    """The app with its sessions in the test's own Redis, and that Redis."""
    with own_redis(tmp_path / "redis") as redis_server:
        with deployment(fault_settings(tmp_path, database_url, redis_server.url), tmp_path) as app:
            yield app, redis_server


def test_a_killed_worker_is_replaced_and_nothing_is_lost(database_url: str, tmp_path: Path) -> None:
    """SIGKILL one of the two workers under load: the master forks a new one, and nobody notices after."""
    with deployment_with_redis(database_url, tmp_path) as (app, _):
        assert_healthy_before(app)
        master = gunicorn_master(app.port)
        workers = children(master)
        assert len(workers) == WORKERS, f"gunicorn has workers {workers}"
        victim = workers[0]

        def replaced() -> bool:
            now = children(master)
            return len(now) == WORKERS and victim not in now

        kill = Fault(f"SIGKILL gunicorn worker {victim}", lambda: os.kill(victim, signal.SIGKILL), replaced)
        result = run_under_load(app, kill)
        assert result.total("during", "503") == 0, "a killed worker is no store outage"
        assert_clean_answers(result)
        assert_never_signed_out(result)
        assert_all_answered_after(result)
        assert_nothing_lost(app)
        check_security_headers(result)


def test_a_redis_restart_gives_503_then_loses_nothing(database_url: str, tmp_path: Path) -> None:
    """Restart the Redis that holds the sessions under load: 503s while it is down, then everything as before."""
    with deployment_with_redis(database_url, tmp_path) as (app, redis_server):
        assert_healthy_before(app)
        result = run_under_load(app, Fault("restart Redis (sessions)", redis_server.restart, redis_server.ping))
        assert result.total("during", "503") > 0, "no request noticed that Redis was down"
        assert_clean_answers(result)
        assert_never_signed_out(result)
        assert_all_answered_after(result)
        assert_nothing_lost(app)
        check_security_headers(result)


def test_a_postgres_restart_gives_503_then_loses_nothing(database_url: str, tmp_path: Path) -> None:
    """Restart PostgreSQL (sessions and tokens both there) under load: 503s while down, reconnects, loses nothing."""
    with postgres_kept_up(), deployment(fault_settings(tmp_path, database_url), tmp_path) as app:
        assert_healthy_before(app)
        result = run_under_load(app, Fault("restart PostgreSQL (sessions and tokens)", restart_postgres, pg_ready))
        assert result.total("during", "503") > 0, "no request noticed that PostgreSQL was down"
        assert_clean_answers(result)
        assert_never_signed_out(result)
        assert_all_answered_after(result)
        assert_nothing_lost(app)
        check_security_headers(result)
