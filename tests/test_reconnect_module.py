"""static/reconnect.js, shared by the phone and the wall, run in Chromium through
page.evaluate: the first retry goes at once, then capped full-jitter backoff; a
waiting client is back within 1.5 s (p95) of the server answering; a stall is
measured from the oldest unanswered message, so a visitor's pause is not a stall."""

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, static_server):  # noqa: F811 (the fixture above)
    page = module_page(browser, static_server, Reconnect="reconnect.js")
    yield page
    page.close()


def test_the_first_retry_goes_at_once_then_the_ceiling_doubles_to_one_second(page):
    result = page.evaluate(
        """() => {
        const b = new Reconnect.Backoff({random: () => 1});
        const delays = [];
        for (let i = 0; i < 6; i++) delays.push(b.next());
        b.reset();
        return {delays, again: b.next()};
    }"""
    )
    assert result["delays"] == [0, 250, 500, 1000, 1000, 1000]
    assert result["again"] == 0, "a working connection resets the backoff"


def test_a_crowd_is_back_within_one_and_a_half_seconds_of_the_server_answering(page):
    """300 clients lose the server for 2 to 30 s; each retries by the backoff (a
    refused attempt costs 20 ms, the handshake and welcome 150 ms). p95 of the time
    from the server answering again to being connected stays under 1.5 s."""
    result = page.evaluate(
        """() => {
        let x = 7;
        const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
        const back = [];
        for (let c = 0; c < 300; c++) {
            const outage = 2000 + rnd() * 28000;
            const b = new Reconnect.Backoff({random: rnd});
            let t = rnd() * 100;  // when this client noticed the loss
            for (;;) {
                t += b.next();
                if (t >= outage) { back.push(t + 150 - outage); break; }
                t += 20;  // connection refused
            }
        }
        back.sort((a, b) => a - b);
        return {p95: back[Math.floor(back.length * 0.95)], max: back[back.length - 1]};
    }"""
    )
    assert result["p95"] < 1500, result
    assert result["max"] < 1200 + 150, result


def test_the_reconnector_retries_at_once_and_on_wake(page):
    result = page.evaluate(
        """() => {
        const timers = [];
        let connects = 0;
        const r = new Reconnect.Reconnector(() => connects++, {
            random: () => 1,
            setTimeout: (fn, ms) => { timers.push({fn, ms}); return timers.length; },
            clearTimeout: (id) => { timers[id - 1].cleared = true; },
        });
        r.lost();
        const first = timers[0].ms;
        timers[0].fn();                    // the at-once retry fails too
        r.lost();
        r.lost();                          // a second close while waiting: one timer
        const waiting = r.waiting(), count = timers.length, second = timers[1].ms;
        const woke = r.now();              // visibilitychange / online
        r.ok();
        r.lost();
        const afterOk = timers[timers.length - 1].ms;
        r.stop();
        r.lost();
        return {first, waiting, count, second, woke, connects, afterOk,
                cleared: timers[1].cleared, after: timers.length};
    }"""
    )
    assert result["first"] == 0
    assert result["waiting"] and result["count"] == 2 and result["second"] == 250
    assert result["woke"] and result["cleared"] and result["connects"] == 2
    assert result["afterOk"] == 0
    assert result["after"] == 3, "a stopped reconnector (blocked) does not retry"


def test_a_pause_is_not_a_stall(page):
    result = page.evaluate(
        """() => {
        const s = Reconnect.stalled;
        return {
            nothingWaits: s(null, 0, 60000, 6000),
            // Heard last 60 s ago (the visitor paused); a message left just now.
            afterPause: s(59900, 0, 60000, 6000),
            // The message has waited 7 s and nothing was heard since: dead link.
            dead: s(53000, 0, 60000, 6000),
            // The server repeats its ack every 2 s while storage is slow: alive.
            repeated: s(50000, 58500, 60000, 6000),
        };
    }"""
    )
    assert result == {"nothingWaits": False, "afterPause": False, "dead": True, "repeated": False}
