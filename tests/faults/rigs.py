"""What the fault tests do to the installation and how they watch it: the server's
processes and memory, raw sockets that stop reading, a wall that counts frames, the
database refusing connections, a crowd of simulated phones."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psutil
import psycopg
import websockets

from tests.clients import device_cookie
from tests.faults.phone import SimPhone
from tests.parts import POSTGRES_ADMIN_URL, Server

ARCHIVER_MODULE = "projector.archiver"

# -- the server's processes -------------------------------------------------------


def server_tree(server: Server) -> list[psutil.Process]:
    """The server's processes: uvicorn, its workers, their archivers."""
    if server.process is None:
        return []
    try:
        root = psutil.Process(server.process.pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cmdline(process: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(process.cmdline())
    return ""


def archivers(server: Server) -> list[psutil.Process]:
    """The archiver children (`python -m projector.archiver`) of the workers."""
    return [p for p in server_tree(server) if ARCHIVER_MODULE in _cmdline(p)]


def workers(server: Server) -> list[psutil.Process]:
    """The processes that serve connections: uvicorn itself with one worker, else its
    worker children (each the parent of an archiver)."""
    parents = {}
    for archiver in archivers(server):
        with contextlib.suppress(psutil.Error):
            parent = archiver.parent()
            if parent is not None:
                parents[parent.pid] = parent
    return list(parents.values())


def rss_mb(server: Server) -> float:
    total = 0
    for process in server_tree(server):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total / 2**20


class MemoryWatch:
    """Samples the RSS of the server's whole process tree in a thread: the baseline
    (after start), the peak, and the figure at the end."""

    def __init__(self, server: Server, interval: float = 0.25) -> None:
        self.server = server
        self.interval = interval
        self.baseline = rss_mb(server)
        self.peak = self.baseline
        self.last = self.baseline
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            value = rss_mb(self.server)
            if value:
                self.last = value
                self.peak = max(self.peak, value)
                self.samples.append((time.monotonic(), value))

    def rebase(self) -> None:
        """Count growth from now (the crowd connected and drawing, before the fault)."""
        self.baseline = self.last = rss_mb(self.server) or self.last
        self.peak = max(self.baseline, self.last)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    @property
    def growth(self) -> float:
        return self.peak - self.baseline

    def summary(self) -> str:
        return f"baseline {self.baseline:.0f} MB, peak {self.peak:.0f} MB (+{self.growth:.0f})"


def server_connections(server: Server) -> list:
    """TCP connections the server's processes hold on its port, established or closing
    (an orphaned socket the server let go of is no longer any process's)."""
    found = []
    for process in server_tree(server):
        with contextlib.suppress(psutil.Error):
            for conn in process.net_connections(kind="tcp"):
                if conn.laddr and conn.laddr.port == server.port and conn.raddr:
                    found.append(conn)
    return found


def health(server: Server, timeout: float = 5) -> tuple[int, dict]:
    """(HTTP status, body) of /healthz; (0, {}) if the server does not answer."""
    try:
        with urllib.request.urlopen(server.http + "/healthz", timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with contextlib.suppress(ValueError):
            return error.code, json.loads(error.read())
        return error.code, {}
    except OSError:
        return 0, {}


def page_status(server: Server, path: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(server.http + path, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


async def released(server: Server, workers_count: int, timeout: float = 15) -> str | None:
    """Wait until every connection is released: no TCP connection on the server's port
    and /healthz's process.phones at 0 on every worker. None, or what is still held."""
    deadline = time.monotonic() + timeout
    held = "nothing checked"
    while time.monotonic() < deadline:
        conns = await asyncio.to_thread(server_connections, server)
        phones: dict[str, int] = {}
        if not conns:
            for _ in range(8 * workers_count):
                _, body = await asyncio.to_thread(health, server)
                process = body.get("process") or {}
                if "origin" in process:
                    phones[process["origin"]] = process.get("phones", 0)
                if len(phones) >= workers_count:
                    break
            busy = {o: n for o, n in phones.items() if n}
            if len(phones) >= workers_count and not busy:
                return None
            held = f"/healthz phones {phones}"
        else:
            held = f"{len(conns)} TCP connections: {sorted({c.status for c in conns})}"
        await asyncio.sleep(0.25)
    return held


def restart_after_kill(server: Server) -> None:
    """Reap a killed server and start it again on the same port (what a PaaS does)."""
    if server.process is not None:
        with contextlib.suppress(Exception):
            server.process.wait(20)
        server.process = None
    server.start()


def kill_group(server: Server, sig: int = signal.SIGKILL) -> None:
    """A signal to the server's whole process group, as a PaaS stopping a machine."""
    assert server.process is not None
    os.killpg(server.process.pid, sig)


# -- clients ----------------------------------------------------------------------


def cookies(server: Server, n: int) -> list[str]:
    """`n` device cookies, as `n` phones opening the page would get them."""
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: device_cookie(server.http), range(n)))
    assert all(got), "the phone page sets a device cookie"
    return got


class RawSocket:
    """A client that completes the WebSocket handshake over a plain TCP socket with a
    small receive buffer, and then reads nothing: a browser tab frozen in the
    background, a phone whose radio stopped taking data."""

    def __init__(self, server: Server, path: str, cookie: str = "", rcvbuf: int = 4096) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", server.port))
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.origin}\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)  # byte by byte: not a byte of the frames after it
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.decode(errors="replace").splitlines()[0])
        self.local_port = self.sock.getsockname()[1]
        self.sock.setblocking(False)

    def send_json(self, message: dict) -> bool:
        """A masked text frame; False if the kernel would not take it now."""
        payload = json.dumps(message).encode()
        mask = secrets.token_bytes(4)
        n = len(payload)
        if n < 126:
            header = bytes([0x81, 0x80 | n])
        else:
            header = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        try:
            self.sock.sendall(header + mask + body)
            return True
        except (BlockingIOError, OSError):
            return False

    def held_by(self, server: Server) -> bool:
        """Whether a server process still holds this connection's socket."""
        return any(c.raddr.port == self.local_port for c in server_connections(server))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
            self.sock.close()


@dataclass
class FrameWatch:
    """A wall that reads: records when each frame arrives, and reconnects (like the
    wall page) if it is ever closed."""

    server: Server
    arrivals: list[float] = field(default_factory=list)
    by_origin: dict[str, list[float]] = field(default_factory=dict)  # each process's frames
    keys: set[str] = field(default_factory=set)
    closes: list[tuple[float, int | None]] = field(default_factory=list)
    _task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                async with websockets.connect(
                    self.server.ws + "/ws/wall/",
                    additional_headers={"Origin": self.server.origin},
                    max_size=2**24,
                    open_timeout=5,
                ) as ws:
                    async for text in ws:
                        message = json.loads(text)
                        if message.get("type") == "frame":
                            now = time.monotonic()
                            self.arrivals.append(now)
                            self.by_origin.setdefault(message["origin"], []).append(now)
                            self.keys.update(s["key"] for s in message.get("segments", ()))
                    self.closes.append((time.monotonic(), ws.close_code))
            except (OSError, websockets.WebSocketException, TimeoutError):
                self.closes.append((time.monotonic(), None))
            await asyncio.sleep(random.uniform(0, 0.5))

    def frames_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.arrivals if start <= t <= end)

    def longest_silence(self, start: float, end: float) -> float:
        """The longest time without a frame between `start` and `end`, from any process
        that was sending frames just before `start` (with several workers, one frozen
        process must not hide behind the others' frames)."""
        longest = 0.0
        for arrivals in self.by_origin.values():
            if not any(start - 2 <= t <= start for t in arrivals):
                continue
            times = [start, *(t for t in arrivals if start <= t <= end), end]
            longest = max(longest, *(b - a for a, b in zip(times, times[1:], strict=False)))
        return longest

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


# -- the database -----------------------------------------------------------------


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def database_refuse(name: str) -> int:
    """The database refuses new connections and loses its open ones; returns how many
    backends were terminated."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


def database_allow(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


class Servers:
    """Starts servers as the Procfile says (setting the exhibit first where asked) and
    stops every one of them at the end."""

    def __init__(self) -> None:
        self.started: list[Server] = []

    def __call__(self, *, exhibit: dict | None = None, **options) -> Server:
        server = Server(**options)
        self.started.append(server)
        if exhibit:
            exhibit_set(server, **exhibit)
        server.start()
        return server

    def close(self) -> None:
        for server in self.started:
            server.close()
        self.started.clear()


def exhibit_set(server: Server, **fields: object) -> None:
    """Change the exhibit's live settings before the server starts (the curator's job)."""
    assignments = "; ".join(f"e.{k} = {v!r}" for k, v in fields.items())
    server.manage(
        "shell",
        "-c",
        f"from core.models import Exhibit; e = Exhibit.load(); {assignments}; e.save()",
    )


# -- a crowd ----------------------------------------------------------------------


class Crowd:
    """Simulated phones (tests/faults/phone.py) that draw until told to stop."""

    def __init__(self, server: Server, n: int, *, seed: int = 1, cookie_list=None) -> None:
        jar = cookie_list if cookie_list is not None else cookies(server, n)
        self.phones = [
            SimPhone(
                server.ws, server.origin, jar[i], rng=random.Random(seed * 1000 + i), name=str(i)
            )
            for i in range(n)
        ]
        self._drawing: list[asyncio.Task] = []

    async def connect(self, timeout: float = 30) -> None:
        for phone in self.phones:
            phone.start()
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(p.welcomed.wait() for p in self.phones))

    def draw(self, seconds: float, **options) -> None:
        """Every phone draws (in the background) for `seconds`."""
        until = time.monotonic() + seconds

        async def draw(phone: SimPhone) -> None:
            await asyncio.sleep(phone.rng.uniform(0, 0.3))  # not all in step
            await phone.draw(until=until, **options)

        self._drawing = [asyncio.create_task(draw(p)) for p in self.phones]

    def stop_drawing(self) -> None:
        """Every phone finishes the stroke it is drawing and draws no more."""
        for phone in self.phones:
            phone.draw_until = 0.0

    async def finish(self, settle: float = 30) -> list[SimPhone]:
        """Wait for the drawing to end and every phone to settle; the unsettled."""
        await asyncio.gather(*self._drawing)
        results = await asyncio.gather(*(p.settle(settle) for p in self.phones))
        return [p for p, ok in zip(self.phones, results, strict=True) if not ok]

    async def leave(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.phones))

    def acks_after(self, moment: float) -> list[float | None]:
        """For each phone, when its acked seq first advanced after `moment` (or None)."""
        out = []
        for phone in self.phones:
            later = [t for t, _ in phone.acks_at if t > moment]
            out.append(min(later) if later else None)
        return out

    def recovery(self, moment: float) -> float | None:
        """Seconds from `moment` until every phone had an ack again (None if one did not)."""
        firsts = self.acks_after(moment)
        if any(t is None for t in firsts):
            return None
        return max(firsts) - moment if firsts else 0.0

    def errors(self, code: str) -> int:
        return sum(1 for p in self.phones for e in p.errors if e.get("code") == code)

    def closes(self) -> list[int | None]:
        return [code for p in self.phones for _, code in p.closes]
