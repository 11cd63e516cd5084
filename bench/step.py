"""One step of a sweep: a crowd of N phones draws on a system for a few seconds while
walls time every segment; the result is one row of the table."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import time
from dataclasses import asdict, dataclass, field

import psutil

from bench.flood import FloodReport, flood_process
from bench.loadgen import PhoneBatch, StartSignal, WallBatch, phones_process, walls_process
from bench.systems import System

TARGET_P99 = 0.100  # seconds
CONTEXT = multiprocessing.get_context("fork")


@dataclass
class Options:
    duration: float = 8.0  # seconds of drawing per step
    grace: float = 2.0  # seconds to wait for answers and stragglers
    walls: int = 1
    gen_procs: int = 2  # phone processes (the machine has 2 cores)
    phones_per_proc: int = 60  # below this many phones, fewer processes
    nice: int = 5  # load generators yield to the server under contention


@dataclass
class StepResult:
    system: str
    scenario: str
    phones: int
    connected: int
    seconds: float
    msgs_in_per_s: float
    points_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    sent: int
    accepted: int
    delivered: int
    lost: int
    unanswered: int
    dropped: int
    errors: int
    ack_p50_ms: float  # send -> the first ack covering the message (acks are cumulative)
    ack_p99_ms: float
    server_cpu_pct: float
    # Server CPU-seconds (the whole process tree: workers, archivers) per 1,000 phone
    # messages answered, from the start of drawing until every message was answered
    # (or the grace ran out): storage and acks that come after the window count too.
    cpu_s_per_1k: float
    redis_cpu_pct: float
    redis_cmds_per_s: float  # Redis commands processed per second while phones drew
    # The phones' view of the wall: KiB a phone received per second of drawing (0: off).
    view_kib_per_phone_s: float
    rss_mb: float
    rss_per_phone_kb: float
    gen_lag_p99_ms: float
    machine_cpu_pct: float  # all cores, everything on the machine (100 = every core busy)
    load1: float  # the 1-minute load average at the end of the step
    held: bool
    note: str = ""
    extra: dict = field(default_factory=dict)

    def row(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data


def _tree(pid: int | None) -> list[psutil.Process]:
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def cpu_seconds(pid: int | None) -> float:
    """CPU-seconds (user + system) of the process and all its descendants."""
    total = 0.0
    for process in _tree(pid):
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def _total(pids: list[int | None]) -> float:
    """CPU-seconds of every server's tree (one server, except in the scale-out)."""
    return sum(cpu_seconds(pid) for pid in pids)


def rss_bytes(pid: int | None) -> int:
    total = 0
    for process in _tree(pid):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


def redis_commandstats(url: str | None) -> dict[str, int]:
    """Calls per command so far (INFO commandstats); empty without Redis."""
    if not url:
        return {}
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        try:
            stats = client.info("commandstats")
        finally:
            client.close()
        return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
    except Exception:
        return {}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    index = min(len(values) - 1, max(0, math.ceil(share * len(values)) - 1))
    return values[index]


def _p99_by_second(by_send: list[tuple[float, float]]) -> list[float]:
    """The p99 latency of the messages sent in each second of the step: whether a
    step's tail comes from its start (a crowd arriving at once) or all along."""
    first = min(sent for sent, _ in by_send)
    seconds: dict[int, list[float]] = {}
    for sent, latency in by_send:
        seconds.setdefault(int(sent - first), []).append(latency)
    by_second = [sorted(seconds.get(i, ())) for i in range(max(seconds) + 1)]
    return [round(percentile(values, 0.99) * 1000, 1) if values else 0.0 for values in by_second]


def run_step(
    system: System,
    phones: int,
    options: Options,
    *,
    scenario: str = "sweep",
    flood: bool = False,
    on_start=None,
) -> StepResult:
    """Run one crowd against a running system and measure it.

    A system with several servers (the scale-out) gets its phones spread evenly over
    them (phone n on server n mod W); the walls watch the first server."""
    targets = tuple(system.targets)
    target = targets[0]
    results = CONTEXT.Queue()
    ready, done = CONTEXT.Event(), CONTEXT.Event()
    procs = max(1, min(options.gen_procs, math.ceil(phones / options.phones_per_proc)))
    connect_timeout = 30 + phones * 0.1
    # The wall is stopped by `done` once the phones report; this is only a backstop.
    wall_stop = time.time() + connect_timeout + options.duration + options.grace + 60
    children = [
        CONTEXT.Process(
            target=walls_process,
            args=(target, options.walls, ready, done, wall_stop, results),
        )
    ]
    children[0].start()
    ready.wait(15)
    server_pid, redis_pid = system.server_pid(), system.redis_pid()
    server_pids = system.server_pids()
    redis_url = system.redis_url
    rss_before = rss_bytes(server_pid)
    start = StartSignal(CONTEXT)
    shares = [phones // procs + (1 if i < phones % procs else 0) for i in range(procs)]
    tag = f"{scenario[:3]}{phones}"
    offset = 0
    for index, count in enumerate(shares):
        process = CONTEXT.Process(
            target=phones_process,
            args=(
                targets if len(targets) > 1 else target,
                count,
                f"{tag}p{index}x",
                start,
                options.grace,
                results,
                options.nice,
                offset,
            ),
        )
        offset += count
        process.start()
        children.append(process)
    if flood:
        process = CONTEXT.Process(target=flood_process, args=(target, start, results))
        process.start()
        children.append(process)
    start_at, stop_at = start.release(procs, options.duration, connect_timeout)
    if on_start is not None:
        on_start(start_at, stop_at)
    time.sleep(max(0.0, start_at - time.time()))
    cpu0, redis0, t0 = _total(server_pids), cpu_seconds(redis_pid), time.monotonic()
    each0 = [cpu_seconds(pid) for pid in server_pids]
    stats0 = redis_commandstats(redis_url)
    busy0 = _busy()
    time.sleep(max(0.0, stop_at - time.time()))
    cpu1, redis1, t1 = _total(server_pids), cpu_seconds(redis_pid), time.monotonic()
    stats1 = redis_commandstats(redis_url)
    busy1 = _busy()
    load1 = os.getloadavg()[0]
    rss_after = rss_bytes(server_pid)

    batches: list[PhoneBatch] = []
    wall: WallBatch | None = None
    flood_report: FloodReport | None = None
    problems: list[str] = []
    answered_cpu: tuple[float, list[float]] | None = None
    expected = len(children)
    deadline = time.time() + options.grace + 60
    while expected and time.time() < deadline:
        try:
            kind, payload = results.get(timeout=1)
        except queue.Empty:
            if not any(child.is_alive() for child in children):
                break
            continue
        expected -= 1
        if kind == "phones":
            batches.append(payload)
            if len(batches) == procs:
                # Every message answered (or the grace is over): the cost so far.
                answered_cpu = (
                    _total(server_pids),
                    [cpu_seconds(pid) for pid in server_pids],
                )
                time.sleep(0.3)  # stragglers still on their way to the wall
                done.set()
        elif kind == "walls":
            wall = payload
        elif kind == "flood":
            flood_report = payload
        else:
            problems.append(payload)
    for child in children:
        child.join(5)
        if child.is_alive():
            child.kill()
    if answered_cpu is None:
        answered_cpu = (_total(server_pids), [cpu_seconds(pid) for pid in server_pids])
    # The servers' commands while phones drew (INFO commandstats deltas), less the
    # benchmark's own INFO and the client library's handshake.
    commands = {
        name: calls - stats0.get(name, 0)
        for name, calls in stats1.items()
        if calls - stats0.get(name, 0) > 0 and name != "info" and not name.startswith("client")
    }
    return _measure(
        system.name,
        scenario,
        phones,
        options,
        batches,
        wall,
        problems,
        cpu=(cpu1 - cpu0) / (t1 - t0),
        cpu_spent=answered_cpu[0] - cpu0,
        cpu_each=[after - before for before, after in zip(each0, answered_cpu[1], strict=True)],
        redis_cpu=(redis1 - redis0) / (t1 - t0),
        redis_rate=sum(commands.values()) / (t1 - t0) if stats1 else math.nan,
        redis_commands={k: round(v / (t1 - t0), 1) for k, v in commands.items()},
        rss=(rss_before, rss_after),
        flood=flood_report,
        machine=(busy1[0] - busy0[0]) / max(1e-9, busy1[1] - busy0[1]),
        load1=load1,
    )


def _busy() -> tuple[float, float]:
    """Seconds the whole machine's cores were busy, and in total."""
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    total = sum(times)
    return total - idle, total


def _measure(
    system: str,
    scenario: str,
    phones: int,
    options: Options,
    batches: list[PhoneBatch],
    wall: WallBatch | None,
    problems: list[str],
    *,
    cpu: float,
    cpu_spent: float = math.nan,
    cpu_each: list[float] | None = None,
    redis_cpu: float,
    redis_rate: float = math.nan,
    redis_commands: dict | None = None,
    rss: tuple[int, int],
    flood: FloodReport | None,
    machine: float,
    load1: float,
) -> StepResult:
    received = wall.received if wall else {}
    latencies: list[float] = []
    by_send: list[tuple[float, float]] = []  # (sent at, latency): the tail's when
    ack_delays: list[float] = []
    answered_total = 0
    # Per server (the scale-out): phones, messages sent and answered, delivered points.
    servers = len(cpu_each or ()) or 1
    each = [
        {"server": i, "phones": 0, "sent": 0, "answered": 0, "points": 0, "clients": set()}
        for i in range(servers)
    ]
    sent = accepted = lost = unanswered = dropped = errors = connected = closed = 0
    view_bytes = 0
    failures = 0
    lags: list[float] = []
    delivered_points_window = 0
    for batch in batches:
        failures += batch.connect_failures
        lags.extend(batch.lags)
        for record in batch.phones:
            if not record.connected:
                continue
            connected += 1
            closed += record.closed_early
            view_bytes += record.view_bytes
            refused = set(record.dropped) | set(record.errors)
            dropped += len(record.dropped)
            errors += len(record.errors)
            sent += len(record.sent)
            unanswered += max(0, len(record.sent) - record.answered)
            covered = min(len(record.acked_at), len(record.sent))
            answered_total += covered
            for seq in range(covered):
                ack_delays.append(record.acked_at[seq] - record.sent[seq])
            mine = each[record.target % servers]
            mine["phones"] += 1
            mine["sent"] += len(record.sent)
            mine["answered"] += covered
            mine["clients"].add(record.client)
            if wall is not None:
                mine["points"] += wall.points_by_client.get(record.client, 0)
            for seq in range(1, min(record.answered, len(record.sent)) + 1):
                if seq in refused:
                    continue
                accepted += 1
                arrived = received.get(f"{record.client}:{seq}")
                if arrived is None:
                    lost += 1
                else:
                    latencies.append(arrived - record.sent[seq - 1])
                    by_send.append((record.sent[seq - 1], arrived - record.sent[seq - 1]))
    latencies.sort()
    ack_delays.sort()
    lags.sort()
    seconds = options.duration
    delivered = len(latencies)
    delivered_points_window = wall.points if wall else 0
    p99 = percentile(latencies, 0.99)
    notes = list(problems)
    if failures:
        notes.append(f"{failures} phones failed to connect")
    if closed:
        notes.append(f"{closed} phones closed by the server")
    if wall is not None and wall.duplicates:
        notes.append(f"{wall.duplicates} duplicate segments")
    if batches and not wall:
        notes.append("no wall result")
    held = (
        not problems
        and failures == 0
        and connected == phones
        and lost == 0
        and unanswered == 0
        and delivered > 0
        and p99 <= TARGET_P99
    )
    extra = {}
    hops = sorted(wall.hops) if wall else []
    if hops:
        # The installation's frames say when they left the Mixer: split the latency.
        notes.append(
            f"mixer->wall p50/p99 {percentile(hops, 0.5) * 1000:.0f}/"
            f"{percentile(hops, 0.99) * 1000:.0f} ms"
        )
    if by_send:
        extra["p99_ms_by_second"] = _p99_by_second(by_send)
    if flood is not None:
        extra["flood"] = asdict(flood)
    if redis_commands:
        extra["redis_commands"] = redis_commands
    if cpu_each:
        extra["per_server"] = _per_server(each, cpu_each, wall, seconds)
    return StepResult(
        system=system,
        scenario=scenario,
        phones=phones,
        connected=connected,
        seconds=seconds,
        msgs_in_per_s=round(sent / seconds, 1),
        points_per_s=round(delivered_points_window / seconds, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
        p99_ms=round(p99 * 1000, 1),
        max_ms=round((latencies[-1] if latencies else math.nan) * 1000, 1),
        sent=sent,
        accepted=accepted,
        delivered=delivered,
        lost=lost,
        unanswered=unanswered,
        dropped=dropped,
        errors=errors,
        ack_p50_ms=round(percentile(ack_delays, 0.50) * 1000, 1),
        ack_p99_ms=round(percentile(ack_delays, 0.99) * 1000, 1),
        server_cpu_pct=round(cpu * 100, 1),
        cpu_s_per_1k=round(cpu_spent / answered_total * 1000, 3) if answered_total else math.nan,
        redis_cpu_pct=round(redis_cpu * 100, 1),
        redis_cmds_per_s=round(redis_rate, 1),
        view_kib_per_phone_s=round(view_bytes / 1024 / max(1, connected) / seconds, 2),
        rss_mb=round(rss[1] / 2**20, 1),
        rss_per_phone_kb=round(max(0, rss[1] - rss[0]) / 1024 / max(1, connected), 1),
        gen_lag_p99_ms=round(percentile(lags, 0.99) * 1000, 1),
        machine_cpu_pct=round(machine * 100, 1),
        load1=round(load1, 2),
        held=held,
        note="; ".join(notes),
        extra=extra,
    )


def _per_server(each: list[dict], cpu_each: list[float], wall, seconds: float) -> list[dict]:
    """Per server process: its phones, its CPU per 1,000 of its messages, the frames a
    second it sent into the wall (by the frames' origin), and the points per phone the
    wall drew from it (the wall's fairness across processes)."""
    origin_of = wall.origin_of_client if wall is not None else {}
    frames = wall.frames_by_origin if wall is not None else {}
    rows = []
    for server, spent in zip(each, cpu_each, strict=True):
        origins = {origin_of[c] for c in server["clients"] if c in origin_of}
        rows.append(
            {
                "server": server["server"],
                "phones": server["phones"],
                "sent": server["sent"],
                "cpu_s": round(spent, 3),
                "cpu_s_per_1k": round(spent / server["answered"] * 1000, 3)
                if server["answered"]
                else math.nan,
                "frames_per_s": round(sum(frames.get(o, 0) for o in origins) / seconds, 1),
                "origins": sorted(origins),
                "points_per_phone": round(server["points"] / max(1, server["phones"]), 1),
            }
        )
    return rows


def fairness(values: list[float]) -> tuple[float, float]:
    """Jain's index (1 = equal shares) and min/max of per-process shares."""
    values = [v for v in values if not math.isnan(v)]
    if not values or max(values) <= 0:
        return math.nan, math.nan
    jain = sum(values) ** 2 / (len(values) * sum(v * v for v in values))
    return round(jain, 4), round(min(values) / max(values), 4)
