"""The crowd benchmark runs end to end and writes well-formed output (no timings
are asserted: speed is what the benchmark reports, not what tests check)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

from bench.report import COLUMNS
from tests.parts import ROOT, missing

SYSTEMS = {
    "installation-1w",
    "installation-1w-noview",
    "installation-2w",
    "installation-1w-paced",
    "installation-2w-paced",
    "seed-design",
    "bare-relay",
}


def test_tiny_run_writes_table_csv_plot_and_summary(tmp_path):
    if shutil.which("redis-server") is None:
        missing("redis-server", "not on PATH")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.crowd",
            "--quick",
            "--steps",
            "4",
            "--duration",
            "1",
            "--grace",
            "1",
            "--gen-procs",
            "1",
            "--flood-phones",
            "3",
            "--no-fps",
            "--no-layers",
            "--priority",
            "0",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    output = completed.stdout
    assert "msg/s in" in output  # the table's header
    assert "installation-1w / seed-design" in output
    assert "installation-1w / bare-relay" in output
    assert "The phones' view of the wall" in output  # view on / off, same run

    with open(tmp_path / "crowd.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        rows = list(reader)
    sweep = [r for r in rows if r["scenario"] == "sweep"]
    assert {r["system"] for r in sweep} == SYSTEMS
    for row in sweep:
        assert row["phones"] == "4"
        assert int(row["connected"]) == 4, row
        assert int(row["sent"]) > 0, row
        assert int(row["delivered"]) > 0, row
        assert row["held"] in {"True", "False"}
        float(row["p99_ms"])
        float(row["server_cpu_pct"])
        float(row["cpu_s_per_1k"])  # CPU-seconds per 1,000 messages
        float(row["ack_p50_ms"]), float(row["ack_p99_ms"])  # the ack delay
    # The view of the wall reaches the phones with it on, and none with it off.
    view = {r["system"]: float(r["view_kib_per_phone_s"]) for r in sweep}
    assert view["installation-1w"] > 0 and view["installation-1w-noview"] == 0, view
    assert view["seed-design"] == 0 and view["bare-relay"] == 0
    scenarios = {r["scenario"] for r in rows}
    assert {"honest-alone", "with-flooder"} <= scenarios

    png = (tmp_path / "crowd.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000

    details = json.loads((tmp_path / "crowd.json").read_text())
    assert details["machine"]["nproc"] >= 1
    assert set(details["held"]) == SYSTEMS
    held = details["held"]
    on, off = held["installation-1w"], held["installation-1w-noview"]
    assert f"phones held: {on} / {off}" in output
    assert details["flood"]["sent"] > 0  # the flooder really flooded
    assert set(details["cost"]) == SYSTEMS  # CPU per 1,000 messages for every system
    assert set(details["memory"]) == SYSTEMS  # memory per phone and per wall
    for figures in details["memory"].values():
        assert figures["phones"] > 0 and figures["walls"] > 0
    assert (tmp_path / "summary.txt").read_text().strip()


def test_the_readme_latency_table_sets_each_step_beside_the_seed_design():
    from bench.readme import latency_table

    def row(system: str, phones: int, p50: float, p99: float, held: bool = True) -> dict:
        return {"system": system, "scenario": "sweep", "phones": phones, "p50_ms": p50,
                "p99_ms": p99, "held": held}  # fmt: skip

    results = [
        row("seed-design", 5, 2.2, 4.7),
        row("seed-design", 10, 3.0, 150.0, held=False),
        row("installation-1w", 5, 1.0, 2.3),
        row("installation-1w", 10, 1.1, 9.0),
        row("installation-1w", 25, 12.0, 25.0),
        row("installation-2w-paced", 5, 1.4, 3.8),
    ]
    lines = latency_table({"results": results}).splitlines()
    assert lines[0] == (
        "| phones | seed design p50 / p99 | installation-1w | installation-2w-paced |"
    )
    assert lines[2] == "| 5 | 2.2 / 4.7 ms | 1 / 2.3 ms | 1.4 / 3.8 ms |"
    assert lines[3] == "| 10 | 3 / 150 ms (not held) | 1.1 / 9 ms | – |"
    assert len(lines) == 4, "only the steps the seed design ran"
