"""gunicorn settings, read from the environment (GUNICORN_CMD_ARGS still overrides)."""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads (gthread workers): a tool waiting for its client, or streaming a long
# result, holds one thread, not a whole worker.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Which proxy addresses may set X-Forwarded-*; the app's TRUSTED_PROXY_HOPS decides
# how many hops it believes.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Load the app once in the master: a settings error stops start-up with its message,
# and workers share the loaded code.
preload_app = True
# GUNICORN_ACCESS_LOG: "-" (stdout, the default), a file, or "off".
accesslog = None if os.environ.get("GUNICORN_ACCESS_LOG", "-") == "off" else os.environ.get("GUNICORN_ACCESS_LOG", "-")
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
