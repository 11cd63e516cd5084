"""The phone's connection state machine (static/controller/connection_state.js),
imported as an ES module in Chromium: events in, the state and the actions out, as
docs/protocol.md says ("A phone's connection, step by step", "Close codes")."""

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

# From a fresh page: each event fed in turn; the last state and every action taken.
RUN = """(events) => {
    let conn = Conn.initial();
    const actions = [];
    for (const event of events) {
        const step = Conn.step(conn, event);
        conn = step.conn;
        actions.push(...step.actions);
    }
    return {state: conn.state, position: conn.position, welcomed: conn.welcomed,
            link: conn.link, actions};
}"""

CONNECT = [{"type": "connect", "at": 0}, {"type": "open"}]


def welcome(state="live", **fields):
    return {"type": "message", "message": {"type": "welcome", "state": state, **fields}}


def state(name, **fields):
    return {"type": "message", "message": {"type": "state", "state": name, **fields}}


def close(code, hidden=False):
    return {"type": "close", "code": code, "hidden": hidden}


@pytest.fixture
def page(browser, static_server):  # noqa: F811 (the fixture above)
    page = module_page(browser, static_server, Conn="controller/connection_state.js")
    yield page
    page.close()


def run(page, events):
    return page.evaluate(RUN, events)


@pytest.mark.parametrize(
    ("events", "expected_state", "expected_actions"),
    [
        # Step 1-3: open, hello, welcome; the backoff is reset only by a welcome.
        (CONNECT, "connecting", ["hello"]),
        ([*CONNECT, welcome()], "live", ["hello", "ok", "welcome"]),
        ([*CONNECT, welcome("paused")], "paused", ["hello", "ok", "welcome"]),
        # Blocked at the handshake: the state, then 4003, and never again.
        ([{"type": "connect"}, state("blocked"), close(4003)], "blocked", ["stop"]),
        (
            [*CONNECT, welcome(), close(4003), *CONNECT],
            "blocked",
            ["hello", "ok", "welcome", "stop"],
        ),
        # Every other close comes back (at once, then with backoff).
        ([*CONNECT, welcome(), close(1000)], "reconnecting", ["hello", "ok", "welcome", "retry"]),
        ([*CONNECT, close(1006)], "reconnecting", ["hello", "retry"]),
        ([*CONNECT, welcome(), close(1008)], "reconnecting", ["hello", "ok", "welcome", "retry"]),
        ([*CONNECT, close(1012)], "reconnecting", ["hello", "retry"]),
        ([*CONNECT, close(4001)], "reconnecting", ["hello", "retry"]),
        ([*CONNECT, welcome(), close(4010)], "reconnecting", ["hello", "ok", "welcome", "retry"]),
        # Too many tabs: closed before any welcome, so the backoff keeps growing.
        ([{"type": "connect"}, close(4029)], "reconnecting", ["retry"]),
        # Idle for 15 minutes: back at once if the visitor is looking, else when they are.
        ([*CONNECT, welcome(), close(4008)], "reconnecting", ["hello", "ok", "welcome", "retry"]),
        (
            [*CONNECT, welcome(), close(4008, hidden=True)],
            "reconnecting",
            ["hello", "ok", "welcome"],
        ),
        (
            [*CONNECT, welcome(), close(4008, hidden=True), {"type": "wake", "at": 9e5}],
            "reconnecting",
            ["hello", "ok", "welcome", "connect"],
        ),
        # The curator's states after the welcome.
        ([*CONNECT, welcome(), state("paused")], "paused", ["hello", "ok", "welcome"]),
        ([*CONNECT, welcome("paused"), state("live")], "live", ["hello", "ok", "welcome"]),
        # client_taken: a new id and hello again on the same socket, still un-welcomed.
        (
            [*CONNECT, {"type": "message", "message": {"type": "error", "code": "client_taken"}}],
            "connecting",
            ["hello", "new_client", "hello"],
        ),
        # Other errors and acks are not the connection's business.
        (
            [
                *CONNECT,
                welcome(),
                {"type": "message", "message": {"type": "error", "code": "bad_point"}},
            ],
            "live",
            ["hello", "ok", "welcome"],
        ),
    ],
)
def test_events_give_the_protocols_states_and_actions(
    page, events, expected_state, expected_actions
):
    result = run(page, events)
    assert result["state"] == expected_state
    assert result["actions"] == expected_actions


def test_a_place_in_line_from_the_welcome_and_from_state_messages(page):
    queued = run(page, [*CONNECT, welcome("full", position=3)])
    assert (queued["state"], queued["position"]) == ("full", 3)
    moved = run(page, [*CONNECT, welcome("full", position=3), state("full", position=2)])
    assert (moved["state"], moved["position"]) == ("full", 2)
    # Told "full" before the welcome (a race at the handshake): the welcome's "live"
    # does not let this phone draw past the line.
    raced = run(page, [*CONNECT, state("full", position=4), welcome("live")])
    assert (raced["state"], raced["position"]) == ("full", 4)
    # A new connection forgets the old place.
    again = run(page, [*CONNECT, welcome("full", position=3), close(1006), {"type": "connect"}])
    assert again["position"] == 0


@pytest.mark.parametrize(
    ("before", "event", "dropped"),
    [
        # A handshake that has not opened in 5 s, nor been welcomed in 10 s, is dropped.
        ([{"type": "connect", "at": 0}], {"type": "timeout", "waited": 5000}, True),
        (CONNECT, {"type": "timeout", "waited": 5000}, False),
        (CONNECT, {"type": "timeout", "waited": 10000}, True),
        ([*CONNECT, welcome()], {"type": "timeout", "waited": 10000}, False),
        # Stalled: something unanswered for 6 s with nothing heard since it left.
        (
            [*CONNECT, welcome()],
            {"type": "tick", "oldestSent": 1000, "lastHeard": 900, "at": 7001},
            True,
        ),
        (
            [*CONNECT, welcome()],
            {"type": "tick", "oldestSent": 1000, "lastHeard": 6000, "at": 7001},
            False,
        ),
        (
            [*CONNECT, welcome()],
            {"type": "tick", "oldestSent": None, "lastHeard": 0, "at": 1e6},
            False,
        ),
        # Woken (visible again, online): a handshake older than a second is dropped.
        ([{"type": "connect", "at": 0}], {"type": "wake", "at": 1500}, True),
        ([{"type": "connect", "at": 0}], {"type": "wake", "at": 500}, False),
        ([*CONNECT, welcome()], {"type": "wake", "at": 1e6}, False),
    ],
)
def test_dead_and_stuck_links_are_dropped(page, before, event, dropped):
    result = run(page, [*before, event])
    assert ("drop" in result["actions"]) is dropped


def test_the_words_for_each_state(page):
    words = page.evaluate(
        """() => ["connecting", "live", "reconnecting", "paused", "full", "blocked"].map(
            (s) => [Conn.labelFor(s, 3), Conn.noticeFor(s, 3), Conn.canDraw(s)])"""
    )
    assert words == [
        [["connecting", {}], None, True],
        [["live", {}], None, True],
        [["reconnecting", {}], None, True],
        [["paused", {}], ["paused_notice", {}], False],
        [["full", {"n": 3}], ["full_notice", {"n": 3}], False],
        [["blocked", {}], ["blocked_notice", {}], False],
    ]
