"""Scale-out: 1, 2, 4 and 8 server processes behind one redis-server, one wall.

    python -m bench.scaleout            # the full run (or: python -m bench.crowd --scale-out)
    python -m bench.scaleout --quick    # 1 and 2 processes, a few phones: well under a minute

Each process is the Procfile's web line with WEB_CONCURRENCY=1 on a port of its own,
all on one Redis (PubSub layer) and one SQLite file, as W machines of one worker
each would run behind a PaaS proxy. Phones are spread evenly over the processes
(phone n on process n mod W, as a round-robin proxy spreads them); one timing wall
is connected to the first process, so the others' frames reach it through Redis.

At each process count the same crowds draw (by default 80 and 160 phones: both
divide by 8). Per process it reports CPU-seconds per 1,000 of its phones' messages,
the frames a second it sent into the wall, and the points per phone the wall drew
from it; for the whole run, Redis commands per second (INFO commandstats deltas
while phones drew) and the wall's fairness across processes (Jain's index and
min/max of the processes' points per phone). A least-squares line of Redis commands
per second against processes and phones shows which one the traffic grows with.

Writes scaleout.csv, scaleout.json, scaleout.png and scaleout.txt (the summary, with
the projection: phones per core, machines for 1,000 and 10,000 phones) to --out.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

from bench.crowd import machine
from bench.loadgen import Target
from bench.step import Options, StepResult, fairness, run_step
from bench.systems import BenchServer, System, bench_dir, cleanup, production_env
from projector.mixer import EAGER_FRAMES

FULL_PROCESSES = [1, 2, 4, 8]
FULL_LOADS = [80, 160]
QUICK_PROCESSES = [1, 2]
QUICK_LOADS = [4, 8]
UTILISATION = 0.6  # the share of each core a projection plans to use (headroom for tails)
MACHINE_CORES = 2  # the projection's machine: like this one
TICKS_PER_S = 40  # the Procfile's servers run the default WALL_TICK_MS, 25


class ScaleOut(System):
    """W single-worker servers from the Procfile on one Redis and one SQLite file."""

    def __init__(self, processes: int) -> None:
        super().__init__()
        self.processes = processes
        self.name = f"scale-{processes}p"
        self.label = f"{processes} server process(es), one Redis, one wall"
        self.servers: list[BenchServer] = []

    @property
    def target(self) -> Target:
        return self.targets[0]

    @property
    def targets(self) -> list[Target]:
        return [Target(ws=s.ws, origin=s.origin, sets_cookie=True) for s in self.servers]

    def server_pid(self) -> int | None:
        return self.server_pids()[0]

    def server_pids(self) -> list[int | None]:
        return [s.process.pid if s.process else None for s in self.servers]

    def start(self) -> None:
        url = self._start_redis()
        database = os.path.join(bench_dir(), f"scale-{self.processes}.sqlite3")
        env = {**production_env("pubsub"), "SQLITE_PATH": database}
        # Every server copies the migrated template to the shared file before any starts.
        self.servers = [
            BenchServer(workers=1, redis_url=url, env=env) for _ in range(self.processes)
        ]
        self.servers[0].collect_static()
        for server in self.servers:
            server.start()

    def stop(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.close()
        self.servers = []
        self._stop_redis()

    def log(self) -> str:
        return "\n".join(s.log()[-1500:] for s in self.servers)


def row_of(processes: int, result: StepResult) -> dict:
    """One line of the scale-out table from a step's result."""
    each = result.extra.get("per_server") or [
        {
            "server": 0,
            "phones": result.connected,
            "cpu_s_per_1k": result.cpu_s_per_1k,
            "frames_per_s": math.nan,
            "points_per_phone": math.nan,
        }
    ]
    per_1k = [e["cpu_s_per_1k"] for e in each if not math.isnan(e["cpu_s_per_1k"])]
    frames = [e["frames_per_s"] for e in each]
    jain, min_max = fairness([e["points_per_phone"] for e in each])
    commands = result.extra.get("redis_commands") or {}
    return {
        "processes": processes,
        "phones": result.phones,
        "msgs_in_per_s": result.msgs_in_per_s,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "ack_p50_ms": result.ack_p50_ms,
        "ack_p99_ms": result.ack_p99_ms,
        "lost": result.lost,
        "unanswered": result.unanswered,
        "held": result.held,
        "cpu_s_per_1k": result.cpu_s_per_1k,
        "cpu_s_per_1k_process_min": round(min(per_1k), 3) if per_1k else math.nan,
        "cpu_s_per_1k_process_max": round(max(per_1k), 3) if per_1k else math.nan,
        "server_cpu_pct": result.server_cpu_pct,
        "redis_cmds_per_s": result.redis_cmds_per_s,
        "redis_cmds_per_s_per_process": round(result.redis_cmds_per_s / processes, 1),
        "redis_publish_per_s": commands.get("publish", 0.0),
        "redis_cpu_pct": result.redis_cpu_pct,
        "wall_frames_per_s": round(sum(f for f in frames if not math.isnan(f)), 1),
        "wall_frames_per_s_per_process": round(
            sum(f for f in frames if not math.isnan(f)) / processes, 1
        ),
        "fairness_jain": jain,
        "fairness_min_max": min_max,
        "gen_lag_p99_ms": result.gen_lag_p99_ms,
        "machine_cpu_pct": result.machine_cpu_pct,
        "note": result.note,
    }


COLUMNS = [
    ("processes", "proc"),
    ("phones", "phones"),
    ("msgs_in_per_s", "msg/s"),
    ("p99_ms", "p99 ms"),
    ("ack_p50_ms", "ack p50"),
    ("ack_p99_ms", "ack p99"),
    ("lost", "lost"),
    ("cpu_s_per_1k", "cpu s/1k"),
    ("cpu_s_per_1k_process_max", "worst proc"),
    ("redis_cmds_per_s", "redis/s"),
    ("redis_cmds_per_s_per_process", "redis/s/proc"),
    ("redis_publish_per_s", "PUBLISH/s"),
    ("wall_frames_per_s", "wall fr/s"),
    ("fairness_jain", "jain"),
    ("fairness_min_max", "min/max"),
    ("machine_cpu_pct", "mach%"),
    ("held", "held"),
]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:g}"
    return str(value)


def table_line(row: dict) -> str:
    return " ".join(f"{_cell(row[key]):>{max(7, len(title))}}" for key, title in COLUMNS)


def table_header() -> str:
    return " ".join(f"{title:>{max(7, len(title))}}" for _, title in COLUMNS)


def fit_line(rows: list[dict]) -> dict:
    """Least squares: Redis commands/s = a + b x processes + c x phones."""
    import numpy

    points = [r for r in rows if not math.isnan(r["redis_cmds_per_s"])]
    if len(points) < 3:
        return {}
    x = numpy.array([[1.0, r["processes"], r["phones"]] for r in points])
    y = numpy.array([r["redis_cmds_per_s"] for r in points])
    (a, b, c), *_ = numpy.linalg.lstsq(x, y, rcond=None)
    predicted = x @ numpy.array([a, b, c])
    total = float(((y - y.mean()) ** 2).sum()) or 1.0
    r2 = 1 - float(((y - predicted) ** 2).sum()) / total
    return {
        "a": round(float(a), 1),
        "per_process": round(float(b), 1),
        "per_phone": round(float(c), 3),
        "r2": round(r2, 3),
    }


def projection(rows: list[dict]) -> dict:
    """Phones per core and machines for 1,000 and 10,000 phones drawing at once, from
    the measured per-message cost (the worst process at the highest load measured)."""
    top = max(r["phones"] for r in rows)
    at_top = [r for r in rows if r["phones"] == top]
    costs = [r["cpu_s_per_1k_process_max"] for r in at_top]
    worst = max((c for c in costs if not math.isnan(c)), default=math.nan)
    rates = [r["msgs_in_per_s"] / r["phones"] for r in rows if r["phones"]]
    per_phone = sum(rates) / len(rates) if rates else math.nan  # messages/s a drawing phone
    core_per_phone = per_phone * worst / 1000  # core-seconds a second, one phone
    phones_per_core = UTILISATION / core_per_phone if core_per_phone else math.nan
    # Redis: nearly every command is a PUBLISH of frames, and the frames are bounded
    # by design whatever the crowd (projector.mixer: a frame a tick from each process,
    # and the installation's EAGER_FRAMES early ones shared among the processes, at
    # least one each). The projection takes that bound, plus what a process was
    # measured to publish besides frames (presence, probes, views) at the most
    # processes measured (the fitted line is not extrapolated 20-fold).
    widest = max(r["processes"] for r in rows)
    others = [
        (r["redis_cmds_per_s"] - r["wall_frames_per_s"]) / r["processes"]
        for r in rows
        if r["processes"] == widest and not math.isnan(r["redis_cmds_per_s"])
    ]
    per_process = max(0.0, max(others, default=math.nan))
    plan = {}
    for crowd in (1000, 10000):
        cores = math.ceil(crowd / phones_per_core) if phones_per_core else 0
        machines = math.ceil(cores / MACHINE_CORES)
        processes = machines * MACHINE_CORES
        frames = TICKS_PER_S * max(EAGER_FRAMES + processes, 2 * processes)
        redis = frames + per_process * processes
        plan[crowd] = {
            "cores": cores,
            "machines": machines,
            "processes": processes,
            "redis_cmds_per_s": redis if math.isnan(redis) else round(redis),
            "rows_per_s": round(crowd * per_phone),
            "points_per_s_to_wall": round(crowd * per_phone * 3),
        }
    return {
        "cpu_s_per_1k_worst_process": worst,
        "msgs_per_phone_per_s": round(per_phone, 2),
        "utilisation": UTILISATION,
        "machine_cores": MACHINE_CORES,
        "phones_per_core": math.floor(phones_per_core) if phones_per_core else 0,
        "phones_per_core_at_100pct": math.floor(1 / core_per_phone) if core_per_phone else 0,
        "redis_cmds_per_s_per_process_max": per_process,
        "crowds": plan,
    }


def summary(rows: list[dict], line: dict, plan: dict, info: dict) -> str:
    lines = [
        f"Scale-out on {info['nproc']} cores ({info['cpu']}), one redis-server, one wall:",
        table_header(),
    ]
    lines += [table_line(r) for r in rows]
    if line:
        lines.append(
            f"Redis commands/s = {line['a']:g} + {line['per_process']:g} x processes "
            f"+ {line['per_phone']:g} x phones (least squares over every row, R^2 {line['r2']:g})"
        )
    loads = sorted({r["phones"] for r in rows})
    if len(loads) >= 2:
        lo, hi = loads[0], loads[-1]
        for processes in sorted({r["processes"] for r in rows}):
            by = {r["phones"]: r for r in rows if r["processes"] == processes}
            if lo in by and hi in by and by[lo]["redis_cmds_per_s"]:
                lines.append(
                    f"  {processes} process(es): {by[lo]['redis_cmds_per_s']:g} commands/s at "
                    f"{lo} phones, {by[hi]['redis_cmds_per_s']:g} at {hi} "
                    f"(x{by[hi]['redis_cmds_per_s'] / by[lo]['redis_cmds_per_s']:.2f} for "
                    f"x{hi / lo:g} phones)"
                )
    if plan:
        lines.append(
            f"Projection: worst process {plan['cpu_s_per_1k_worst_process']:g} CPU-s per 1,000 "
            f"messages, {plan['msgs_per_phone_per_s']:g} messages/s a drawing phone -> "
            f"{plan['phones_per_core_at_100pct']} phones a core at 100 %, "
            f"{plan['phones_per_core']} planned at {plan['utilisation']:.0%}"
        )
        for crowd, p in plan["crowds"].items():
            lines.append(
                f"  {crowd:>6} phones: {p['cores']} cores = {p['machines']} machines of "
                f"{plan['machine_cores']} cores ({p['processes']} processes); Redis about "
                f"{p['redis_cmds_per_s']} commands/s; {p['rows_per_s']} rows/s to the database; "
                f"{p['points_per_s_to_wall']} points/s offered to the wall"
            )
    return "\n".join(lines)


def write_plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (redis, cpu) = plt.subplots(1, 2, figsize=(12, 4.6))
    for phones in sorted({r["phones"] for r in rows}):
        mine = sorted((r for r in rows if r["phones"] == phones), key=lambda r: r["processes"])
        xs = [r["processes"] for r in mine]
        redis.plot(xs, [r["redis_cmds_per_s"] for r in mine], marker="o", label=f"{phones} phones")
        cpu.plot(xs, [r["cpu_s_per_1k"] for r in mine], marker="o", label=f"{phones} phones, all")
        cpu.plot(
            xs,
            [r["cpu_s_per_1k_process_max"] for r in mine],
            marker="x",
            linestyle="--",
            label=f"{phones} phones, worst process",
        )
    redis.set_ylabel("Redis commands per second")
    cpu.set_ylabel("server CPU-seconds per 1,000 phone messages")
    for axis in (redis, cpu):
        axis.set_xlabel("server processes")
        axis.set_xscale("log", base=2)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    redis.set_ylim(bottom=0)
    cpu.set_ylim(bottom=0)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 and 2 processes, a few phones")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--processes", help="comma-separated process counts (default 1,2,4,8)")
    parser.add_argument("--loads", help="comma-separated phone counts (default 80,160)")
    parser.add_argument("--duration", type=float, help="seconds of drawing per step")
    parser.add_argument("--grace", type=float, help="seconds to wait for answers afterwards")
    parser.add_argument("--gen-procs", type=int, default=2, help="phone processes (default 2)")
    parser.add_argument("--nice", type=int, default=5, help="niceness of load generators")
    parser.add_argument("--priority", type=int, default=-10, help="niceness of the whole run")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    processes = (
        [int(p) for p in args.processes.split(",")]
        if args.processes
        else (QUICK_PROCESSES if args.quick else FULL_PROCESSES)
    )
    loads = (
        [int(p) for p in args.loads.split(",")]
        if args.loads
        else (QUICK_LOADS if args.quick else FULL_LOADS)
    )
    options = Options(
        duration=args.duration or (1.5 if args.quick else 8.0),
        grace=args.grace or (1.5 if args.quick else 3.0),
        gen_procs=args.gen_procs,
        nice=args.nice,
    )
    out = args.out or Path(__file__).resolve().parent / "results"
    out.mkdir(parents=True, exist_ok=True)
    if shutil.which("redis-server") is None:
        print("redis-server is not on PATH: the scale-out needs it", file=sys.stderr)
        return 2
    if args.priority:
        with contextlib.suppress(OSError):
            os.nice(args.priority)
    info = machine()
    began = time.monotonic()
    print(
        f"-- scale-out: {processes} processes x {loads} phones, {options.duration:g} s each; "
        f"{info['nproc']} cores, {info['cpu']}",
        flush=True,
    )
    rows: list[dict] = []
    details: list[dict] = []
    header_printed = False
    try:
        for count in processes:
            system = ScaleOut(count)
            print(f"-- {system.label}: starting", flush=True)
            try:
                system.start()
                for phones in loads:
                    result = run_step(system, phones, options, scenario=f"scale-{count}p")
                    row = row_of(count, result)
                    rows.append(row)
                    details.append(
                        {"row": row, "per_server": result.extra.get("per_server"), **result.row()}
                    )
                    if not header_printed:
                        print(table_header(), flush=True)
                        header_printed = True
                    print(table_line(row) + (f"  {row['note']}" if row["note"] else ""), flush=True)
                    time.sleep(0.5)
            except Exception as error:
                print(f"-- {count} processes failed: {error!r}\n{system.log()}", flush=True)
            finally:
                system.stop()
    finally:
        cleanup()
    if not rows:
        print("-- no row measured", file=sys.stderr)
        return 1
    line = fit_line(rows)
    plan = projection(rows)
    text = summary(rows, line, plan, info)
    print("\n" + text, flush=True)
    with open(out / "scaleout.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_plot(
        rows,
        out / "scaleout.png",
        f"{info['nproc']} cores, {info['cpu']}: Redis traffic and CPU per message against "
        "server processes",
    )
    (out / "scaleout.json").write_text(
        json.dumps(
            {
                "machine": info,
                "command": "python -m bench.scaleout " + " ".join(argv or sys.argv[1:]),
                "line": line,
                "projection": plan,
                "rows": rows,
                "steps": details,
                "seconds": round(time.monotonic() - began, 1),
            },
            indent=1,
            default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v),
        )
    )
    (out / "scaleout.txt").write_text(text + "\n")
    print(f"-- wrote {out}/scaleout.csv, scaleout.png, scaleout.json, scaleout.txt")
    return 0


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.set_start_method("fork", force=True)
    sys.exit(main())
