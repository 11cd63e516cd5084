"""The scale-out benchmark runs end to end in quick mode and writes well-formed
output: per process count and crowd, Redis commands, CPU per 1,000 messages, the
wall's frames and fairness, the fitted line and the projection. No timing or
figure is asserted: speed is what the benchmark reports, not what tests check."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

from tests.parts import ROOT, missing


def test_quick_scale_out_writes_table_csv_plot_line_and_projection(tmp_path):
    if shutil.which("redis-server") is None:
        missing("redis-server", "not on PATH")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.crowd",
            "--scale-out",
            "--quick",
            "--processes",
            "1,2",
            "--loads",
            "2,4",
            "--duration",
            "1",
            "--grace",
            "1",
            "--gen-procs",
            "1",
            "--priority",
            "0",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Redis commands/s =" in completed.stdout  # the measured line
    assert "Projection:" in completed.stdout

    with open(tmp_path / "scaleout.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["processes"], r["phones"]) for r in rows} == {
        ("1", "2"),
        ("1", "4"),
        ("2", "2"),
        ("2", "4"),
    }
    for row in rows:
        assert int(row["lost"]) >= 0
        float(row["cpu_s_per_1k"])
        float(row["redis_cmds_per_s"])
        float(row["wall_frames_per_s"])
        assert row["held"] in {"True", "False"}

    details = json.loads((tmp_path / "scaleout.json").read_text())
    assert set(details["line"]) == {"a", "per_process", "per_phone", "r2"}
    assert set(details["projection"]["crowds"]) == {"1000", "10000"}
    two = [s for s in details["steps"] if s["row"]["processes"] == 2]
    for step in two:
        servers = step["per_server"]
        assert len(servers) == 2
        # Phones are spread evenly: each process got half of the crowd.
        assert [s["phones"] for s in servers] == [step["phones"] // 2] * 2
        for server in servers:
            assert server["sent"] > 0
    png = (tmp_path / "scaleout.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert (tmp_path / "scaleout.txt").read_text().strip()
