"""The README's benchmark tables, in Markdown, from one run's JSON files.

    python -m bench.readme [--crowd bench/results/crowd.json]
                           [--scaleout bench/results/scaleout.json]

Prints the tables; nothing is measured here.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
INSTALLATIONS = ("installation-1w", "installation-2w")  # message for message; paced apart
PACED = ("installation-1w-paced", "installation-2w-paced")


def _f(value, digits: int | None = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if digits is not None:
        return f"{value:.{digits}f}"
    return f"{value:g}"


def _row_at(results: list[dict], system: str, phones: int) -> dict | None:
    rows = [
        r
        for r in results
        if r["system"] == system
        and r["phones"] == phones
        and (r["scenario"].startswith("sweep") or r["scenario"] == "cost")
    ]
    return rows[-1] if rows else None


def crowd_tables(data: dict) -> str:
    results, held = data["results"], data.get("held", {})
    cost, memory = data.get("cost", {}), data.get("memory", {})
    lines = [
        "| system | phones held | p99 at 100 phones | ack delay p50 / p99 at 100 phones "
        "| CPU-s per 1,000 messages at 100 / 200 phones | Redis commands/s at 200 phones "
        "| memory a phone / a wall |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for system, count in held.items():
        at_held = _row_at(results, system, count) if count else None
        at100 = _row_at(results, system, 100)
        figures = cost.get(system, {})
        c100, c200 = figures.get("100", {}), figures.get("200", {})
        at200 = _row_at(results, system, 200)
        mem = memory.get(system, {})
        held_text = f"**{count}**" + (f" (p99 {_f(at_held['p99_ms'])} ms)" if at_held else "")
        p99 = f"{_f(at100['p99_ms'])} ms" if at100 else "–"
        if at100 and not at100["held"]:
            p99 += " (not held)"
        lines.append(
            f"| {system} | {held_text} | {p99} "
            f"| {_f(c100.get('ack_p50_ms'))} / {_f(c100.get('ack_p99_ms'))} ms "
            f"| {_f(c100.get('cpu_s_per_1k'), 3)} / {_f(c200.get('cpu_s_per_1k'), 3)} "
            f"| {_f(at200['redis_cmds_per_s']) if at200 else '–'} "
            f"| {_f(mem.get('kib_per_phone'))} KiB / {_f(mem.get('kib_per_wall'))} KiB |"
        )
    best = max((held.get(n, 0) for n in INSTALLATIONS), default=0)
    seed, relay = held.get("seed-design"), held.get("bare-relay")
    out = ["\n".join(lines), ""]
    if seed:
        out.append(f"- Phones held, best installation ÷ seed design: {best / seed:.2f}")
    if relay:
        out.append(f"- Phones held, best installation ÷ bare relay: {best / relay:.2f}")
        paced = max((held.get(n, 0) for n in PACED), default=0)
        if paced:
            out.append(
                f"- Phones held, best paced installation ÷ bare relay: {paced / relay:.2f} "
                "(fewer, fuller messages when busy; the same points a second)"
            )
    off = held.get("installation-1w-noview")
    if off:
        on = held.get("installation-1w", 0)
        out.append(
            f"- The phones' view of the wall, phones held with it on ÷ off: {on / off:.2f} "
            "(installation-1w ÷ installation-1w-noview, same run; it may cost at most 10 %)"
        )
    mine, theirs = cost.get("installation-1w", {}), cost.get("bare-relay", {})
    seeds = cost.get("seed-design", {})
    for load in ("100", "200"):
        a = mine.get(load, {}).get("cpu_s_per_1k")
        b = theirs.get(load, {}).get("cpu_s_per_1k")
        c = seeds.get(load, {}).get("cpu_s_per_1k")
        if a and b:
            text = f"- CPU per message at {load} phones, installation-1w ÷ bare relay: {a / b:.2f}"
            if c:
                text += f"; ÷ seed design: {a / c:.2f}"
            out.append(text)
    return "\n".join(out)


def latency_table(data: dict) -> str:
    """p50 / p99 at each step the seed design ran, beside the installation's rows: the
    target is never worse than the seed design where it holds, and holding beyond."""
    results = data["results"]
    seed_steps = sorted(
        {
            r["phones"]
            for r in results
            if r["system"] == "seed-design" and r["scenario"].startswith("sweep")
        }
    )
    systems = [n for n in (*INSTALLATIONS, *PACED) if any(r["system"] == n for r in results)]
    lines = [
        "| phones | seed design p50 / p99 | " + " | ".join(systems) + " |",
        "| --- | --- | " + " | ".join("---" for _ in systems) + " |",
    ]

    def cell(row: dict | None) -> str:
        if row is None:
            return "–"
        text = f"{_f(row['p50_ms'])} / {_f(row['p99_ms'])} ms"
        return text if row["held"] else text + " (not held)"

    for phones in seed_steps:
        seed = _row_at(results, "seed-design", phones)
        cells = [cell(_row_at(results, n, phones)) for n in systems]
        lines.append(f"| {phones} | {cell(seed)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scaleout_tables(data: dict) -> str:
    rows, line, plan = data["rows"], data.get("line", {}), data.get("projection", {})
    lines = [
        "| processes | phones | CPU-s per 1,000 messages (worst process) "
        "| Redis commands/s (a process) | PUBLISH/s | frames/s into the wall (a process) "
        "| fairness: Jain / min÷max | p99 | ack p50 / p99 | held |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['processes']} | {r['phones']} | {_f(r['cpu_s_per_1k'], 3)} "
            f"({_f(r['cpu_s_per_1k_process_max'], 3)}) "
            f"| {_f(r['redis_cmds_per_s'])} ({_f(r['redis_cmds_per_s_per_process'])}) "
            f"| {_f(r['redis_publish_per_s'])} "
            f"| {_f(r['wall_frames_per_s'])} ({_f(r['wall_frames_per_s_per_process'])}) "
            f"| {_f(r['fairness_jain'])} / {_f(r['fairness_min_max'])} "
            f"| {_f(r['p99_ms'])} ms | {_f(r['ack_p50_ms'])} / {_f(r['ack_p99_ms'])} ms "
            f"| {'yes' if r['held'] else 'no'} |"
        )
    out = ["\n".join(lines), ""]
    if line:
        out.append(
            f"Measured line (least squares over the rows): Redis commands/s = "
            f"{_f(line['a'])} + **{_f(line['per_process'])} × processes** + "
            f"**{_f(line['per_phone'])} × phones** (R² {_f(line['r2'])})."
        )
    if plan:
        out += [
            "",
            "| | 1,000 phones drawing | 10,000 phones drawing |",
            "| --- | --- | --- |",
        ]
        c1, c10 = plan["crowds"]["1000"], plan["crowds"]["10000"]
        out.append(
            f"| cores at {plan['phones_per_core']} phones a core | {c1['cores']} | {c10['cores']} |"
        )
        out.append(
            f"| machines of {plan['machine_cores']} cores (processes) "
            f"| {c1['machines']} ({c1['processes']}) | {c10['machines']} ({c10['processes']}) |"
        )
        out.append(
            f"| Redis commands/s (at most: the frames' bound, and "
            f"{_f(plan['redis_cmds_per_s_per_process_max'])} a process besides) "
            f"| {c1['redis_cmds_per_s']} "
            f"| {c10['redis_cmds_per_s']} |"
        )
        out.append(
            f"| rows/s into the database (one a message) | {c1['rows_per_s']} "
            f"| {c10['rows_per_s']} |"
        )
        out.append(
            f"\nPer-message cost {_f(plan['cpu_s_per_1k_worst_process'])} CPU-s per 1,000 "
            f"(worst process, highest load), {_f(plan['msgs_per_phone_per_s'])} messages/s a "
            f"drawing phone: {plan['phones_per_core_at_100pct']} phones a core at 100 %, "
            f"{plan['phones_per_core']} planned at {plan['utilisation']:.0%}."
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crowd", type=Path, default=RESULTS / "crowd.json")
    parser.add_argument("--scaleout", type=Path, default=RESULTS / "scaleout.json")
    args = parser.parse_args(argv)
    if args.crowd.exists():
        data = json.loads(args.crowd.read_text())
        info = data["machine"]
        print(f"<!-- {info['nproc']} cores, {info['cpu']}, {data.get('command')} -->")
        print(crowd_tables(data))
        print()
        print(latency_table(data))
        print()
    if args.scaleout.exists():
        print(scaleout_tables(json.loads(args.scaleout.read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
