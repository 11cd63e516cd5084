"""`make chaos`: the fault suite's scenarios (tests/faults/scenarios.py) in their long
forms (more phones, longer outages, repeated kills), against real processes: uvicorn
from the Procfile, a redis-server of its own, a fresh PostgreSQL database for each
fault. Prints a Markdown table (fault, acknowledged points lost, recovery time, peak
memory) for the README, and writes it with the details to bench/results/chaos.md.

    python -m tests.faults.chaos                  # every fault, long forms (about 6 min)
    python -m tests.faults.chaos --quick          # the CI sizes (about 4 minutes)
    python -m tests.faults.chaos --only storm,db  # some of them (names below)

Loss is counted as the fault suite counts it: every (client, seq) the server
acknowledged whose message carried points and was not dropped must be in the Segment
table afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "1")

from bench.parts import ROOT, PostgresDatabase, RedisServer  # noqa: E402
from tests.faults import scenarios  # noqa: E402
from tests.faults.rigs import Servers  # noqa: E402

RESULTS = ROOT / "bench" / "results"  # with the benchmark's (git-ignored)


@dataclass
class Fault:
    name: str
    run: Callable[[Servers, str, RedisServer | None], Awaitable[scenarios.Outcome]]
    redis: bool = False


def faults(quick: bool) -> list[Fault]:
    """Each fault's long form (or, with --quick, the CI form)."""
    q = quick
    s = scenarios
    return [
        Fault(
            "wall",
            lambda m, db, r: s.wall_stops_reading(
                m, db, phones=20 if q else 40, limit=60 if q else 90
            ),
        ),
        Fault(
            "wall2",
            lambda m, db, r: s.wall_stops_reading(
                m,
                db,
                phones=20 if q else 40,
                limit=60 if q else 90,
                workers_count=2,
                redis_url=r.url,
            ),
            redis=True,
        ),
        Fault(
            "phone",
            lambda m, db, r: s.phone_stops_reading(
                m, db, phones=20 if q else 40, stall=8 if q else 30
            ),
        ),
        kill_fault("worker", quick, redis=True),
        kill_fault("archiver", quick),
        kill_fault("group", quick),
        kill_fault("sigterm", quick),
        Fault(
            "redis",
            lambda m, db, r: s.redis_down(m, db, r, phones=10 if q else 20, down=5 if q else 15),
            redis=True,
        ),
        Fault(
            "db",
            lambda m, db, r: s.database_refuses(
                m, db, phones=10 if q else 20, down=10 if q else 30
            ),
        ),
        Fault("idle", lambda m, db, r: s.idle_sockets(m, db, sockets=500 if q else 1000)),
        Fault(
            "storm",
            lambda m, db, r: s.reconnect_storm(
                m, db, phones=300 if q else 400, how="sigterm" if q else "sigkill"
            ),
        ),
    ]


def kill_fault(what: str, quick: bool, redis: bool = False) -> Fault:
    """A kill fault (scenarios.kill), named for what it kills: once, or three times."""
    return Fault(
        what,
        lambda m, db, r: scenarios.kill(
            m,
            db,
            what=what,
            phones=10 if quick else 20,
            kills=1 if quick else 3,
            between=2 if quick else 4,
            redis_url=r.url if r is not None else None,
        ),
        redis=redis,
    )


async def run_one(fault: Fault) -> tuple[scenarios.Outcome | None, str]:
    database = PostgresDatabase()
    redis = RedisServer() if fault.redis else None
    servers = Servers()
    try:
        if redis is not None:
            redis.start()
        outcome = await fault.run(servers, database.url, redis)
        return outcome, ""
    except BaseException as error:  # noqa: BLE001 - a failed fault is a row, not the end
        if isinstance(error, KeyboardInterrupt):
            raise
        return None, "".join(traceback.format_exception_only(error)).strip()[-300:]
    finally:
        servers.close()
        if redis is not None:
            redis.close()
        database.drop()


def verdict(outcome: scenarios.Outcome) -> list[str]:
    """What broke the requirement in this run (the fault suite's assertions, as text)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            scenarios.assert_held(outcome, memory_mb=float("inf"))
    except AssertionError as error:
        return [str(error).split(":", 1)[0]]
    return []


WALL_FACTS = (
    "stalled wall closed {stalled_closed_after} s after it stopped reading "
    "({closed_after_full} s after its buffers filled); healthy wall's longest "
    "silence {healthy_longest_silence} s"
)
# What each fault's notes say of its own facts (scenarios.Outcome.facts).
FACTS = {
    "wall": WALL_FACTS,
    "wall2": WALL_FACTS,
    "phone": "healthy phones' longest wait for an ack {healthy_phone_longest_ack_silence} s",
    "db": (
        "pages {pages_during}, /healthz {healthz_during}, backlog peak {backlog_peak}, "
        "wall's longest silence {wall_longest_silence} s"
    ),
    "redis": "wall missing {wall_missing} after resync, phones closed {phone_closes}",
    "idle": (
        "real phone {welcome_state}; idle sockets let go {idle_let_go_after} s after opening, "
        "TCP closed after {idle_tcp_closed_after} s"
    ),
    "storm": "welcomed again p50 {welcomed_p50} s, p95 {welcomed_p95} s",
}


def notes(name: str, outcome: scenarios.Outcome) -> str:
    f = outcome.facts
    parts = []
    if name in FACTS:
        parts.append(FACTS[name].format_map(f))
    if f.get("strokes_across"):
        parts.append(f"{f['strokes_across']} strokes across a reconnect")
    if outcome.audit.dropped or outcome.audit.refused:
        parts.append(f"dropped {dict(outcome.audit.dropped)} refused {dict(outcome.audit.refused)}")  # noqa: E501
    return "; ".join(parts)


def table(rows: list[tuple[str, scenarios.Outcome | None, str]]) -> str:
    lines = [
        "| fault | acknowledged | acknowledged points lost | strokes with a gap | recovery | peak memory (growth) | notes |",  # noqa: E501
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for name, outcome, error in rows:
        if outcome is None:
            lines.append(f"| {name} | | | | | | **did not run to the end**: {error} |")
            continue
        a = outcome.audit
        recovery = "—" if outcome.recovery is None else f"{outcome.recovery:.1f} s"
        broken = verdict(outcome)
        note = notes(name, outcome)
        if outcome.held is not None:
            note += f"; **not released**: {outcome.held}"
        if broken:
            note += "; **" + "; ".join(broken) + "**"
        lines.append(
            f"| {outcome.fault} | {a.acknowledged} | **{len(a.lost)}** | {len(a.gaps)} | "
            f"{recovery} ({outcome.recovery_what}) | {outcome.memory.peak:.0f} MB "
            f"(+{outcome.memory.growth:.0f}) | {note} |"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the CI sizes")
    parser.add_argument("--only", help="comma-separated fault names (see the list above)")
    parser.add_argument("--out", type=Path, default=RESULTS / "chaos.md")
    args = parser.parse_args(argv)
    chosen = faults(args.quick)
    names = [f.name for f in chosen]
    if args.only:
        wanted = args.only.split(",")
        unknown = set(wanted) - set(names)
        if unknown:
            parser.error(f"unknown faults {sorted(unknown)}; choose from {names}")
        chosen = [f for f in chosen if f.name in wanted]
    rows = []
    began = time.monotonic()
    for fault in chosen:
        print(f"-- {fault.name} …", file=sys.stderr, flush=True)
        started = time.monotonic()
        outcome, error = await run_one(fault)
        print(
            f"   {time.monotonic() - started:.0f} s: "
            + (outcome.explain() if outcome else f"did not run to the end: {error}"),
            file=sys.stderr,
            flush=True,
        )
        rows.append((fault.name, outcome, error))
    text = table(rows)
    header = (
        f"`make chaos`{' --quick' if args.quick else ''}, {time.strftime('%Y-%m-%d')}, "
        f"{time.monotonic() - began:.0f} s; {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; PostgreSQL, uvicorn from the Procfile."
    )
    print(header + "\n\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    details = "\n".join(f"- {o.explain()}" if o else f"- {n}: {e}" for n, o, e in rows)
    args.out.write_text(f"{header}\n\n{text}\n\nDetails:\n\n{details}\n")
    bad = any(o is None or verdict(o) or o.held is not None for _, o, _ in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
