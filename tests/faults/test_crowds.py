"""Crowds of sockets: idle ones take no drawing place, a storm of reconnects loses nothing."""

import pytest

from tests.faults.scenarios import (
    HELLO_TIMEOUT,
    assert_held,
    idle_sockets,
    reconnect_storm,
)

pytestmark = [pytest.mark.timeout(150)]


async def test_500_sockets_that_never_say_hello_do_not_delay_a_real_phone(
    make_server, postgres_url
):
    # The TCP connections' own close (another 10 s: the closing handshake's timeout)
    # is waited for by `make chaos`; here the sockets leave once the server let them go.
    outcome = await idle_sockets(make_server, postgres_url, sockets=500, wait_tcp=False)
    facts = outcome.facts
    explain = outcome.explain()
    assert facts["welcome_state"] == "live", "the phone is live, not queued: " + explain
    assert "full" not in facts["states"], explain
    assert not outcome.audit.dropped and not outcome.audit.refused, explain
    # They go by themselves, after the hello timeout; every connection is released
    # once they leave (assert_held).
    assert facts["idle_let_go_after"] is not None, explain
    assert facts["idle_let_go_after"] <= HELLO_TIMEOUT + 5, explain
    assert_held(outcome, memory_mb=100)


async def test_a_reconnect_storm_of_300_phones(make_server, postgres_url):
    outcome = await reconnect_storm(make_server, postgres_url, phones=300, rate=5)
    explain = outcome.explain()
    assert outcome.facts["welcomed_max"] < 99, "every phone came back: " + explain
    assert outcome.facts["strokes_across"] > 0, "strokes went on across the restart: " + explain
    assert_held(outcome, memory_mb=200)
