"""Clients that stop reading: nothing on the tick waits on their sockets."""

import pytest

from tests.faults.scenarios import (
    SLOW_SECONDS,
    assert_held,
    phone_stops_reading,
    wall_stops_reading,
)

pytestmark = [pytest.mark.timeout(150)]


async def test_a_wall_that_stops_reading_is_closed_and_freezes_nobody(make_server, postgres_url):
    outcome = await wall_stops_reading(make_server, postgres_url, phones=20, limit=60)
    facts = outcome.facts
    explain = outcome.explain()
    # The stalled wall is let go: within the slow-client limit of its buffers filling
    # (docs/protocol.md, "Slow clients"), with a few seconds' slack for a busy machine.
    assert facts["stalled_closed_after"] is not None, (
        "the stalled wall was never closed: " + explain
    )
    if facts["closed_after_full"] is not None:
        assert facts["closed_after_full"] <= SLOW_SECONDS + 4, explain
    # The healthy wall kept getting frames all along: never a silence as long as the
    # slow-client limit itself.
    assert facts["healthy_frames_during_stall"] > 0, explain
    assert facts["healthy_longest_silence"] < SLOW_SECONDS, explain
    assert facts["healthy_wall_closes"] == 0, explain
    assert facts["slow_closed"] and facts["slow_closed"] >= 1, "/healthz counts it: " + explain
    assert_held(outcome, memory_mb=80)


async def test_a_phone_that_stops_reading_holds_up_no_other_phone(make_server, postgres_url):
    outcome = await phone_stops_reading(make_server, postgres_url, phones=20, stall=8)
    facts = outcome.facts
    explain = outcome.explain()
    assert facts["healthy_phones_behind"] == 0, explain
    assert facts["healthy_phone_longest_ack_silence"] < SLOW_SECONDS, explain
    assert_held(outcome, memory_mb=60)
