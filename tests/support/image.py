"""The project's container image: built with podman from the Dockerfile as it is, and run as a runtime runs it.

No image registry is reachable here, so the Dockerfile's base, `python:<version>-slim-bookworm`, is stood in for
(`podman build --from`, the Dockerfile unchanged) by an image made on this machine, for tests only, under a name
of its own: a Debian bookworm root file system (debootstrap, from the mirror apt uses) with Debian's Python, of
the same minor version, `python` and `pip` on the PATH, pip allowed to install, and the machine's CA bundle (the
package registries are reached through the machine's certificate authority). It is made once and kept by
podman, so later runs only build the project's image.

podman's runtimes cannot start a container here (they cannot set rlimits without CAP_SYS_RESOURCE), so the image
runs as they would run it: its file system mounted (`podman image mount`), read-only, with a tmpfs on /tmp and
the host's /dev, in new mount and PID namespaces, its command run as the image's user from its working directory
with its environment, as PID 1. The network is the host's (the machine's PostgreSQL and Redis on 127.0.0.1).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import ROOT

#: What the project's image is tagged as here.
IMAGE = "localhost/mcp-server:test"
#: The Debian root file system the stand-in base is made from, and the stand-in (its Python: bookworm's).
DEBIAN = "localhost/bookworm-minbase"
STAND_IN_IMAGE = "localhost/python-stand-in:3.11-bookworm"
STAND_IN_PYTHON = "3.11"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: The stand-in for the Dockerfile's base: Debian's Python as the official image lays it out.
STAND_IN = """\
FROM {debian}
RUN apt-get update -q && apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip \\
    && rm -rf /var/lib/apt/lists/* \\
    && ln -s /usr/bin/python3 /usr/local/bin/python && ln -s /usr/bin/pip3 /usr/local/bin/pip \\
    && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
"""
#: Run in the new namespaces: mount the image read-only with a writable /tmp, then become its command.
CONTAINER = """\
set -e
root=$1 user=$2 workdir=$3; shift 3
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o mode=1777,size=256m tmpfs "$root/tmp"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
exec chroot --userspec="$user" "$root" /usr/bin/env -i -C "$workdir" "$@"
"""


def available() -> bool:
    """Whether this machine can build and run the image: root, podman, debootstrap, unshare and chroot."""
    tools = ("podman", "unshare", "chroot")
    debootstrap = shutil.which("debootstrap") or Path("/usr/sbin/debootstrap").exists()
    return os.geteuid() == 0 and bool(debootstrap) and all(shutil.which(tool) for tool in tools)


def wanted_python(dockerfile: Path = ROOT / "Dockerfile") -> str:
    """The Python minor version of the image the Dockerfile builds FROM (`python:3.11.14-slim-bookworm`: 3.11)."""
    found = re.search(r"^FROM\s+(?:\S+/)?python:(\d+\.\d+)\S*-bookworm\s*$", dockerfile.read_text(), re.MULTILINE)
    if found is None:
        raise RuntimeError("the Dockerfile is no longer FROM python:<version>-slim-bookworm: make a stand-in for it")
    return found[1]


def documented_migration() -> list[str]:
    """The migration command the Dockerfile's comment gives (`docker run ... <image> flask --app wsgi db upgrade`)."""
    line = re.search(r"^#\s+docker run .* mcp-server (flask .*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    return shlex.split(line[1])


def ensure_base() -> float:
    """Make the stand-in base unless podman has it; return the seconds it took (0 when it was there)."""
    if wanted_python() != STAND_IN_PYTHON:
        raise RuntimeError(f"the Dockerfile wants Python {wanted_python()}; the stand-in has {STAND_IN_PYTHON}")
    started = time.monotonic()
    if _exists(STAND_IN_IMAGE):
        return 0.0
    with tempfile.TemporaryDirectory(prefix="image-base-") as work:
        if not _exists(DEBIAN):
            rootfs = Path(work) / "rootfs"
            debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
            _run([debootstrap, "--variant=minbase", "bookworm", str(rootfs), debian_mirror()], timeout=900)
            with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
                _run(["podman", "import", "-", DEBIAN], stdin=tar.stdout, timeout=300)
        (Path(work) / "Containerfile").write_text(STAND_IN.format(debian=DEBIAN))
        shutil.copy(CA_BUNDLE, Path(work) / "ca-certificates.crt")
        _build(Path(work), STAND_IN_IMAGE)
    return time.monotonic() - started


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (never a fixed host)."""
    for path in sorted(Path("/etc/apt").glob("sources.list.d/*.sources")):
        found = re.search(r"^URIs:\s*(\S+)", path.read_text(), re.MULTILINE)
        if found and "debian" in found[1] and "security" not in found[1]:
            return found[1]
    listed = Path("/etc/apt/sources.list")
    found = re.search(r"^deb\s+(\S+)\s+bookworm\s", listed.read_text() if listed.exists() else "", re.MULTILINE)
    if found:
        return found[1]
    raise RuntimeError("no Debian mirror in /etc/apt: debootstrap needs one")


def build(context: Path) -> float:
    """Build the Dockerfile in `context` as IMAGE, FROM the stand-in (docker format, which keeps HEALTHCHECK);
    return the seconds. The image it replaces is deleted: each build would otherwise keep half a gigabyte."""
    started = time.monotonic()
    before = _image_id(IMAGE)
    _build(context, IMAGE, "--from", STAND_IN_IMAGE)
    if before and before != _image_id(IMAGE):
        subprocess.run(["podman", "rmi", before], capture_output=True, timeout=120)
    return time.monotonic() - started


def config() -> dict:
    """The image's configuration: Cmd, Env, User, WorkingDir, Healthcheck..."""
    inspected = json.loads(_run(["podman", "image", "inspect", IMAGE], timeout=60).stdout)[0]
    # The JSON leaves HEALTHCHECK out; the template has it (a docker-format image keeps it).
    check = _run(["podman", "image", "inspect", "--format", "{{json .HealthCheck}}", IMAGE], timeout=60).stdout
    return inspected["Config"] | {"Size": inspected["Size"], "Healthcheck": json.loads(check)}


@contextmanager
def mounted() -> Iterator[Path]:
    """The image's file system, mounted."""
    root = Path(_run(["podman", "image", "mount", IMAGE], timeout=60).stdout.strip())
    try:
        yield root
    finally:
        subprocess.run(["podman", "image", "unmount", IMAGE], capture_output=True, timeout=60)


@dataclass(frozen=True)
class Container:
    """A running container: the unshare process that holds its namespaces, and its command's host pid."""

    process: subprocess.Popen[bytes]
    pid: int

    def pid_in_container(self) -> int:
        return int(_status(self.pid)["NSpid"].split()[-1])

    def uid(self) -> int:
        return int(_status(self.pid)["Uid"].split()[0])


def command(root: Path, image: dict, environment: dict[str, str], argv: list[str]) -> list[str]:
    """The command line that runs `argv` in the image mounted at `root`, as its user, in its working directory, with
    its environment and `environment` over it."""
    user = image.get("User") or "root"
    uid, gid, home = _account(root, user)
    env = dict(entry.split("=", 1) for entry in image.get("Env") or [])
    env |= {"HOME": home} | environment
    script = ["sh", "-c", CONTAINER, "container", str(root), f"{uid}:{gid}", image.get("WorkingDir") or "/"]
    namespaces = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]  # dies with its caller
    return [*namespaces, *script, *(f"{k}={v}" for k, v in env.items()), *argv]


@contextmanager
def running(root: Path, image: dict, environment: dict[str, str], log_path: Path) -> Iterator[Container]:
    """Run the image's command in the background; stop it (SIGKILL) after, if the test has not."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command(root, image, environment, image["Cmd"]), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield Container(process, _child_of(process.pid))
    finally:
        if process.poll() is None:
            subprocess.run(["pkill", "-KILL", "-P", str(process.pid)], capture_output=True)
            process.kill()
        process.wait(timeout=30)


def _child_of(pid: int, timeout: float = 10.0) -> int:
    """The process unshare forked: PID 1 of the new namespace."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        if found:
            return int(found[0])
        time.sleep(0.02)
    raise RuntimeError("the container's first process did not start")


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _account(root: Path, user: str) -> tuple[int, int, str]:
    """The uid, gid and home directory of `user` (a name or a uid) in the image's /etc/passwd."""
    for line in (root / "etc" / "passwd").read_text().splitlines():
        name, _password, uid, gid, _gecos, home, *_shell = line.split(":")
        if user in (name, uid):
            return int(uid), int(gid), home
    raise RuntimeError(f"no user {user} in the image")


def _exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name], capture_output=True, timeout=60).returncode == 0


def _build(context: Path, tag: str, *options: str) -> None:
    build = ["podman", "build", "--format", "docker", "--isolation", "chroot", "--network", "host", "-t", tag]
    _run([*build, *options, str(context)], timeout=900)


def _image_id(name: str) -> str | None:
    found = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", name], capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    return found.stdout.strip() if found.returncode == 0 else None


def _run(argv: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=kwargs.get("stdin") is None, timeout=timeout, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done
