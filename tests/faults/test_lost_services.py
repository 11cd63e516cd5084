"""Redis or the database going away for a while: live drawing goes on, and afterwards
every acknowledged point is stored."""

import pytest

from tests.faults.scenarios import SLOW_SECONDS, assert_held, database_refuses, redis_down

pytestmark = [pytest.mark.timeout(120)]


async def test_redis_down_for_5_s_under_two_workers(make_server, postgres_url, redis_server):
    outcome = await redis_down(make_server, postgres_url, redis_server, phones=10, down=5)
    explain = outcome.explain()
    assert outcome.facts["wall_missing"] == 0, "the wall refilled the gap: " + explain
    assert outcome.facts["wall_duplicates"] == 0, explain
    # Its process heard nothing while Redis was away: it tells its walls to resync.
    assert outcome.facts["wall_told_to_resync"] >= 1, explain
    assert outcome.facts["phone_closes"] == 0, "no phone was cut off: " + explain
    assert_held(outcome, memory_mb=150)


async def test_the_database_refusing_connections_for_10_s(make_server, postgres_url):
    outcome = await database_refuses(make_server, postgres_url, phones=10, down=10)
    facts = outcome.facts
    explain = outcome.explain()
    assert facts["backends_terminated"] >= 1, "the server had database connections: " + explain
    # The phone page and the wall page still load.
    assert facts["pages_during"] == {"/": [200], "/projector/": [200]}, explain
    # /healthz says something is wrong (a status a PaaS check acts on), and what waits.
    assert facts["healthz_during"] and all(
        code == 503 and status in ("degraded", "unavailable")
        for code, status in facts["healthz_during"]
    ), explain
    assert facts["backlog_peak"] > 0, "/healthz counts what waits to be stored: " + explain
    # Live drawing goes on: the wall draws, and no phone is cut off.
    assert facts["wall_frames_during"] > 0, explain
    assert facts["wall_longest_silence"] < SLOW_SECONDS, explain
    assert facts["phone_closes_during"] == 0, explain
    assert facts["healthz_ok_after"] is not None, "healthy again afterwards: " + explain
    assert facts["storage_retries"], "/healthz counts storage retries: " + explain
    assert outcome.recovery is not None, explain
    assert_held(outcome, memory_mb=100)
