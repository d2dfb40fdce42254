"""gunicorn.conf.py takes its settings from the environment and from the project's .env, as the app does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
READ = "import json, runpy; c = runpy.run_path({path!r}); print(json.dumps([c[n] for n in {names!r}]))"


def read_config(project: Path, **environment: str) -> tuple[int, int, str]:
    """Load a copy of gunicorn.conf.py kept in `project`, from another directory, as gunicorn does."""
    shutil.copy(ROOT / "gunicorn.conf.py", project / "gunicorn.conf.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_") and k != "LOG_FORMAT"}
    env |= {"PYTHONPATH": str(ROOT), **environment}
    script = READ.format(path=str(project / "gunicorn.conf.py"), names=["workers", "threads", "access_log_format"])
    done = subprocess.run([sys.executable, "-c", script], cwd="/", env=env, capture_output=True, text=True, check=True)
    return tuple(json.loads(done.stdout))


def test_the_project_env_file_sets_gunicorn(tmp_path):
    (tmp_path / ".env").write_text("GUNICORN_WORKERS=7\nLOG_FORMAT=json\n")
    workers, threads, access_format = read_config(tmp_path)
    assert workers == 7 and threads == 4 and access_format.startswith("{")


def test_the_environment_wins_over_the_env_file(tmp_path):
    (tmp_path / ".env").write_text("GUNICORN_WORKERS=7\n")
    assert read_config(tmp_path, GUNICORN_WORKERS="3")[0] == 3


def test_a_worker_class_given_on_the_command_line_is_refused_with_its_remedy(tmp_path):
    """GUNICORN_WORKER_CLASS decides how the app is patched before it loads; `-k` comes too late to change that."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    env |= {"APP_ENV": "testing", "SECRET_KEY": "k" * 40, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    command = [str(Path(sys.executable).parent / "gunicorn"), "--config", "gunicorn.conf.py", "-k", "gthread"]
    command += ["--bind", "127.0.0.1:0", "wsgi:app"]
    done = subprocess.run(command, cwd=ROOT, env=env | {"OAUTH_PROVIDER": "dev"}, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "choose it with GUNICORN_WORKER_CLASS, not -k" in done.stderr + done.stdout


def test_a_home_directory_that_cannot_be_written_logs_nothing_at_error(tmp_path):
    """A read-only root file system (Kubernetes' readOnlyRootFilesystem) leaves nowhere to write but /tmp: gunicorn's
    control socket, by default in the home directory, must not be wanted there (nor shared by every gunicorn).
    tests/deploy/test_image.py runs the image so."""
    from tests.support import services
    from tests.support.servers import app_settings, gunicorn_app

    unwritable = {"HOME": "/proc/no-home", "XDG_RUNTIME_DIR": ""}
    log = tmp_path / "gunicorn.log"
    with gunicorn_app(app_settings(tmp_path, **unwritable), services.free_port(), log, workers=1) as url:
        assert requests.get(f"{url}/health", timeout=10).ok
    assert "[ERROR]" not in log.read_text(), log.read_text()


#: Under gevent: one connection whose next request is always there already (served, then the post_request hook,
#: again and again), and one whose request arrives once the first has been served. Prints how many requests of the
#: first were served before the second's.
TAKING_TURNS = """
import runpy, gevent, gevent.socket
hooks = runpy.run_path({path!r})
sender, receiver = gevent.socket.socketpair()
served = []

def ready_again_at_once():
    for number in range(200):
        served.append(number)
        if number == 0:
            sender.sendall(b"x")  # the other connection's request arrives
        hooks["post_request"](None, None, None, None)

def arriving():
    receiver.recv(1)
    print(len(served))

gevent.joinall([gevent.spawn(arriving), gevent.spawn(ready_again_at_once)])
"""


def test_under_gevent_a_request_that_arrived_is_served_after_the_response_being_sent(tmp_path):
    """The hook steps aside until the event loop has seen which other connections have a request waiting: a busy
    connection cannot take turn after turn while a request that arrived meanwhile waits (the tail under load)."""
    shutil.copy(ROOT / "gunicorn.conf.py", tmp_path / "gunicorn.conf.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    env |= {"PYTHONPATH": str(ROOT), "GUNICORN_WORKER_CLASS": "gevent"}
    script = TAKING_TURNS.format(path=str(tmp_path / "gunicorn.conf.py"))
    done = subprocess.run([sys.executable, "-c", script], cwd="/", env=env, capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    assert int(done.stdout) <= 2
