"""The crowd benchmark: the installation against the seed design and a bare relay,
swept upward in phones until each no longer holds p99 <= 100 ms with no loss.

    python -m bench.crowd            # the full run (make bench)
    python -m bench.crowd --quick    # under a minute (make bench-quick)

Writes crowd.csv, crowd.png, crowd.json and summary.txt to --out (bench/results/).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import platform
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bench import memory, profile
from bench.report import table_header, table_line, write_csv, write_plot
from bench.step import CONTEXT, Options, StepResult, run_step
from bench.systems import (
    BareRelay,
    Installation,
    SeedDesign,
    System,
    cleanup,
    redis_available,
)
from bench.wall_fps import chromium_available, fps_process

# Up until every system has failed, capped at 2,000 phones: beyond that the two phone
# processes (on the same 2 cores as the server) cannot keep a phone's pace, so a
# system still holding there is reported as "at least the cap", not as a ceiling.
FULL_STEPS = [5, 10, 25, 50, 100, 150, 200, 250, 300, 350, 400, 500, 600, 800, 1000, 1300]
FULL_STEPS += [1600, 2000]
QUICK_STEPS = [10, 40]
# installation-1w-noview: installation-1w with the phones' view of the wall off, so the
# view's cost is measured in the same run (bench.crowd.view_cost).
SYSTEMS = [
    "installation-1w",
    "installation-1w-noview",
    "installation-2w",
    "installation-1w-paced",
    "installation-2w-paced",
    "seed-design",
    "bare-relay",
]
# Message for message with the references; the paced rows are reported on their own.
UNPACED = ("installation-1w", "installation-2w")
PACED = ("installation-1w-paced", "installation-2w-paced")


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except Exception:
        memory = "?"
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def make_system(name: str) -> System:
    installation = re.fullmatch(r"installation-([0-9])w((?:-paced|-noview|-memory)*)", name)
    if installation:
        workers, flags = int(installation[1]), installation[2]
        layer = "memory" if "-memory" in flags else "pubsub"
        return Installation(workers, layer, paced="-paced" in flags, view="-noview" not in flags)
    if name == "seed-design":
        return SeedDesign()
    if name == "bare-relay":
        return BareRelay()
    choices = ", ".join([*SYSTEMS, "installation-Nw[-paced][-noview][-memory]"])
    raise SystemExit(f"unknown system {name!r}; choose from {choices}")


class Run:
    """Collects rows, prints progress, and writes the files as it goes."""

    def __init__(self, out: Path, command: str) -> None:
        self.out = out
        self.command = command
        self.results: list[StepResult] = []
        self.extras: dict = {"machine": machine(), "command": command}
        self.printed_header = False

    def add(self, result: StepResult) -> None:
        self.results.append(result)
        if not self.printed_header:
            print(table_header(), flush=True)
            self.printed_header = True
        print(table_line(result), flush=True)
        write_csv(self.results, self.out / "crowd.csv")

    def say(self, text: str) -> None:
        print(f"-- {text}", flush=True)


def sweep(run: Run, names: list[str], steps: list[int], options: Options, confirm: bool):
    """Raise the crowd on every system in turn, step by step, until each no longer
    holds; returns the most phones each held.

    The systems take turns at each step (all are started first; an idle one costs
    nothing) rather than one sweeping after the other: a shared machine's load drifts
    over minutes, and interleaving puts every system under the same drift, so the
    ratios between them are fair even when the absolute figures move.
    """
    systems: dict[str, System] = {}
    held = dict.fromkeys(names, 0)
    try:
        for name in names:
            system = make_system(name)
            run.say(f"{name}: starting ({system.label})")
            try:
                system.start()
                systems[name] = system
            except Exception as error:
                run.say(f"{name} failed to start: {error!r}\n{system.log()}")
                system.stop()
        live = list(systems)
        for phones in steps:
            for name in list(live):
                if not _step_holds(run, systems[name], phones, options, confirm):
                    live.remove(name)
                    run.say(f"{name}: held {held[name]} phones")
                    systems[name].stop()  # a backlog it still works through disturbs no one
                    continue
                held[name] = phones
                time.sleep(0.5)
            if not live:
                break
        for name in live:
            run.say(f"{name}: held {held[name]} phones (the sweep's top)")
    finally:
        for system in systems.values():
            system.stop()
    return held


def _step_holds(run: Run, system: System, phones: int, options: Options, confirm: bool) -> bool:
    try:
        result = run_step(system, phones, options)
        run.add(result)
        if not result.held and confirm:
            run.say(f"{system.name}: {phones} phones missed the target; once more to be sure")
            time.sleep(1.0)
            result = run_step(system, phones, options, scenario="sweep-retry")
            run.add(result)
        return result.held
    except Exception as error:
        run.say(f"{system.name} failed: {error!r}\n{system.log()}")
        return False


def cost(run: Run, names: list[str], loads: list[int], options: Options) -> dict:
    """CPU-seconds per 1,000 phone messages and the ack delay at fixed loads, for every
    system: a measure that does not hang on where the knee falls. A sweep row at that
    load is used when there is one (the last attempt); a system that dropped out of the
    sweep below it is started again and measured there, held or not."""
    figures: dict = {}
    for name in names:
        rows = {}
        for phones in loads:
            found = [
                r
                for r in run.results
                if r.system == name and r.phones == phones and r.scenario.startswith("sweep")
            ]
            if found:
                rows[phones] = found[-1]
        missing = [n for n in loads if n not in rows]
        if missing:
            system = make_system(name)
            run.say(f"{name}: cost at {missing} phones (beyond where it held)")
            try:
                system.start()
                # A fresh server's first crowd pays one-off costs (imports, caches, the
                # archiver's start): a short crowd first, not recorded, as the sweep's
                # small steps are before its 100.
                warm = Options(**{**asdict(options), "duration": 1.0, "grace": 1.0})
                run_step(system, 10, warm, scenario="warm-up")
                for phones in missing:
                    rows[phones] = run_step(system, phones, options, scenario="cost")
                    run.add(rows[phones])
                    time.sleep(0.5)
            except Exception as error:
                run.say(f"{name} cost failed: {error!r}\n{system.log()}")
            finally:
                system.stop()
        figures[name] = {
            phones: {
                "cpu_s_per_1k": row.cpu_s_per_1k,
                "ack_p50_ms": row.ack_p50_ms,
                "ack_p99_ms": row.ack_p99_ms,
                "p99_ms": row.p99_ms,
                "held": row.held,
                "redis_cmds_per_s": row.redis_cmds_per_s,
                "msgs_in_per_s": row.msgs_in_per_s,
            }
            for phones, row in rows.items()
        }
    return figures


def flood(run: Run, phones: int, options: Options) -> None:
    """Honest phones' latency without and with one flooder, on one server."""
    system = Installation(workers=1)
    run.say(f"flood: {phones} honest phones, then the same beside one flooder at 100x ink")
    try:
        system.start()
        run.add(run_step(system, phones, options, scenario="honest-alone"))
        time.sleep(0.5)
        beside = run_step(system, phones, options, scenario="with-flooder", flood=True)
        run.add(beside)
        report = beside.extra.get("flood", {})
        run.extras["flood"] = report
        run.say(
            "flooder: {sent} messages ({garbage} garbage frames besides), {points_sent} points "
            "sent, {points_accepted} accepted, {connections} connections, closes {closes}, "
            "errors {errors}, drops {drops}".format(**report)
            if report
            else "flooder reported nothing"
        )
    except Exception as error:
        run.say(f"flood failed: {error!r}\n{system.log()}")
    finally:
        system.stop()


def wall_fps(run: Run, phones: int, options: Options) -> None:
    """The wall page in headless Chromium while the crowd draws."""
    if not chromium_available():
        run.say("wall fps: skipped (no Chromium or Playwright)")
        return
    system = Installation(workers=1)
    results, window, ready = CONTEXT.Queue(), CONTEXT.Queue(), CONTEXT.Event()
    browser = None
    run.say(f"wall fps: /projector/ in headless Chromium, idle then while {phones} phones draw")
    try:
        system.start(pages=True)
        browser = CONTEXT.Process(
            target=fps_process, args=(system.http + "/projector/", window, ready, results)
        )
        browser.start()
        ready.wait(60)

        def open_window(start_at: float, stop_at: float) -> None:
            window.put((start_at, stop_at))

        result = run_step(system, phones, options, scenario="wall-fps", on_start=open_window)
        run.add(result)
        report = results.get(timeout=60)
        run.extras["wall_fps"] = report
        idle, load = report.get("idle", {}), report.get("load", {})
        run.say(
            f"wall fps: idle {idle.get('fps', '-')} fps, under load {load.get('fps', '-')} fps "
            f"(worst frame {load.get('worst_ms', '-')} ms); page {report.get('page')}; "
            f"errors {report.get('page_errors') or report.get('error') or 'none'}"
        )
    except Exception as error:
        run.say(f"wall fps failed: {error!r}")
    finally:
        if browser is not None:
            browser.join(10)
            if browser.is_alive():
                browser.kill()
        system.stop()


def layers(run: Run, sizes: list[int], options: Options) -> None:
    """The installation on the core Redis layer, to set beside the PubSub sweep rows."""
    for workers in (2,):
        system = Installation(workers=workers, layer="core")
        run.say(f"{system.name}: channels-redis core layer at {sizes} phones")
        try:
            system.start()
            for phones in sizes:
                run.add(run_step(system, phones, options, scenario="layer"))
                time.sleep(0.5)
        except Exception as error:
            run.say(f"{system.name} failed: {error!r}\n{system.log()}")
        finally:
            system.stop()


def profile_run(run: Run, phones: int, options: Options, name: str = "installation-1w") -> None:
    """py-spy over an installation's server while `phones` draw; hot spots to the log."""
    if profile.py_spy() is None:
        run.say("profile: py-spy is not installed (pip install py-spy)")
        return
    system = make_system(name)
    assert isinstance(system, Installation)
    out = run.out / f"profile-{name}.txt"
    spies: list = []

    def spy(start_at: float, stop_at: float) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        spies.append(profile.record(system.server_pid(), stop_at - start_at, out))

    run.say(f"profile: py-spy on {name} while {phones} phones draw")
    try:
        system.start()
        run.add(run_step(system, phones, options, scenario="profiled", on_start=spy))
        for process in spies:
            process.wait(30)
        text = profile.summarise(out)
        (run.out / "profile-summary.txt").write_text(text + "\n")
        run.extras["profile"] = text
        print(text, flush=True)
    except Exception as error:
        run.say(f"profile failed: {error!r}")
    finally:
        system.stop()


def missed_targets(held: dict[str, int]) -> str:
    """Which targets the installation (its best row, the paced one included: the issue
    allows it as its own row) misses, if any."""
    best = max((held.get(n, 0) for n in (*UNPACED, *PACED)), default=0)
    missed = []
    if "seed-design" in held and best < 10 * max(1, held["seed-design"]):
        missed.append("10x the seed design")
    if "bare-relay" in held and best < held["bare-relay"]:
        missed.append("1.0 x the bare relay")
    return ", ".join(missed)


def ratio(mine: int, theirs: int, mine_capped: bool) -> str:
    if theirs == 0:
        return "n/a (the reference held no step)"
    value = mine / theirs
    return f"{'>=' if mine_capped else ''}{value:.2f}"


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:g}"


def summary(run: Run, held: dict[str, int], steps: list[int]) -> str:
    top = steps[-1]
    lines = ["", "Most phones held (p99 <= 100 ms, nothing accepted lost, all answered):"]
    for name, count in held.items():
        lines.append(
            f"  {name:18} {count}"
            f"{' (the sweep top, the cap: not saturated)' if count == top else ''}"
        )
    costs = run.extras.get("cost") or {}
    if costs:
        loads = sorted({n for figures in costs.values() for n in figures})
        lines.append(
            "At fixed loads: server CPU-seconds per 1,000 phone messages; ack delay "
            "p50/p99 ms (send -> the ack covering it); p99 latency ms (* = not held):"
        )
        for name, figures in costs.items():
            cells = []
            for n in loads:
                f = figures.get(n)
                if f is None:
                    cells.append(f"{n}: -")
                    continue
                cells.append(
                    f"{n}: {_fmt(f['cpu_s_per_1k'])} cpu-s/1k, ack {_fmt(f['ack_p50_ms'])}/"
                    f"{_fmt(f['ack_p99_ms'])}, p99 {_fmt(f['p99_ms'])}{'' if f['held'] else '*'}"
                )
            lines.append(f"  {name:18} " + "; ".join(cells))
        mine, relay = costs.get("installation-1w", {}), costs.get("bare-relay", {})
        for n in loads:
            a, b = mine.get(n, {}).get("cpu_s_per_1k"), relay.get(n, {}).get("cpu_s_per_1k")
            if a and b and not (math.isnan(a) or math.isnan(b)):
                lines.append(
                    f"  CPU per message at {n} phones: installation-1w / bare-relay = {a / b:.2f}"
                )
    lines.extend(view_cost(held, costs))
    memory = run.extras.get("memory") or {}
    if memory:
        lines.append("Memory (RSS growth of the server's process tree over idle, helloed sockets):")
        for name, m in memory.items():
            lines.append(
                f"  {name:18} {_fmt(m.get('kib_per_phone'))} KiB a phone "
                f"({m.get('phones')} phones), {_fmt(m.get('kib_per_wall'))} KiB a wall "
                f"({m.get('walls')} walls)"
            )
    best = max((held.get(n, 0) for n in UNPACED), default=0)
    one = held.get("installation-1w", 0)
    seed, bare = held.get("seed-design"), held.get("bare-relay")
    lines.append("Ratios (targets: >= 10 x the seed design, >= 1.0 x the bare relay):")
    if seed is not None:
        lines.append(f"  installation-1w / seed-design = {ratio(one, seed, one == top)}")
        lines.append(f"  best installation / seed-design = {ratio(best, seed, best == top)}")
    if bare is not None:
        lines.append(f"  installation-1w / bare-relay  = {ratio(one, bare, one == top)}")
        lines.append(f"  best installation / bare-relay  = {ratio(best, bare, best == top)}")
        for name in PACED:
            if name in held:
                paced = held[name]
                lines.append(
                    f"  {name} / bare-relay = {ratio(paced, bare, paced == top)}"
                    " (fewer, fuller messages when busy; the same points a second)"
                )
    return "\n".join(lines)


def view_cost(held: dict[str, int], costs: dict) -> list[str]:
    """The phones' view of the wall: installation-1w (on) beside -noview (off), same run."""
    on, off = held.get("installation-1w"), held.get("installation-1w-noview")
    if on is None or off is None:
        return []
    lines = ["The phones' view of the wall (installation-1w, view on / view off, same run):"]
    lines.append(f"  phones held: {on} / {off} = {ratio(on, off, False)} (target >= 0.90)")
    with_view, without = costs.get("installation-1w", {}), costs.get("installation-1w-noview", {})
    for n in sorted(set(with_view) & set(without)):
        a, b = with_view[n].get("cpu_s_per_1k"), without[n].get("cpu_s_per_1k")
        if a and b and not (math.isnan(a) or math.isnan(b)):
            lines.append(f"  CPU-s per 1,000 messages at {n} phones: {a:g} / {b:g} = {a / b:.2f}")
    return lines


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run, under a minute")
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--steps", help="comma-separated phone counts of the sweep")
    parser.add_argument("--systems", help=f"comma-separated, from {','.join(SYSTEMS)}")
    parser.add_argument("--duration", type=float, help="seconds of drawing per step")
    parser.add_argument("--grace", type=float, help="seconds to wait for answers afterwards")
    parser.add_argument("--walls", type=int, default=1, help="timing walls (default 1)")
    parser.add_argument("--gen-procs", type=int, default=2, help="phone processes (default 2)")
    parser.add_argument("--nice", type=int, default=5, help="niceness of load generators")
    parser.add_argument("--flood-phones", type=int, help="honest phones in the flood scenario")
    parser.add_argument("--fps-phones", type=int, help="phones while the wall's fps is counted")
    parser.add_argument("--layer-steps", help="crowd sizes for the core-layer comparison")
    parser.add_argument(
        "--priority",
        type=int,
        default=-10,
        help="niceness of the whole run (servers, Redis, load) if permitted; default -10, "
        "so a busy shared machine disturbs the measurement less",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=None,
        help="also profile installation-1w with py-spy at this many phones",
    )
    parser.add_argument(
        "--profile-system", default="installation-1w", help="the installation row to profile"
    )
    parser.add_argument("--no-flood", action="store_true")
    parser.add_argument("--no-fps", action="store_true")
    parser.add_argument("--no-layers", action="store_true")
    parser.add_argument("--no-cost", action="store_true", help="skip the fixed-load CPU rows")
    parser.add_argument("--no-memory", action="store_true", help="skip memory per socket")
    parser.add_argument(
        "--cost-steps", help="fixed loads for CPU per 1,000 messages (default 100,200)"
    )
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="run the scale-out instead (python -m bench.scaleout; its flags after this)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--scale-out" in argv:
        from bench import scaleout

        argv.remove("--scale-out")
        return scaleout.main(argv)
    args = parse(argv)
    quick = args.quick
    steps = (
        [int(s) for s in args.steps.split(",")]
        if args.steps
        else (QUICK_STEPS if quick else FULL_STEPS)
    )
    systems = args.systems.split(",") if args.systems else SYSTEMS
    options = Options(
        duration=args.duration or (1.5 if quick else 8.0),
        grace=args.grace or (1.0 if quick else 2.0),
        walls=args.walls,
        gen_procs=args.gen_procs,
        nice=args.nice,
    )
    out = args.out or Path(__file__).resolve().parent / "results"
    out.mkdir(parents=True, exist_ok=True)
    if not redis_available():
        print("redis-server is not on PATH: the benchmark needs it", file=sys.stderr)
        return 2
    if args.priority:
        with contextlib.suppress(OSError):  # not permitted: run at the normal priority
            os.nice(args.priority)
    command = "python -m bench.crowd " + " ".join(argv)
    run = Run(out, command.strip())
    began = time.monotonic()
    info = run.extras["machine"]
    run.say(
        f"machine: {info['nproc']} cores, {info['cpu']}, {info['memory']}; python {info['python']}"
    )
    run.say(
        f"steps {steps}, {options.duration:g} s drawing each, {options.walls} wall(s), "
        f"up to {options.gen_procs} phone processes at nice +{options.nice}"
    )
    held = sweep(run, systems, steps, options, confirm=not quick)
    if not args.no_cost:
        loads = (
            [int(s) for s in args.cost_steps.split(",")]
            if args.cost_steps
            else ([steps[-1]] if quick else [100, 200])
        )
        run.extras["cost"] = cost(run, systems, loads, options)
    if not args.no_memory:
        run.extras["memory"] = memory.measure_all(
            run, systems, phones=20 if quick else 300, walls=2 if quick else 10
        )
    if quick and not (args.no_layers and args.no_fps):
        run.say("quick mode: the core-layer comparison and the wall's fps run in the full bench")
    if not args.no_layers and not quick:
        sizes = (
            [int(s) for s in args.layer_steps.split(",")]
            if args.layer_steps
            else ([steps[-1]] if quick else [100, 200])
        )
        layers(run, sizes, options)
    if not args.no_flood:
        flood(run, args.flood_phones or (20 if quick else 50), options)
    if not args.no_fps and not quick:
        wall_fps(run, args.fps_phones or 50, options)
    missed = missed_targets(held)
    if args.profile or (missed and not quick):
        failed_at = next((n for n in steps if n > held.get("installation-1w", 0)), steps[-1])
        phones = args.profile or failed_at
        run.say(f"targets missed ({missed}): profiling the server at {phones} phones")
        profile_run(run, phones, options, args.profile_system)
    cleanup()
    text = summary(run, held, steps)
    print(text, flush=True)
    run.extras["held"] = held
    run.extras["seconds"] = round(time.monotonic() - began, 1)
    write_csv(run.results, out / "crowd.csv")
    write_plot(
        run.results,
        out / "crowd.png",
        title=f"{info['nproc']} cores, {info['cpu']}: p99 latency, points, CPU per message",
    )
    (out / "crowd.json").write_text(
        json.dumps(
            {**run.extras, "results": [asdict(r) for r in run.results]},
            indent=1,
            default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v),
        )
    )
    (out / "summary.txt").write_text(text + "\n")
    print(f"-- wrote {out}/crowd.csv, crowd.png, crowd.json ({run.extras['seconds']} s)")
    return 0


if __name__ == "__main__":
    multiprocessing.set_start_method("fork", force=True)
    sys.exit(main())
