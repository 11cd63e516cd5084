"""The faults, each as one scenario with its size as parameters: the tests run short
forms and assert on the Outcome; `make chaos` (tests/faults/chaos.py) runs long forms and
prints the table. Every scenario ends the same way: the phones finish and settle, the
loss audit (tests/faults/audit.py), every connection released, a memory figure."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from tests.clients import WallClient
from tests.faults.audit import Audit, audit
from tests.faults.phone import SimPhone
from tests.faults.rigs import (
    Crowd,
    FrameWatch,
    MemoryWatch,
    RawSocket,
    archivers,
    cookies,
    database_allow,
    database_name,
    database_refuse,
    health,
    page_status,
    released,
    restart_after_kill,
    server_connections,
    workers,
)
from tests.parts import RedisServer, Server

SLOW_SECONDS = 5.0  # docs/protocol.md, "Slow clients"
HELLO_TIMEOUT = 10.0  # controller/consumers.py: a socket without hello is closed then
CLOSE_HANDSHAKE = 10.0  # how long the server waits for the client's close frame (websockets)
MakeServer = Callable[..., Server]  # (workers=, redis_url=, database_url=, exhibit=) -> started


@dataclass
class Outcome:
    fault: str
    audit: Audit
    recovery: float | None  # seconds; what it measures is in recovery_what
    recovery_what: str
    memory: MemoryWatch
    held: str | None  # what was still held after the clients left (None: all released)
    facts: dict = field(default_factory=dict)

    def row(self) -> dict:
        return {
            "fault": self.fault,
            "acknowledged": self.audit.acknowledged,
            "lost": len(self.audit.lost),
            "gaps": len(self.audit.gaps),
            "recovery": self.recovery,
            "recovery_what": self.recovery_what,
            "peak_mb": self.memory.peak,
            "growth_mb": self.memory.growth,
            "released": self.held is None,
        }

    def explain(self) -> str:
        return (
            f"{self.fault}: {self.audit.summary()}; recovery {self.recovery} "
            f"({self.recovery_what}); memory {self.memory.summary()}; held {self.held}; "
            f"facts {self.facts}"
        )


async def _finish(
    fault: str,
    server: Server,
    crowd: Crowd,
    database_url: str,
    memory: MemoryWatch,
    *,
    workers_count: int = 1,
    recovery: float | None,
    recovery_what: str,
    settle: float = 40,
    extra: list | None = None,
    facts: dict | None = None,
) -> Outcome:
    """Every phone finishes and settles; audit; everyone leaves; release; memory."""
    await crowd.finish(settle)
    result = audit(crowd.phones, database_url)
    facts = dict(facts or {})
    facts.update(
        unknown_stroke=crowd.errors("unknown_stroke"),
        client_taken=crowd.errors("client_taken"),
        seq_gap=crowd.errors("seq_gap"),
        reconnects=sum(max(0, len(p.welcomes) - 1) for p in crowd.phones),
        stalls=sum(p.stalls for p in crowd.phones),
        strokes_across=sum(
            1
            for p in crowd.phones
            for info in p.strokes.values()
            if len({p.sent[s].connection for s in info.seqs}) > 1
        ),
    )
    await crowd.leave()
    for thing in extra or ():
        with contextlib.suppress(Exception):
            if asyncio.iscoroutine(thing):
                await thing
            else:
                closing = thing.close()
                if asyncio.iscoroutine(closing):
                    await closing
    held = await released(server, workers_count)
    memory.stop()
    return Outcome(fault, result, recovery, recovery_what, memory, held, facts)


async def _warm(server: Server, phones: int, seed: int) -> tuple[Crowd, MemoryWatch]:
    """A crowd connected and drawing for a second; memory counted from there."""
    crowd = Crowd(server, phones, seed=seed)
    memory = MemoryWatch(server)
    await crowd.connect()
    return crowd, memory


# -- clients that stop reading -------------------------------------------------------


def _send_queue(local_port: int) -> int | None:
    """Bytes the server's socket holds for this client (its Send-Q), from `ss`."""
    out = subprocess.run(
        ["ss", "-tnH", "state", "all", f"( dport = :{local_port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    with contextlib.suppress(IndexError, ValueError):
        return int(out[2])  # State Recv-Q Send-Q ...
    return None


async def wall_stops_reading(
    make_server: MakeServer,
    database_url: str,
    *,
    phones: int = 20,
    points: int = 4,
    rate: float = 40,
    limit: float = 60,
    workers_count: int = 1,
    redis_url: str | None = None,
) -> Outcome:
    """A wall that completes the handshake and never reads, while phones draw and a
    healthy wall reads. How long until the server lets the stalled wall go, and
    whether the healthy wall kept getting frames all that time."""
    server = make_server(workers=workers_count, redis_url=redis_url, database_url=database_url)
    healthy = FrameWatch(server)
    healthy.start()
    crowd, memory = await _warm(server, phones, seed=11)
    crowd.draw(limit + 10, points=points, rate=rate)  # frames fill its buffers sooner
    await asyncio.sleep(1.5)
    memory.rebase()
    stalled = RawSocket(server, "/ws/wall/")
    began = time.monotonic()
    closed_at = full_at = None
    last_queue, same = -1, 0
    queue_peak = 0
    while time.monotonic() - began < limit:
        await asyncio.sleep(0.25)
        queue = await asyncio.to_thread(_send_queue, stalled.local_port)
        if queue is not None:
            queue_peak = max(queue_peak, queue)
            same = same + 1 if queue == last_queue and queue > 0 else 0
            if same >= 4 and full_at is None:
                full_at = time.monotonic() - 1.0  # its buffers stopped taking data
            last_queue = queue
        if not await asyncio.to_thread(stalled.held_by, server):
            closed_at = time.monotonic()
            break
    end = closed_at or time.monotonic()
    await asyncio.sleep(1)
    facts = {
        "stalled_closed_after": None if closed_at is None else round(closed_at - began, 1),
        "buffers_full_after": None if full_at is None else round(full_at - began, 1),
        "closed_after_full": None
        if closed_at is None or full_at is None
        else round(closed_at - full_at, 1),
        "send_queue_peak": queue_peak,
        "healthy_frames_during_stall": healthy.frames_between(began, end),
        "healthy_longest_silence": round(healthy.longest_silence(began, end), 2),
        "healthy_wall_closes": len(healthy.closes),
    }
    crowd.stop_drawing()
    _, body = health(server)
    facts["slow_closed"] = (body.get("process") or {}).get("slow_closed")
    return await _finish(
        f"a wall stops reading ({phones} phones, {workers_count} worker"
        + ("s)" if workers_count > 1 else ")"),
        server,
        crowd,
        database_url,
        memory,
        workers_count=workers_count,
        recovery=facts["stalled_closed_after"],
        recovery_what="until the server let the stalled wall go",
        extra=[stalled, healthy.stop()],
        facts=facts,
    )


async def phone_stops_reading(
    make_server: MakeServer, database_url: str, *, phones: int = 20, stall: float = 8
) -> Outcome:
    """A phone says hello, keeps drawing, and never reads; the others keep getting acks."""
    server = make_server(database_url=database_url)
    crowd, memory = await _warm(server, phones, seed=12)
    crowd.draw(stall + 3)
    await asyncio.sleep(1.5)
    memory.rebase()
    (cookie,) = cookies(server, 1)
    stalled = RawSocket(server, "/ws/draw/", cookie=cookie)
    stalled.send_json({"type": "hello", "client": "stalledphone01", "last_seq": 0})
    began = time.monotonic()
    seq = 0
    sent_failed = 0
    while time.monotonic() - began < stall:
        seq += 1
        message = {"type": "points" if seq > 1 else "start", "seq": seq, "stroke": 1,
                   "points": [[0.5, 0.5 + (seq % 100) / 1000]]}  # fmt: skip
        if seq == 1:
            message.update(color="#f94144", width=0.006)
        if not stalled.send_json(message):
            sent_failed += 1
        await asyncio.sleep(1 / 30)
    end = time.monotonic()
    # Every healthy phone's acks advanced during the stall, with no silence as long as
    # the slow-client limit, and covered what it sent up to 3 s before the end.
    silences = []
    behind = 0
    for phone in crowd.phones:
        times = [began, *(t for t, _ in phone.acks_at if began <= t <= end), end]
        silences.append(max(b - a for a, b in zip(times, times[1:], strict=False)))
        early = [s for s, m in phone.sent.items() if m.first_sent < end - 3]
        if early and not all(phone.sent[s].resolved for s in early):
            behind += 1
    facts = {
        "healthy_phone_longest_ack_silence": round(max(silences), 2),
        "healthy_phones_behind": behind,
        "stalled_sent": seq,
        "stalled_send_refused_by_kernel": sent_failed,
        "stalled_still_held": await asyncio.to_thread(stalled.held_by, server),
    }
    return await _finish(
        f"a phone stops reading for {stall:.0f} s ({phones} phones)",
        server,
        crowd,
        database_url,
        memory,
        recovery=facts["healthy_phone_longest_ack_silence"],
        recovery_what="longest wait for an ack of a healthy phone during the stall",
        extra=[stalled],
        facts=facts,
    )


# -- killed processes --------------------------------------------------------------


def _connections_held(process: psutil.Process) -> int:
    with contextlib.suppress(psutil.Error):
        return sum(1 for c in process.net_connections(kind="tcp") if c.status == "ESTABLISHED")
    return 0


async def _until_all_acked_again(crowd: Crowd, moment: float, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = crowd.recovery(moment)
        if value is not None:
            return value
        await asyncio.sleep(0.1)
    return None


async def kill(
    make_server: MakeServer,
    database_url: str,
    *,
    what: str,
    phones: int = 10,
    kills: int = 1,
    between: float = 2.0,
    redis_url: str | None = None,
) -> Outcome:
    """SIGKILL (or SIGTERM) mid-stroke while phones draw. `what`:
    - "worker": one uvicorn worker of two (Redis); uvicorn starts another;
    - "archiver": the archiver child of the worker; the worker starts another;
    - "group": the whole process group; then the server is started again;
    - "sigterm": SIGTERM to uvicorn; then the server is started again."""
    two = what == "worker"
    server = make_server(
        workers=2 if two else 1, redis_url=redis_url if two else None, database_url=database_url
    )
    crowd, memory = await _warm(server, phones, seed=20 + kills)
    crowd.draw(600)  # until stopped below
    await asyncio.sleep(1.5)
    memory.rebase()
    facts: dict = {"killed": []}
    recoveries = []
    for _ in range(kills):
        moment = time.monotonic()
        if what == "worker":
            victim = max(workers(server), key=_connections_held)  # the busier one
            facts["killed"].append(victim.pid)
            os.kill(victim.pid, signal.SIGKILL)
        elif what == "archiver":
            _, body = health(server)
            pid = ((body.get("process") or {}).get("storage") or {}).get("pid")
            children = {p.pid for p in archivers(server)}
            assert pid in children, f"/healthz names archiver {pid}, the tree has {children}"
            facts["killed"].append(pid)
            os.kill(pid, signal.SIGKILL)
        elif what == "group":
            facts["killed"].append(server.process.pid)
            os.killpg(server.process.pid, signal.SIGKILL)
            await asyncio.sleep(0.5)  # down a moment, as a machine being replaced
            await asyncio.to_thread(restart_after_kill, server)
            moment = time.monotonic()  # recovery counts from the server answering
        elif what == "sigterm":
            facts["killed"].append(server.process.pid)
            await asyncio.to_thread(server.stop, signal.SIGTERM)
            await asyncio.to_thread(server.start)
            moment = time.monotonic()
        else:
            raise ValueError(what)
        recoveries.append(await _until_all_acked_again(crowd, moment, 30))
        await asyncio.sleep(max(0.0, between - (time.monotonic() - moment)))
    await asyncio.sleep(1.0)
    crowd.stop_drawing()
    _, body = health(server)
    facts["archiver_restarts"] = ((body.get("process") or {}).get("storage") or {}).get("restarts")
    known = [r for r in recoveries if r is not None]
    return await _finish(
        {
            "worker": "SIGKILL of one worker of two",
            "archiver": "SIGKILL of the archiver",
            "group": "SIGKILL of the process group",
            "sigterm": "SIGTERM",
        }[what]
        + f" ({phones} phones"
        + (f", x{kills})" if kills > 1 else ")"),
        server,
        crowd,
        database_url,
        memory,
        workers_count=2 if two else 1,
        recovery=max(known) if len(known) == len(recoveries) else None,
        recovery_what=(
            "from the server answering until every phone had an ack again"
            if what in ("group", "sigterm")
            else "from the kill until every phone had an ack again"
        ),
        facts=facts,
    )


# -- lost services -----------------------------------------------------------------


async def redis_down(
    make_server: MakeServer,
    database_url: str,
    redis: RedisServer,
    *,
    phones: int = 10,
    down: float = 5,
) -> Outcome:
    """Redis stops for `down` seconds under two workers; a wall merges the sheet and
    live frames, and must end up with every acknowledged segment."""
    server = make_server(workers=2, redis_url=redis.url, database_url=database_url)
    wall = WallClient(server.http, server.ws, server.origin)
    await wall.connect()
    crowd, memory = await _warm(server, phones, seed=30)
    crowd.draw(600)  # until stopped below
    await asyncio.sleep(1.5)
    memory.rebase()
    redis.stop()
    stopped = time.monotonic()
    await asyncio.sleep(down)
    redis.start()
    back = time.monotonic()
    recovery = await _until_all_acked_again(crowd, back, 30)
    await asyncio.sleep(1.5)
    crowd.stop_drawing()
    await crowd.finish(40)
    acked = {
        f"{p.client}:{s}"
        for p in crowd.phones
        for s, m in p.sent.items()
        if m.resolved == "drawn" and m.points
    }
    missing_on_wall: set[str] = set()
    with contextlib.suppress(TimeoutError):
        await wall.wait_for_keys(acked, timeout=20)
    missing_on_wall = acked - wall.segments.keys()
    # Its process heard nothing while Redis was away: it tells its walls to resync, a
    # second after it hears again (by then the keys may all have come by a seq gap).
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while not wall.resync_messages:
                await asyncio.sleep(0.1)
    # Whether storage's sheet has what the wall lacks (a sheet merge missed it) or not.
    missing_in_sheet = 0
    if missing_on_wall:
        with contextlib.suppress(OSError, ValueError):
            final = await asyncio.to_thread(wall._fetch_sheet)
            in_sheet = {seg["key"] for stroke in final["strokes"] for seg in stroke["segments"]}
            missing_in_sheet = len(missing_on_wall & in_sheet)
    facts = {
        "down_for": round(back - stopped, 1),
        "wall_missing": len(missing_on_wall),
        "wall_duplicates": wall.duplicates,
        "wall_told_to_resync": wall.resync_messages,
        "wall_gaps": wall.gaps,
        "wall_sheet_merges": wall.resyncs,
        "wall_fetch_errors": wall.fetch_errors[:3],
        "wall_missing_in_sheet": missing_in_sheet,
        "phone_closes": len(crowd.closes()),
    }
    return await _finish(
        f"Redis down {down:.0f} s ({phones} phones, 2 workers)",
        server,
        crowd,
        database_url,
        memory,
        workers_count=2,
        recovery=recovery,
        recovery_what="from Redis back until every phone had an ack again",
        extra=[wall],
        facts=facts,
    )


async def database_refuses(
    make_server: MakeServer, database_url: str, *, phones: int = 10, down: float = 10
) -> Outcome:
    """PostgreSQL refuses connections (and drops the open ones) for `down` seconds.
    Live drawing goes on, the pages load, /healthz says what is wrong, and afterwards
    every acknowledged point is stored."""
    server = make_server(database_url=database_url)
    name = database_name(database_url)
    wall = FrameWatch(server)
    wall.start()
    crowd, memory = await _warm(server, phones, seed=40)
    crowd.draw(600)  # until stopped below
    await asyncio.sleep(1.5)
    memory.rebase()
    closes_before = len(crowd.closes())
    terminated = await asyncio.to_thread(database_refuse, name)
    began = time.monotonic()
    pages: dict[str, set[int]] = {"/": set(), "/projector/": set()}
    healthz: list[tuple[int, str, int | None]] = []
    try:
        while time.monotonic() - began < down:
            for path in pages:
                pages[path].add(await asyncio.to_thread(page_status, server, path))
            code, body = await asyncio.to_thread(health, server)
            storage = (body.get("process") or {}).get("storage") or {}
            healthz.append((code, body.get("status", ""), storage.get("backlog")))
            await asyncio.sleep(0.5)
    finally:
        await asyncio.to_thread(database_allow, name)
    back = time.monotonic()
    facts = {
        "backends_terminated": terminated,
        "pages_during": {p: sorted(s) for p, s in pages.items()},
        "healthz_during": sorted({(c, s) for c, s, _ in healthz}),
        "backlog_peak": max((b or 0 for *_, b in healthz), default=0),
        "wall_frames_during": wall.frames_between(began, back),
        "wall_longest_silence": round(wall.longest_silence(began, back), 2),
        "phone_closes_during": len(crowd.closes()) - closes_before,
    }
    recovery = await _until_all_acked_again(crowd, back, 40)
    healthy_again = None
    for _ in range(60):
        code, body = await asyncio.to_thread(health, server)
        if code == 200:
            healthy_again = round(time.monotonic() - back, 1)
            break
        await asyncio.sleep(0.5)
    facts["healthz_ok_after"] = healthy_again
    storage = ((body.get("process") or {}).get("storage")) or {}
    facts["storage_retries"] = storage.get("retries")
    crowd.stop_drawing()
    return await _finish(
        f"the database refuses connections {down:.0f} s ({phones} phones)",
        server,
        crowd,
        database_url,
        memory,
        recovery=recovery,
        recovery_what="from the database back until every phone had an ack again",
        extra=[wall.stop()],
        facts=facts,
    )


# -- crowds of sockets ---------------------------------------------------------------


async def idle_sockets(
    make_server: MakeServer,
    database_url: str,
    *,
    sockets: int = 500,
    strokes: int = 4,
    wait_tcp: bool = True,
) -> Outcome:
    """`sockets` connections (each with its own device cookie) that never say hello,
    while one real phone draws: it is live at once and its points are drawn. The
    server must let them go at the hello timeout; with `wait_tcp`, also wait for it to
    close their TCP connections itself (after the WebSocket closing handshake times
    out), else the sockets leave once the server has let them go."""
    server = make_server(database_url=database_url)
    jar = await asyncio.to_thread(cookies, server, sockets + 1)
    memory = MemoryWatch(server)
    idle: list[RawSocket] = []
    opened = time.monotonic()
    for cookie in jar[:sockets]:
        idle.append(await asyncio.to_thread(RawSocket, server, "/ws/draw/", cookie))
    open_after = time.monotonic() - opened
    crowd = Crowd(server, 1, seed=50, cookie_list=jar[sockets:])
    phone: SimPhone = crowd.phones[0]
    await crowd.connect()
    await phone.draw(strokes=strokes)

    def idle_held() -> int:
        ports = {c.raddr.port for c in server_connections(server)}
        return sum(1 for s in idle if s.local_port in ports)

    facts = {
        "sockets_open_after": round(open_after, 1),
        "welcome_state": phone.welcomes[0].get("state"),
        "welcome_position": phone.welcomes[0].get("position"),
        "states": [s.get("state") for s in phone.states],
        "idle_held_after_phone": await asyncio.to_thread(idle_held),
    }
    # The idle sockets must go by themselves: closed after the hello timeout. The
    # server lets them go at once (its count of phones); their TCP connections wait
    # for the WebSocket closing handshake that a client that never reads never does.
    phones_zero = tcp_zero = None
    deadline = opened + open_after + HELLO_TIMEOUT + CLOSE_HANDSHAKE + 15
    while time.monotonic() < deadline and (phones_zero is None or (wait_tcp and tcp_zero is None)):
        now = time.monotonic() - opened - open_after
        if phones_zero is None:
            _, body = await asyncio.to_thread(health, server)
            if (body.get("process") or {}).get("phones") == 1:  # the real phone only
                phones_zero = round(now, 1)
        if tcp_zero is None and not await asyncio.to_thread(idle_held):
            tcp_zero = round(now, 1)
        await asyncio.sleep(0.25)
    facts["idle_still_held"] = await asyncio.to_thread(idle_held)
    facts["idle_let_go_after"] = phones_zero
    facts["idle_tcp_closed_after"] = tcp_zero
    return await _finish(
        f"{sockets} sockets that never say hello",
        server,
        crowd,
        database_url,
        memory,
        recovery=round(phone.welcomed_at[0] - opened, 2) if phone.welcomed_at else None,
        recovery_what="until the real phone was welcomed (from the sockets opening)",
        extra=idle,
        facts=facts,
    )


async def reconnect_storm(
    make_server: MakeServer,
    database_url: str,
    *,
    phones: int = 300,
    rate: float = 5,
    how: str = "sigterm",
) -> Outcome:
    """`phones` phones, each in the middle of a stroke, lose the server together (it
    restarts: SIGTERM, or SIGKILL of the group) and all reconnect at once."""
    server = make_server(database_url=database_url, exhibit={"max_drawing": phones + 50})
    crowd, memory = await _warm(server, phones, seed=60)
    crowd.draw(600, rate=rate, messages=20)  # strokes of 4 s at 5 a second; until stopped
    await asyncio.sleep(2)
    memory.rebase()
    down = time.monotonic()
    if how == "sigterm":
        await asyncio.to_thread(server.stop, signal.SIGTERM)
    else:
        await asyncio.to_thread(server.stop, signal.SIGKILL)  # the whole group
    await asyncio.sleep(0.5)
    await asyncio.to_thread(server.start)
    back = time.monotonic()  # it answers /healthz (phones may be back a moment before)

    def again(phone: SimPhone) -> float | None:
        return next((t for t in phone.welcomed_at if t > down), None)

    deadline = back + 60
    while time.monotonic() < deadline and not all(again(p) for p in crowd.phones):
        await asyncio.sleep(0.1)
    waits = sorted(
        max(0.0, again(p) - back) if again(p) is not None else 99.0 for p in crowd.phones
    )
    facts = {
        "welcomed_p50": round(waits[len(waits) // 2], 2),
        "welcomed_p95": round(waits[int(len(waits) * 0.95) - 1], 2),
        "welcomed_max": round(waits[-1], 2),
        "processes": len(psutil.Process(server.process.pid).children(recursive=True)) + 1,
    }
    await asyncio.sleep(1.0)
    crowd.stop_drawing()
    return await _finish(
        f"reconnect storm of {phones} phones ({how})",
        server,
        crowd,
        database_url,
        memory,
        recovery=facts["welcomed_max"],
        recovery_what="from the server answering until every phone was welcomed again",
        settle=60,
        facts=facts,
    )


def assert_held(outcome: Outcome, *, memory_mb: float) -> None:
    """What every fault test asserts: nothing acknowledged lost, no gap in a stroke,
    nothing stored that was refused, every phone settled, strokes continued across
    reconnects (no `unknown_stroke`), every connection released, memory bounded."""
    explain = outcome.explain()
    print(explain)  # shown with -s or -rP: the figures behind a pass
    a = outcome.audit
    assert a.acknowledged > 0, "the phones drew: " + explain
    assert not a.lost, f"{len(a.lost)} acknowledged segments lost: " + explain
    assert not a.gaps, f"{len(a.gaps)} strokes with a gap: " + explain
    assert not a.phantoms, "stored unlike it was acknowledged: " + explain
    assert not a.unsettled, "phones still waiting for acks: " + explain
    assert outcome.facts["unknown_stroke"] == 0, "a stroke was cut by a reconnect: " + explain
    assert outcome.facts["client_taken"] == 0, explain
    assert outcome.held is None, f"not released: {outcome.held}: " + explain
    assert outcome.memory.growth <= memory_mb, (
        f"memory grew {outcome.memory.growth:.0f} MB (bound {memory_mb} MB): " + explain
    )
