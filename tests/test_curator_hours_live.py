"""Opening hours against the real server (2 workers on Redis), driven by a test clock:
two processes tick the same opening at once and the wall is reset exactly once; at
the closing the phones are paused and the wall is told it is closed."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest

from tests.clients import PhoneClient
from tests.parts import ROOT
from tests.test_curator_live import WallListener, phone_cookie, until

SETUP = """
from datetime import datetime, time, timezone
from projector.hours import hours_tick
from projector.models import OpeningHours
OpeningHours.objects.filter(weekday=0).update(is_open=True, opens=time(10), closes=time(18))
hours_tick(datetime(2030, 3, 4, 9, 0, tzinfo=timezone.utc))
"""


def tick_together(server, now: str, processes: int = 2) -> list[str]:
    """Start `processes` `manage.py hours_tick --now` at once; their outputs."""
    running = [
        subprocess.Popen(
            [sys.executable, "manage.py", "hours_tick", "--now", now],
            cwd=ROOT,
            env=server.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = []
    for process in running:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        outputs.append(out.strip().splitlines()[-1])
    return outputs


def sheets(server) -> list[tuple[int, str | None]]:
    with sqlite3.connect(server.env["SQLITE_PATH"]) as db:
        return db.execute("SELECT id, ended_at FROM projector_sheet ORDER BY id").fetchall()


@pytest.mark.timeout(180)
async def test_two_processes_apply_each_transition_once(start_server, redis_server):
    server = start_server(workers=2, redis_url=redis_server.url)
    server.manage("shell", "-c", SETUP)
    wall = await WallListener(server).connect()
    phone = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    await phone.connect()
    before = sheets(server)

    outputs = await asyncio.to_thread(tick_together, server, "2030-03-04T10:00:03+00:00")
    assert sorted(outputs) == ["applied open due 2030-03-04T10:00:00+00:00", "nothing due"]
    await until(lambda: wall.of("reset"), what="the wall's reset")
    await asyncio.sleep(1.5)  # a second reset would have arrived by now
    assert len(wall.of("reset")) == 1
    after = sheets(server)
    assert len(after) == len(before) + 1 and after[-1][1] is None
    await until(lambda: {"type": "reset", "sheet": after[-1][0]} in phone.other, what="reset")

    # Again, at the same clock: nothing (the row records it was applied).
    outputs = await asyncio.to_thread(tick_together, server, "2030-03-04T10:00:30+00:00")
    assert outputs == ["nothing due", "nothing due"]

    outputs = await asyncio.to_thread(tick_together, server, "2030-03-04T18:00:02+00:00", 3)
    assert sorted(outputs) == ["applied close due 2030-03-04T18:00:00+00:00"] + ["nothing due"] * 2
    await until(lambda: {"type": "state", "state": "paused"} in phone.states, what="paused")

    def closed_told() -> bool:
        return any(m["exhibit"].get("closed") for m in wall.of("exhibit"))

    await until(closed_told, what="the wall told it is closed")
    assert len(sheets(server)) == len(after), "a closing keeps the picture"
    assert len(wall.of("reset")) == 1
    await phone.close()
    await wall.close()
