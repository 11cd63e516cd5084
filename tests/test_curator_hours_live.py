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

# The schedule starts at the test clock's last closing before the opening; the
# server's own loop (real time, years earlier) then finds nothing due.
SETUP = """
from datetime import datetime, time, timezone
from projector.models import OpeningHours, ScheduleState
ScheduleState.objects.filter(pk=1).update(
    last_kind="close", last_at=datetime(2030, 2, 25, 18, 0, tzinfo=timezone.utc)
)
OpeningHours.objects.filter(weekday=0).update(is_open=True, opens=time(10), closes=time(18))
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


@pytest.mark.timeout(180)
async def test_the_workers_own_loops_apply_an_opening_once(start_server, redis_server):
    """No test clock here: both workers' hours loops (real time, every few seconds)
    meet an opening due a few seconds from now; exactly one of them applies it."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    opens, closes = now + timedelta(seconds=6), now + timedelta(seconds=40)
    if closes.date() != now.date():
        pytest.skip("too close to midnight for a same-day opening")
    server = start_server(workers=2, redis_url=redis_server.url)
    setup = f"""
from datetime import datetime, time, timezone
from projector.models import OpeningHours, ScheduleState
ScheduleState.objects.filter(pk=1).update(
    last_kind="close", last_at=datetime.fromisoformat("{now.isoformat()}")
)
OpeningHours.objects.filter(weekday={now.weekday()}).update(
    is_open=True, opens=time({opens.hour}, {opens.minute}, {opens.second}),
    closes=time({closes.hour}, {closes.minute}, {closes.second}),
)
"""
    server.manage("shell", "-c", setup)
    wall = await WallListener(server).connect()
    phone = PhoneClient(server.ws, server.origin, cookie=phone_cookie(server))
    await phone.connect()
    before = sheets(server)
    await until(lambda: wall.of("reset"), timeout=45, what="the opening's reset")
    assert {"type": "state", "state": "paused"} not in phone.states, "nothing closed yet"
    await until(lambda: {"type": "state", "state": "paused"} in phone.states, timeout=60)
    assert len(wall.of("reset")) == 1, "one opening, one reset, with two workers ticking"
    assert len(sheets(server)) == len(before) + 1
    await phone.close()
    await wall.close()
