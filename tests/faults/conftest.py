"""Helpers of the fault tests: services of their own on 127.0.0.1 that a test may stop and start at will.

Each test runs a PRIVATE Redis (and, for the PostgreSQL restart, a private PostgreSQL cluster) on a free port,
never the shared ones on 6379/5432, so a fault injected here cannot disturb anything else running on the
machine. The web app (gunicorn) and Celery workers are real processes started from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, every: float = 0.1):
    """Poll ``predicate`` until it returns something truthy (polling a process, not sleeping for timing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def http(method: str, url: str, *, body: object = None, headers: dict | None = None, timeout: float = 30):
    """(status, parsed JSON or text); a refused or dropped connection is status 0."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={**(headers or {})})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


class Service:
    """A process we started, stopped by pid (never by name)."""

    def __init__(self, args: list[str], *, env: dict, log: Path, cwd: Path = ROOT):
        self.args, self.env, self.log, self.cwd = args, env, log, cwd
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        handle = open(self.log, "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


class PrivateRedis:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.service = Service(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            env=dict(os.environ),
            log=tmp / "redis.log",
            cwd=tmp,
        )

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return result.stdout.strip() == "PONG"

    def start(self) -> None:
        self.service.start()
        wait_until(self.ping, timeout=20, what="the private Redis")

    def stop(self) -> None:
        self.service.stop()
        assert not self.ping()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb as the postgres user) that the test may restart."""

    def __init__(self, tmp: Path):
        assert PG_BIN is not None, "PostgreSQL server binaries are missing"
        self.port = free_port()
        # Outside pytest's own (root-only) temporary folders: the server runs as the postgres user.
        self.home = Path(tempfile.mkdtemp(prefix="crm-fault-pg-"))
        self.data = self.home / "pgdata"
        self.log = self.home / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/crm_fault"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and pg_ctl refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.home, "postgres", "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "crm_fault")

    def ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", *extra)

    def ready(self) -> bool:
        result = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"], capture_output=True
        )
        return result.returncode == 0

    def start(self) -> None:
        self.ctl("start")
        wait_until(self.ready, timeout=30, what="the private PostgreSQL")

    def stop(self, mode: str = "fast") -> None:
        self.ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.ctl("restart", "-m", mode)
        wait_until(self.ready, timeout=30, what="the private PostgreSQL after a restart")

    def psql(self, sql: str) -> str:
        result = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "crm_fault",
             "-Atc", sql],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        return result.stdout.strip()

    def destroy(self) -> None:
        if self.data.exists():
            self._as_postgres("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def app_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_ENV="development", DEBUG="0", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", **overrides)
    return env


def manage(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def web_server(port: int, *, env: dict, log: Path, workers: int = 2) -> Service:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return Service(
        [gunicorn, "accounts_crm.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--timeout", "60",
         "--graceful-timeout", "5"],
        env=env, log=log,
    )  # fmt: skip


def wait_for_web(port: int, server: Service) -> None:
    def up():
        assert server.alive(), server.log.read_text()[-3000:]
        return http("GET", f"http://127.0.0.1:{port}/healthz", timeout=5)[0] == 200

    wait_until(up, timeout=60, what="the web server")


@pytest.fixture
def services(tmp_path):
    """Everything a test starts, stopped at the end whatever happens."""
    started: list = []
    yield started
    for item in reversed(started):
        if isinstance(item, PrivatePostgres):
            item.destroy()
        elif isinstance(item, PrivateRedis):
            item.service.stop()
        else:
            item.stop()


@pytest.fixture
def migration_metrics(transactional_db):
    """The KPIs of the data migration: a transactional test may start after another one's flush removed them."""
    from kpis.services import metrics_ensure_defaults

    metrics_ensure_defaults()
