"""gunicorn settings of the gevent floor: the step aside after each response that this app's gunicorn.conf.py
takes (its post_request), so that the tail of the two compares like with like. Without it, a connection whose
client sends its next request at once is served again and again while the others wait (p99 hundreds of ms)."""

from gevent import sleep

STEP_ASIDE_SECONDS = 0.000_001


def post_request(worker, req, environ, resp) -> None:
    sleep(STEP_ASIDE_SECONDS)
