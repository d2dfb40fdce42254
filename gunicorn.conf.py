"""gunicorn settings, read from the environment and then the project's .env, as the app reads
its own (GUNICORN_CMD_ARGS still overrides)."""

import gc
import glob
import os
import signal
import sys
import tempfile

from dotenv import load_dotenv

PROJECT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, PROJECT)  # for its settings
load_dotenv(os.path.join(PROJECT, ".env"))  # what is set in the environment wins

from config.settings import GUNICORN_SETTINGS, SETTINGS  # noqa: E402

DEFAULTS = {setting.name: setting.default for setting in (*GUNICORN_SETTINGS, *SETTINGS)}


def setting(name: str) -> str:
    return os.environ.get(name, DEFAULTS[name])


bind = setting("GUNICORN_BIND")
workers = int(setting("GUNICORN_WORKERS"))
# gevent: each request and each open event stream (a tool streaming progress, or waiting
# for its client's answer) is a greenlet, so an open stream costs memory, not a thread,
# and hundreds stay open beside the short calls. What the app uses cooperates once
# patched: sockets (Redis, requests, dnspython), psycopg 3, SQLAlchemy's pool, the app's
# threads, locks and queues. It must be patched before the app is loaded (preload_app).
# gthread: each request or open stream holds one of `threads`.
worker_class = setting("GUNICORN_WORKER_CLASS")
if worker_class == "gevent":
    from gevent import monkey

    monkey.patch_all()

# Metrics (METRICS_TOKEN): each worker counts in files of its own, which /metrics sums (prometheus-client's
# multiprocess mode). The directory must be known before the app loads, and start empty: counts of an earlier
# run would be summed in.
if setting("METRICS_TOKEN"):
    METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="mcp-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR
    os.makedirs(METRICS_DIR, exist_ok=True)
    for leftover in glob.glob(os.path.join(METRICS_DIR, "*.db")):
        os.remove(leftover)

from app.bodies import kept_alive  # noqa: E402  (after the patching: it imports Flask)

worker_connections = int(setting("GUNICORN_WORKER_CONNECTIONS"))
# The app's limit on request bodies: pre_request closes the connection after a body far over it.
MAX_CONTENT_LENGTH = int(setting("MAX_CONTENT_LENGTH"))
threads = int(setting("GUNICORN_THREADS"))
timeout = int(setting("GUNICORN_TIMEOUT"))
graceful_timeout = int(setting("GUNICORN_GRACEFUL_TIMEOUT"))
keepalive = int(setting("GUNICORN_KEEPALIVE"))
# No control socket (gunicorn 25.1+ opens one in the home directory): nothing here uses it, a read-only root file
# system has no place for it, and every gunicorn of a user would share the one path.
control_socket_disable = True
# Which proxy addresses may set X-Forwarded-*; the app's TRUSTED_PROXY_HOPS decides
# how many hops it believes.
forwarded_allow_ips = setting("GUNICORN_FORWARDED_ALLOW_IPS")
# Load the app once in the master: a settings error stops start-up with its message,
# and workers share the loaded code.
preload_app = True
# GUNICORN_ACCESS_LOG: "-" (stdout, the default), a file, or "off".
accesslog = None if setting("GUNICORN_ACCESS_LOG") == "off" else setting("GUNICORN_ACCESS_LOG")
errorlog = "-"
# %(U)s is the path without its query string: sign-in callbacks carry codes there.
# The request id is the one the app put on the response (X-Request-ID).
if os.environ.get("LOG_FORMAT", "text").lower() == "json":
    access_log_format = (
        '{"time": "%(t)s", "level": "INFO", "logger": "gunicorn.access", "request_id": "%({x-request-id}o)s", '
        '"remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(b)s", "ms": %(M)s}'
    )
else:
    access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s]'


def pre_fork(server, worker) -> None:
    """Freeze what the master loaded (preload_app) before each worker is forked.

    The garbage collector then leaves those objects alone in the workers: a full
    collection no longer walks the whole app (tens of milliseconds at random on some
    request), and pages shared with the master stay shared instead of being copied.
    """
    gc.freeze()


def on_starting(server) -> None:
    """Refuse a worker class chosen after this file ran (`-k`, GUNICORN_CMD_ARGS) that its patching does not fit.

    Only GUNICORN_WORKER_CLASS is known before the app is loaded, when gevent must patch:
    gevent workers on an unpatched app, or threads on a patched one, would fail in ways
    far from their cause.
    """
    chosen = server.cfg.worker_class_str
    if ("gevent" in chosen.lower()) != (worker_class == "gevent"):
        raise RuntimeError(f"the worker class is {chosen!r}: choose it with GUNICORN_WORKER_CLASS, not -k")


def post_worker_init(worker) -> None:
    """On SIGTERM, end the worker's open event streams first, then stop as gunicorn does.

    Streams would otherwise hold the worker until the graceful timeout and then be cut
    without a word; ended, each tells its client to send its request again.
    """
    from app.mcp.server import streams

    stop = worker.handle_exit

    def handle_exit(signum, frame) -> None:
        streams.drain()
        stop(signum, frame)

    signal.signal(signal.SIGTERM, handle_exit)


def pre_request(worker, req) -> None:
    """Close the connection after answering a body the app will not read to the end (app/bodies.py): a chunked
    one, or one over twice MAX_CONTENT_LENGTH. gunicorn would otherwise answer "keep-alive", fail to skip the
    unread rest when the next request comes, and drop that request."""
    headers = dict(req.headers)  # upper-cased names; gunicorn refused a request with two lengths already
    if not kept_alive(headers.get("CONTENT-LENGTH"), "TRANSFER-ENCODING" in headers, MAX_CONTENT_LENGTH):
        req.force_close()


#: How long a gevent connection steps aside after each response (post_request): any wait at all is a timer,
#: which the event loop runs only after it has looked for the requests that arrived meanwhile.
STEP_ASIDE_SECONDS = 0.000_001


def post_request(worker, req, environ, resp) -> None:
    """gevent: let the other connections run before this one reads its next request.

    A connection whose client sends its next request at once would otherwise be served again and again while the
    others wait (hundreds of ms at the tail under full load). The pause must be a timer, however short: after
    `sleep(0)` a greenlet resumes within the same round of the loop's callbacks, before the loop has looked for
    requests that arrived meanwhile, so the connections that were ready take turns among themselves for up to the
    switch interval while the others wait (p99 three to five times p50 under load; about twice with a timer).
    """
    if worker_class == "gevent":
        from gevent import sleep

        sleep(STEP_ASIDE_SECONDS)
