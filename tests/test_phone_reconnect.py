"""A Wi-Fi blip, or a server restart, while a phone draws: it reconnects by itself
and what it drew meanwhile reaches the wall exactly once."""

import pytest

from tests.parts import wait_for
from tests.phone_pad import Touch, open_phone, pad_at, settled, wall_segments

pytestmark = pytest.mark.browser


def state(page) -> str:
    return page.evaluate("window.phone.state")


def test_strokes_drawn_while_the_server_is_down_reach_the_wall_once(start_server, browser, devices):
    server = start_server()
    page = open_phone(browser, devices, server)
    client = page.evaluate("window.phone.client")
    touch = Touch(page)
    touch.swipe(pad_at(page, 0.1, 0.1), pad_at(page, 0.9, 0.1), steps=10)
    wait_for(lambda: settled(page), 10, "the first stroke acknowledged")

    # A stroke is under way when the server goes away, and goes on while it is down.
    start = pad_at(page, 0.1, 0.3)
    touch.send("touchStart", [start])
    for i in range(1, 8):
        touch.send("touchMove", [(start[0] + 12 * i, start[1])])
    server.stop()
    wait_for(lambda: state(page) == "reconnecting", 10, "the phone to notice")
    for i in range(8, 16):
        touch.send("touchMove", [(start[0] + 12 * i, start[1])])
    touch.send("touchEnd", [])
    # Two whole strokes while the server is down.
    touch.swipe(pad_at(page, 0.1, 0.5), pad_at(page, 0.9, 0.5), steps=10)
    touch.swipe(pad_at(page, 0.1, 0.7), pad_at(page, 0.9, 0.7), steps=10)
    assert page.evaluate("window.phone.outbox") > 0, "the outage's strokes wait"

    server.start()  # the same port, as after a restart
    wait_for(lambda: state(page) == "live", 30, "the phone to reconnect by itself")
    wait_for(lambda: settled(page), 15, "the outbox to empty")

    drawn = page.evaluate("window.phone.drawn")
    joins = page.evaluate("window.phone.joins")

    def complete():
        found = wall_segments(server, client)
        return found if sum(len(s["points"]) for s in found) >= drawn + joins else None

    segments = wait_for(complete, 15, "every stroke on the wall")
    keys = [s["key"] for s in segments]
    assert len(keys) == len(set(keys)), "no segment twice"
    points = sum(len(s["points"]) for s in segments)
    assert points == drawn + joins, "every point drawn exactly once (plus the joins)"
    assert page.evaluate("window.phone.connects") >= 2
    assert page.evaluate("window.phone.dropped") == {}
    rows = {round(p[1], 1) for s in segments for p in s["points"]}
    assert rows == {0.1, 0.3, 0.5, 0.7}, "all four strokes are on the wall"
    # The stroke cut by the restart goes on, whole: its first message on the new
    # connection carried its colour and width again (protocol v2), so the restarted
    # server took it up; nothing had to start again.
    assert page.evaluate("window.phone.headers") >= 1
    assert page.evaluate("window.phone.restarted") == joins == 0
    cut = {s["stroke"] for s in segments for p in s["points"] if round(p[1], 1) == 0.3}
    assert len(cut) == 1, "one stroke on the wall, not two"


def test_a_visitor_who_paused_is_not_told_reconnecting(start_server, browser, devices):
    """Nothing is heard from the server while nobody draws; a stroke after a pause
    longer than the stall limit must not count as a stalled link."""
    server = start_server()
    page = open_phone(browser, devices, server)
    touch = Touch(page)
    touch.swipe(pad_at(page, 0.1, 0.2), pad_at(page, 0.9, 0.2), steps=8)
    wait_for(lambda: settled(page), 10, "the first stroke acknowledged")
    page.evaluate(
        """() => { window.states = [];
                   new MutationObserver(() => window.states.push(
                       document.getElementById('status').dataset.state))
                   .observe(document.getElementById('status'), {attributes: true}); }"""
    )
    page.wait_for_timeout(7000)  # longer than the stall limit (6 s)
    touch.swipe(pad_at(page, 0.1, 0.6), pad_at(page, 0.9, 0.6), steps=8)
    wait_for(lambda: settled(page), 10, "the second stroke acknowledged")
    page.wait_for_timeout(500)
    assert page.evaluate("window.phone.connects") == 1
    assert "reconnecting" not in page.evaluate("window.states")


def test_the_phone_is_back_soon_after_the_server_answers(start_server, browser, devices):
    """After a restart the phone is live again well within 1.5 s of the server
    answering (capped, jittered backoff; measured, with a generous bound)."""
    import time

    server = start_server()
    page = open_phone(browser, devices, server)
    backs = []
    for _ in range(3):
        server.stop()
        wait_for(lambda: state(page) == "reconnecting", 10, "the phone to notice")
        page.wait_for_timeout(3000)  # the backoff reaches its ceiling
        server.start()  # returns once /healthz answers
        answered = time.monotonic()
        wait_for(lambda: state(page) == "live", 10, "the phone to be back", interval=0.01)
        backs.append(time.monotonic() - answered)
    print("phone back after the server answered (s):", [round(b, 2) for b in backs])
    assert max(backs) < 2.0, backs


def test_a_client_id_taken_by_another_device_is_replaced(start_server, browser, devices):
    """Two phones (two device cookies) that happen to make the same client id: the
    server refuses the second's hello with `client_taken`; that phone takes a new id,
    says hello again on the same socket, and draws."""
    same_id = """(() => {
        const real = crypto.getRandomValues.bind(crypto);
        let first = true;
        crypto.getRandomValues = (array) => {
            if (first && array.length === 12) { first = false; array.fill(7); return array; }
            return real(array);
        };
    })();"""
    server = start_server()
    phones = []
    for _ in range(2):
        context = browser.new_context(**devices["Pixel 7"])
        context.add_init_script(same_id)
        page = context.new_page()
        page.goto(server.http + "/")
        page.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
        phones.append(page)
    first, second = (p.evaluate("window.phone.client") for p in phones)
    assert first == "HHHHHHHHHHHH"
    assert second != first, "the second phone took a new id"
    assert phones[1].evaluate("window.phone.errors").get("client_taken") == 1
    assert phones[1].evaluate("window.phone.connects") == 1, "on the same socket"
    touch = Touch(phones[1])
    touch.swipe(pad_at(phones[1], 0.2, 0.5), pad_at(phones[1], 0.8, 0.5), steps=10)
    wait_for(lambda: settled(phones[1]), 10, "the stroke acknowledged")
    assert wall_segments(server, second), "drawn under the new id"
