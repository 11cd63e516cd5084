"""The wall-ceiling benchmark runs end to end in quick mode: frames published on the
channel layer reach a real wall page in Chromium at 1920x1080 through the installation's
wall consumer, and the report says what the page drew. No fps is asserted: speed is
what the benchmark reports, not what tests check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.parts import ROOT, missing

pytestmark = pytest.mark.browser


def test_quick_wall_ceiling_reaches_the_page_and_writes_its_report(tmp_path):
    if shutil.which("redis-server") is None:
        missing("redis-server", "not on PATH")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.wall_ceiling", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = json.loads((tmp_path / "wall_ceiling.json").read_text())
    assert [step["points_per_second"] for step in report["steps"]] == [2000, 16000]
    for step in report["steps"]:
        # The frames went through the server and the page applied and drew them.
        assert step["frames_applied"] > 10, step
        assert step["drawn_per_second"] > 0, step
        assert step["fps"] > 0, step
    assert report["budget_per_tick_at_ceiling"] == report["ceiling_points_per_second"] // 40
