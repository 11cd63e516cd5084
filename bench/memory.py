"""Memory per connected phone and per wall: the RSS growth of a server's whole
process tree while N phones are connected and have said `hello` (then sit idle),
and then while M walls are connected too.

A tenth of the phones and one wall connect first, uncounted (first connections pay
one-off costs). Idle sockets are what a crowd costs before it draws: every visitor who opened the
page keeps one. The figure includes everything the server keeps for a connection
(socket buffers it has allocated in user space, the consumer, its outlet, its ink
bucket, the ack ledger's entry), not the kernel's socket memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time

import orjson
from websockets.asyncio.client import connect

from bench.loadgen import Target, device_cookie, uvloop_run
from bench.step import CONTEXT, rss_bytes

SETTLE_SECONDS = 2.0


async def _hold(target: Target, stages: list[tuple[str, int]], steps, results) -> None:
    """Open each stage's sockets (phones that say hello, or walls), report how many
    connected, wait for the coordinator's measurement; close everything at the end."""
    gate = asyncio.Semaphore(32)
    held = []
    opened = 0

    async def phone() -> bool:
        nonlocal opened
        opened += 1
        client = f"mem{opened:05d}"
        async with gate:
            try:
                cookie = await asyncio.to_thread(device_cookie, target)
                ws = await connect(
                    target.ws + target.draw_path,
                    additional_headers={"Origin": target.origin, **cookie},
                    compression=None,
                    open_timeout=30,
                    ping_interval=None,
                )
                await ws.send(orjson.dumps({"type": "hello", "client": client}).decode())
                await asyncio.wait_for(ws.recv(), 30)  # welcome
                held.append(ws)
                return True
            except Exception:
                return False

    async def wall() -> bool:
        try:
            held.append(
                await connect(
                    target.ws + target.wall_path,
                    additional_headers={"Origin": target.origin},
                    compression=None,
                    open_timeout=30,
                    ping_interval=None,
                    max_size=2**24,
                )
            )
            return True
        except Exception:
            return False

    for kind, count in stages:
        opener = phone if kind == "phones" else wall
        done = await asyncio.gather(*(opener() for _ in range(count)))
        results.put((kind, sum(done)))
        await asyncio.to_thread(steps.get)  # the coordinator has measured
    for ws in held:
        with contextlib.suppress(Exception):
            await ws.close()


def _sockets_process(target: Target, stages, steps, results) -> None:
    try:
        uvloop_run(_hold(target, stages, steps, results))
    except Exception as error:
        results.put(("error", repr(error)))


def _rss(pid: int | None) -> float:
    """The tree's RSS, the median of three samples a tenth of a second apart."""
    samples = []
    for _ in range(3):
        samples.append(rss_bytes(pid))
        time.sleep(0.1)
    return statistics.median(samples)


def measure(system, phones: int, walls: int) -> dict:
    """RSS growth per phone and per wall on a running system (idle sockets).

    A few phones (a tenth) and one wall connect first and are not counted: the first
    connections pay one-off costs (imports, caches, the first page render) that the
    hundredth does not. The figure is the growth from there to all of them."""
    pid = system.server_pid()
    warm_phones = max(2, phones // 10)
    stages = [("phones", warm_phones), ("phones", phones), ("walls", 1), ("walls", walls)]
    steps, results = CONTEXT.Queue(), CONTEXT.Queue()
    child = CONTEXT.Process(target=_sockets_process, args=(system.target, stages, steps, results))
    child.start()
    rss, counts = [], []
    try:
        for _kind, count in stages:
            kind, connected = results.get(timeout=60 + count * 0.2)
            if kind == "error":
                raise RuntimeError(connected)
            counts.append(connected)
            time.sleep(SETTLE_SECONDS)
            rss.append(_rss(pid))
            steps.put("next")
    finally:
        child.join(30)
        if child.is_alive():
            child.kill()
    return {
        "phones": counts[1],
        "walls": counts[3],
        "base_mb": round(rss[0] / 2**20, 1),
        "kib_per_phone": round((rss[1] - rss[0]) / 1024 / max(1, counts[1]), 1),
        "kib_per_wall": round((rss[3] - rss[2]) / 1024 / max(1, counts[3]), 1),
    }


def measure_all(run, names: list[str], phones: int, walls: int) -> dict:
    """Each system started fresh, then `phones` idle phones and `walls` walls."""
    from bench.crowd import make_system

    figures = {}
    for name in names:
        system = make_system(name)
        run.say(f"memory: {name}, {phones} idle helloed phones, then {walls} walls")
        try:
            system.start()
            figures[name] = measure(system, phones, walls)
            run.say(
                f"memory: {name}: {figures[name]['kib_per_phone']} KiB a phone, "
                f"{figures[name]['kib_per_wall']} KiB a wall "
                f"(base {figures[name]['base_mb']} MB)"
            )
        except Exception as error:
            run.say(f"memory: {name} failed: {error!r}")
        finally:
            system.stop()
    return figures
