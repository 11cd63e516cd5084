"""The systems under test, each started with its own redis-server where it needs one:
the installation as the Procfile says, the seed design, and the bare relay."""

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
from pathlib import Path

from bench.loadgen import Target
from bench.parts import RedisServer, Server, free_port, wait_for
from installation.procfile import procfile_command

ROOT = Path(__file__).resolve().parent.parent

# The benchmark measures throughput, not admission: let every phone draw.
BENCH_EXHIBIT = (
    "from core.models import Exhibit; Exhibit.objects.filter(pk=1).delete(); "
    "Exhibit.objects.create(pk=1, max_drawing=100000)"
)
# The phones' view of the wall switched off (projector.view), to measure what it costs.
VIEW_OFF = "from core.models import Exhibit; Exhibit.objects.filter(pk=1).update(phone_view=False)"
_shared = {"dir": "", "template": ""}


def bench_dir() -> str:
    """A directory for this run: the migrated database template and collected statics."""
    if not _shared["dir"]:
        _shared["dir"] = tempfile.mkdtemp(prefix="bench-run-")
    return _shared["dir"]


def production_env(layer: str) -> dict[str, str]:
    """The installation as a venue runs it: debug off, plain HTTP on a laptop."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": os.path.join(bench_dir(), "static"),
        "REDIS_LAYER": layer,
        "LOG_LEVEL": "WARNING",
    }


class BenchServer(Server):
    """bench.parts.Server (the Procfile's web line), prepared once: migrated and the
    bench exhibit saved; later servers copy the migrated SQLite file."""

    def collect_static(self) -> None:
        """Pages need collected statics with debug off: the phone page (where each
        simulated phone gets its device cookie) and the wall (for its fps)."""
        if not os.path.exists(os.path.join(self.env["DJANGO_STATIC_ROOT"], "staticfiles.json")):
            self.manage("collectstatic", "--noinput", "-v0")

    def migrate(self) -> None:
        target = self.env["SQLITE_PATH"]
        template = _shared["template"]
        if template and os.path.exists(template):
            shutil.copyfile(template, target)
            return
        super().migrate()
        self.manage("shell", "-c", BENCH_EXHIBIT)
        template = os.path.join(bench_dir(), "template.sqlite3")
        shutil.copyfile(target, template)
        _shared["template"] = template


def cleanup() -> None:
    if _shared["dir"]:
        shutil.rmtree(_shared["dir"], ignore_errors=True)
        _shared.update(dir="", template="")


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


class System:
    """Something phones draw on and walls watch; started and stopped by the bench."""

    name = "system"
    label = ""

    def __init__(self) -> None:
        self.redis: RedisServer | None = None

    @property
    def target(self) -> Target:
        raise NotImplementedError

    @property
    def targets(self) -> list[Target]:
        """Every server phones may draw on (one, except in the scale-out)."""
        return [self.target]

    def server_pid(self) -> int | None:
        raise NotImplementedError

    def server_pids(self) -> list[int | None]:
        """One pid per server process tree (one, except in the scale-out)."""
        return [self.server_pid()]

    @property
    def redis_url(self) -> str | None:
        return self.redis.url if self.redis is not None else None

    def redis_pid(self) -> int | None:
        if self.redis is not None and self.redis.process is not None:
            return self.redis.process.pid
        return None

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def log(self) -> str:
        return ""

    def _start_redis(self) -> str:
        if self.redis is None:
            self.redis = RedisServer()
        self.redis.start()
        return self.redis.url

    def _stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.close()
            self.redis = None


class Installation(System):
    """The installation, started exactly as the Procfile's web line says, with Redis."""

    def __init__(
        self, workers: int = 1, layer: str = "pubsub", paced: bool = False, view: bool = True
    ) -> None:
        super().__init__()
        self.workers = workers
        self.layer = layer
        self.paced = paced
        self.view = view
        suffix = "" if layer == "pubsub" else f"-{layer}"
        suffix += ("-paced" if paced else "") + ("" if view else "-noview")
        self.name = f"installation-{workers}w{suffix}"
        self.label = (
            f"the installation, {workers} worker(s), {layer} layer"
            + (", phones paced by the server when busy" if paced else "")
            + ("" if view else ", no view of the wall on phones")
        )
        self.server: Server | None = None

    @property
    def target(self) -> Target:
        return Target(ws=self.server.ws, origin=self.server.origin, sets_cookie=True)

    @property
    def http(self) -> str:
        return self.server.http

    def server_pid(self) -> int | None:
        return self.server.process.pid if self.server and self.server.process else None

    def start(self, pages: bool = True) -> None:
        # "memory": the in-memory channel layer, no Redis (one process only).
        url = None if self.layer == "memory" else self._start_redis()
        env = production_env(self.layer)
        # Unpaced rows compare message for message with the references; the paced row
        # is the product's default, asking phones for fewer, fuller messages when busy.
        env["WALL_MESSAGE_BUDGET"] = env.get("WALL_MESSAGE_BUDGET", "1500") if self.paced else "0"
        self.server = BenchServer(workers=self.workers, redis_url=url, env=env)
        if not self.view:
            self.server.manage("shell", "-c", VIEW_OFF)
        self.server.collect_static()
        self.server.start()

    def restart(self) -> None:
        """A fresh server process on the same database and Redis."""
        self.server.stop()
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        self._stop_redis()

    def log(self) -> str:
        return self.server.log() if self.server else ""


class _Subprocess(System):
    """A reference server started as a subprocess on a free port."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.workdir = ""

    @property
    def target(self) -> Target:
        return Target(ws=f"ws://127.0.0.1:{self.port}", origin=f"http://127.0.0.1:{self.port}")

    def server_pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return {}

    def start(self) -> None:
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix=f"bench-{self.name}-")
        env = {
            **os.environ,
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **self.environment(),
        }
        with open(os.path.join(self.workdir, "server.log"), "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def up() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()}")
            return port_open(self.port)

        wait_for(up, 30, f"{self.name} on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
            self.process = None
        self._stop_redis()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self) -> str:
        with contextlib.suppress(OSError), open(os.path.join(self.workdir, "server.log")) as f:
            return f.read()[-4000:]
        return ""


class SeedDesign(_Subprocess):
    """One group_send per phone message, uvicorn with the Procfile's flags, 1 worker."""

    name = "seed-design"
    label = "the seed design: JsonWebsocketConsumer, one group_send a message"

    def __init__(self, layer: str = "pubsub") -> None:
        super().__init__()
        self.layer = layer

    def start(self) -> None:
        self._start_redis()
        super().start()

    def environment(self) -> dict[str, str]:
        return {
            "REDIS_URL": self.redis_url or "",
            "REDIS_LAYER": self.layer,
            "WEB_CONCURRENCY": "1",
            "DJANGO_SETTINGS_MODULE": "bench.seed_settings",
        }

    def command(self) -> list[str]:
        web = procfile_command("web").replace(
            "installation.asgi:application", "bench.seed_design:application"
        )
        return ["sh", "-c", "exec " + web]


class BareRelay(_Subprocess):
    """The websockets library alone, relaying each message to every wall."""

    name = "bare-relay"
    label = "a bare websockets relay, no framework"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "bench.bare_relay", "--port", str(self.port)]


def settle(seconds: float = 0.5) -> None:
    time.sleep(seconds)
