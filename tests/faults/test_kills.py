"""Killed processes mid-stroke: an acknowledged point is a stored point (docs/protocol.md,
"Acknowledgements and durability"), and every stroke continues across the reconnect."""

import pytest

from tests.faults.scenarios import assert_held, kill

pytestmark = [pytest.mark.timeout(120)]


async def test_sigkill_of_a_worker_mid_stroke(make_server, postgres_url, redis_server):
    outcome = await kill(make_server, postgres_url, what="worker", redis_url=redis_server.url)
    assert outcome.recovery is not None, "every phone got acks again: " + outcome.explain()
    assert outcome.facts["strokes_across"] > 0, "strokes went on across the reconnect"
    assert_held(outcome, memory_mb=150)


async def test_sigkill_of_the_archiver_mid_stroke(make_server, postgres_url):
    outcome = await kill(make_server, postgres_url, what="archiver")
    assert outcome.facts["archiver_restarts"] >= 1, outcome.explain()
    assert outcome.recovery is not None, outcome.explain()
    assert_held(outcome, memory_mb=100)


async def test_sigkill_of_the_process_group_mid_stroke(make_server, postgres_url):
    outcome = await kill(make_server, postgres_url, what="group")
    assert outcome.facts["strokes_across"] > 0, "strokes went on across the restart"
    assert outcome.recovery is not None, outcome.explain()
    assert_held(outcome, memory_mb=100)


async def test_sigterm_mid_stroke(make_server, postgres_url):
    outcome = await kill(make_server, postgres_url, what="sigterm")
    assert outcome.facts["strokes_across"] > 0, "strokes went on across the restart"
    assert outcome.recovery is not None, outcome.explain()
    assert_held(outcome, memory_mb=100)
