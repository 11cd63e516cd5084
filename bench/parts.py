"""The real parts the tests and the benchmark start: a uvicorn from the Procfile's web
line, a redis-server on a free port, a fresh PostgreSQL database, Chromium.

One definition for both (plain code, no pytest): a part this machine lacks raises
PartMissing, which tests/parts.py turns into a skip, or a failure in CI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from installation.procfile import procfile_command

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class PartMissing(RuntimeError):
    """A part this machine does not have (redis-server, PostgreSQL, Chromium)."""

    def __init__(self, part: str, why: str) -> None:
        super().__init__(f"{part} is not available: {why}")
        self.part, self.why = part, why


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    """A redis-server of one's own, on a free port; can be stopped and restarted."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise PartMissing("redis-server", "not on PATH")
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="wall-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresDatabase:
    """A fresh database on the machine's PostgreSQL server, dropped afterwards."""

    def __init__(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise PartMissing("PostgreSQL", "psycopg is not installed") from None
        self.name = f"wall_test_{uuid.uuid4().hex[:10]}"
        try:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.OperationalError as error:
            raise PartMissing("PostgreSQL", str(error).strip()) from error
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Server:
    """The installation, started exactly as the Procfile's web line says."""

    def __init__(
        self,
        *,
        workers: int = 1,
        redis_url: str | None = None,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="wall-server-")
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            "DJANGO_DEBUG": "1",
            "SQLITE_PATH": os.path.join(self.workdir, "db.sqlite3"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("REDIS_URL", "DATABASE_URL"):
            self.env.pop(name, None)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.env.update(env or {})
        self.process: subprocess.Popen | None = None
        self.log_path = os.path.join(self.workdir, "server.log")
        self.migrate()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v0")

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["sh", "-c", "exec " + procfile_command("web")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for(self._healthy, 30, f"the server on port {self.port}")
        except TimeoutError:
            self.stop()
            raise RuntimeError("server did not start:\n" + self.log()) from None

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError("server exited:\n" + self.log())
        try:
            with urllib.request.urlopen(self.http + "/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10):
        request = urllib.request.Request(self.http + path, headers=headers or {})
        return urllib.request.urlopen(request, timeout=timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.process is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            if sig == signal.SIGKILL:
                os.killpg(self.process.pid, sig)
            else:
                self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait(5)
        self.process = None
        return code

    def log(self) -> str:
        with contextlib.suppress(OSError), open(self.log_path, errors="replace") as handle:
            return handle.read()[-6000:]
        return ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        raise PartMissing("Chromium", f"{CHROMIUM} does not exist (apt-get install chromium)")
    return CHROMIUM


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
