"""The benchmark's output: a terminal table, a CSV and a PNG plot."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from pathlib import Path

from bench.step import StepResult

COLUMNS = [
    "system",
    "scenario",
    "phones",
    "connected",
    "seconds",
    "msgs_in_per_s",
    "points_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "sent",
    "accepted",
    "delivered",
    "lost",
    "unanswered",
    "dropped",
    "errors",
    "ack_p50_ms",
    "ack_p99_ms",
    "server_cpu_pct",
    "cpu_s_per_1k",
    "redis_cpu_pct",
    "redis_cmds_per_s",
    "view_kib_per_phone_s",
    "rss_mb",
    "rss_per_phone_kb",
    "gen_lag_p99_ms",
    "machine_cpu_pct",
    "load1",
    "held",
    "note",
]

TABLE = [
    ("system", "system", 18),
    ("scenario", "scenario", 13),
    ("phones", "phones", 6),
    ("msgs_in_per_s", "msg/s in", 9),
    ("points_per_s", "pts/s out", 9),
    ("p50_ms", "p50 ms", 8),
    ("p95_ms", "p95 ms", 8),
    ("p99_ms", "p99 ms", 8),
    ("lost", "lost", 6),
    ("unanswered", "unans", 6),
    ("ack_p50_ms", "ack p50", 7),
    ("ack_p99_ms", "ack p99", 7),
    ("server_cpu_pct", "cpu %", 6),
    ("cpu_s_per_1k", "cpu s/1k", 8),
    ("redis_cmds_per_s", "redis/s", 7),
    ("rss_per_phone_kb", "KiB/ph", 7),
    ("gen_lag_p99_ms", "lag ms", 7),
    ("machine_cpu_pct", "mach%", 5),
    ("load1", "load", 5),
    ("held", "held", 5),
]


def _cell(value, width: int) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "NO"
    elif isinstance(value, float):
        text = "-" if math.isnan(value) else f"{value:g}" if abs(value) < 1e6 else f"{value:.3g}"
    else:
        text = str(value)
    return text[:width].rjust(width) if not isinstance(value, str) else text[:width].ljust(width)


def table_header() -> str:
    return " ".join(_cell(title, width) for _, title, width in TABLE)


def table_line(result: StepResult) -> str:
    row = result.row()
    line = " ".join(_cell(row[key], width) for key, _, width in TABLE)
    return line + (f"  {result.note}" if result.note else "")


def table(results: Iterable[StepResult]) -> str:
    lines = [table_header(), "-" * len(table_header())]
    lines += [table_line(r) for r in results]
    return "\n".join(lines)


def write_csv(results: Iterable[StepResult], path: Path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.row())


def write_plot(results: list[StepResult], path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A retried step is plotted as retried: the confirmation is the step's result.
    sweep = [r for r in results if r.scenario in ("sweep", "sweep-retry")]
    systems = list(dict.fromkeys(r.system for r in sweep))
    figure, (latency, points, cost) = plt.subplots(1, 3, figsize=(17, 4.8))
    for system in systems:
        last = {r.phones: r for r in sweep if r.system == system}
        rows = [last[n] for n in sorted(last)]
        phones = [r.phones for r in rows]
        latency.plot(phones, [r.p99_ms for r in rows], marker="o", label=system)
        points.plot(phones, [r.points_per_s for r in rows], marker="o", label=system)
        cost.plot(phones, [r.cpu_s_per_1k for r in rows], marker="o", label=system)
        # Fixed-load rows of a system that had left the sweep: the same colour, crosses.
        extra = [r for r in results if r.system == system and r.scenario == "cost"]
        if extra:
            colour = latency.get_lines()[-1].get_color()
            xs = [r.phones for r in extra]
            latency.scatter(xs, [r.p99_ms for r in extra], marker="x", color=colour, zorder=3)
            cost.scatter(xs, [r.cpu_s_per_1k for r in extra], marker="x", color=colour, zorder=3)
    latency.axhline(100, color="grey", linestyle="--", linewidth=1, label="target 100 ms")
    latency.set_yscale("log")
    latency.set_ylabel("p99 latency, phone send to wall receipt (ms)")
    points.set_ylabel("points delivered to the wall per second")
    cost.set_ylabel("server CPU-seconds per 1,000 phone messages")
    cost.set_yscale("log")
    for axis in (latency, points, cost):
        axis.set_xscale("log")
        axis.set_xlabel("phones drawing")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    if title:
        figure.suptitle(title + " (x: fixed-load rows after a system left the sweep)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
