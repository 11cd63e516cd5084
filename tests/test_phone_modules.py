"""The phone's bookkeeping (static/controller/outbox.js, ink.js and wallview.js),
imported as ES modules in Chromium: seqs, cumulative acks, resends, restarted strokes,
an ink mirror that never promises more than the server's bucket holds, and a faint view
of the wall where a stroke taken back stays gone."""

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, static_server):  # noqa: F811 (the fixture above)
    page = module_page(
        browser,
        static_server,
        PhoneInk="controller/ink.js",
        PhoneOutbox="controller/outbox.js",
        View="controller/wallview.js",
    )
    yield page
    page.close()


def test_seqs_are_given_on_sending_and_resent_unchanged_after_a_reconnect(page):
    result = page.evaluate(
        """() => {
        const box = new PhoneOutbox.Outbox();
        const s = box.newStroke('#ff0000', 0.006);
        box.add(s, [[0.1, 0.1]], false, 63);
        const first = box.take();
        box.add(s, [[0.2, 0.2]], false, 63);
        box.add(s, [[0.3, 0.3]], false, 63);  // joins the held batch
        const second = box.take();
        box.add(s, [[0.4, 0.4]], true, 63);
        const third = box.take();
        box.ack(1);
        const afterAck = box.size();
        box.disconnected();                     // 2 and 3 were in flight
        box.welcome(2);                         // the new server had 2 already
        const resent = [box.take(), box.take(), box.take()];
        return {first, second, third, afterAck, resent, acked: box.acked, size: box.size()};
    }"""
    )
    assert result["first"] == {
        "type": "start",
        "seq": 1,
        "stroke": 1,
        "points": [[0.1, 0.1]],
        "color": "#ff0000",
        "width": 0.006,
    }
    assert result["second"] == {
        "type": "points",
        "seq": 2,
        "stroke": 1,
        "points": [[0.2, 0.2], [0.3, 0.3]],
    }
    assert result["third"]["type"] == "end" and result["third"]["seq"] == 3
    assert result["afterAck"] == 2
    assert result["resent"][0] == {
        **result["third"],
        "color": "#ff0000",
        "width": 0.006,
    }, "only what the server lacks, same seq, with the open stroke's header"
    assert result["resent"][1:] == [None, None]
    assert result["acked"] == 2 and result["size"] == 1


def test_a_forgotten_stroke_starts_again_from_its_last_point(page):
    result = page.evaluate(
        """() => {
        const box = new PhoneOutbox.Outbox();
        const s = box.newStroke('#00ff00', 0.012);
        box.add(s, [[0.1, 0.5], [0.2, 0.5]], false, 63);
        box.take();
        box.ack(1);                               // the start reached a server...
        box.add(s, [[0.3, 0.5]], false, 63); box.take();
        box.add(s, [[0.4, 0.5]], false, 63); box.take();
        box.add(s, [[0.5, 0.5]], true, 63); box.take();
        box.disconnected();
        box.welcome(0);                            // ...that restarted and forgot it
        const wire = [box.take(), box.take(), box.take()].map(w => [w.type, w.seq, w.stroke]);
        box.error('unknown_stroke', 2);
        box.error('unknown_stroke', 3);
        box.error('unknown_stroke', 4);
        const again = [];
        let w;
        while ((w = box.take())) again.push(w);
        return {wire, again, stats: box.stats, size: box.size()};
    }"""
    )
    assert result["wire"] == [["points", 2, 1], ["points", 3, 1], ["end", 4, 1]]
    start, more, end = result["again"]
    assert start["type"] == "start" and start["seq"] == 5 and start["stroke"] == 2
    assert start["points"] == [[0.2, 0.5], [0.3, 0.5]], "joined at the last point"
    assert start["color"] == "#00ff00" and start["width"] == 0.012
    assert more == {"type": "points", "seq": 6, "stroke": 2, "points": [[0.4, 0.5]]}
    assert end["type"] == "end" and end["seq"] == 7 and end["stroke"] == 2
    assert result["stats"]["restarted"] == 1 and result["stats"]["joins"] == 1


def test_open_strokes_resend_their_header_once_per_connection(page):
    result = page.evaluate(
        """() => {
        const box = new PhoneOutbox.Outbox();
        const done = box.newStroke('#112233', 0.003);
        box.add(done, [[0.1, 0.1]], true, 63);
        box.take(0); box.take(0);
        const open = box.newStroke('#445566', 0.012);
        box.add(open, [[0.2, 0.2]], false, 63);
        box.take(0);
        box.ack(3);                        // the first stroke is over and stored
        box.disconnected();
        box.welcome(3);
        box.add(open, [[0.3, 0.3]], false, 63);
        const first = box.take(0);
        box.add(open, [[0.4, 0.4]], false, 63);
        const second = box.take(0);
        box.disconnected();                // again, with 4 and 5 in flight
        box.welcome(4);
        const resent = box.take(0);
        box.add(open, [[0.5, 0.5]], true, 63);
        const end = box.take(0);
        box.ack(6);
        box.disconnected();                // nothing open now: no header to send
        return {first, second, resent, end, open: box.open.length, headers: box.stats.headers};
    }"""
    )
    assert result["first"] == {
        "type": "points",
        "seq": 4,
        "stroke": 2,
        "points": [[0.3, 0.3]],
        "color": "#445566",
        "width": 0.012,
    }
    assert "color" not in result["second"], "once per connection"
    assert result["resent"]["seq"] == 5 and result["resent"]["color"] == "#445566"
    assert "color" not in result["end"]
    assert result["open"] == 0 and result["headers"] == 2


def test_a_seq_gap_resends_from_the_expected_seq_and_repeated_acks_are_harmless(page):
    result = page.evaluate(
        """() => {
        const box = new PhoneOutbox.Outbox();
        const s = box.newStroke('#ff0000', 0.006);
        for (let i = 1; i <= 5; i++) { box.add(s, [[i / 10, 0.5]], false, 63); box.take(i); }
        box.ack(2);
        box.ack(2);                        // the server repeats its last ack
        box.ack(0);                        // or says nothing is stored yet
        const oldest = box.oldestSent();
        box.seqGap(4);                     // 3 arrived; 4 and 5 did not
        box.seqGap(4);                     // the stale error for 5 moves nothing twice
        const again = [box.take(10), box.take(10), box.take(10)];
        box.ack(5);
        return {oldest, again: again.map(w => w && w.seq), acked: box.acked,
                size: box.size(), gaps: box.stats.errors.seq_gap};
    }"""
    )
    assert result["oldest"] == 3, "the stall is measured from the oldest unacknowledged"
    assert result["again"] == [4, 5, None]
    assert result["acked"] == 5 and result["size"] == 0 and result["gaps"] == 2


SIMULATION = """([seed, rate, burst, upMax, downMax]) => {
    let x = seed;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    const ink = new PhoneInk.Ink(rate, burst, burst, 0);
    const server = {level: burst, t: 0};
    const spend = (n, t) => {
        server.level = Math.min(burst, server.level + (t - server.t) / 1000 * rate);
        server.t = t;
        if (n > server.level + 1e-9) return false;
        server.level -= n;
        return true;
    };
    const flight = [];  // {seq, n, arrive, ackAt}
    let seq = 0, lastArrive = 0, lastAck = 0, sent = 0, refused = 0, idle = 0;
    for (let t = 0; t < 20000; t++) {
        for (const m of flight) if (m.arrive === t && !m.handled) {
            m.handled = true;
            if (!spend(m.n, t)) refused++;
            m.level = server.level;
        }
        while (flight.length && flight[0].ackAt === t) {
            const m = flight.shift();
            const inFlight = flight.reduce((a, f) => a + f.n, 0);
            ink.anchor(m.level, inFlight, t);
        }
        const drawing = Math.floor(t / 3000) % 2 === 0;  // bursts of drawing, then rest
        if (t % 33 === 0 && drawing) {
            const n = 1 + Math.floor(rnd() * 60);
            if (ink.canSend(n, t)) {
                ink.sent(n);
                const arrive = Math.max(lastArrive, t + 1 + Math.floor(rnd() * upMax));
                const ackAt = Math.max(lastAck, arrive + 1 + Math.floor(rnd() * downMax));
                lastArrive = arrive; lastAck = ackAt;
                flight.push({seq: ++seq, n, arrive, ackAt});
                sent += n;
            } else idle++;
        }
    }
    return {sent, refused, idle};
}"""


CASES = [(1, 240, 480, 5, 5), (2, 240, 480, 400, 20), (3, 60, 100, 30, 900), (4, 8, 40, 250, 250)]


def test_the_ink_mirror_never_lets_the_server_refuse(page):
    for seed, rate, burst, up, down in CASES:
        result = page.evaluate(SIMULATION, [seed, rate, burst, up, down])
        assert result["refused"] == 0, (seed, result)
        assert result["idle"] > 0, "the phone did hold back"
        assert result["sent"] > rate * 8, "and still used most of its ink"


def test_the_message_rate_stays_under_the_cap(page):
    allowed = page.evaluate(
        """() => {
        const r = new PhoneInk.Rate(60);
        let n = 0;
        for (let t = 0; t < 1000; t += 5) if (r.allow(t)) { r.note(t); n++; }
        return n;
    }"""
    )
    assert allowed == 45


def test_an_undo_follows_its_stroke_keeps_its_seq_across_a_reconnect_and_says_if_refused(page):
    result = page.evaluate(
        """() => {
        const box = new PhoneOutbox.Outbox();
        const s = box.newStroke('#ff0000', 0.006);
        box.add(s, [[0.1, 0.1]], false, 63);
        box.add(s, [[0.2, 0.2]], true, 63);
        box.undo(s);
        const sent = [box.take(), box.take(), box.take()];
        box.disconnected();                     // nothing acknowledged: all go again
        box.welcome(1);
        const resent = [box.take(), box.take()];
        const refused = box.error('too_late', 3);
        return {sent, resent, refused: refused.kind, left: box.size()};
        }"""
    )
    start, end, undo = result["sent"]
    assert (start["type"], end["type"]) == ("start", "end")
    assert undo == {"type": "undo", "seq": 3, "stroke": start["stroke"]}, "no points, no header"
    assert result["resent"][1] == undo, "the same seq after a reconnect"
    assert result["refused"] == "undo", "the page learns which undo was refused"
    assert result["left"] == 0


def test_a_stroke_taken_back_is_not_brought_back_by_a_late_view(page):
    result = page.evaluate(
        """() => {
        const piece = (key) => ({stroke: key, color: '#ff0000', width: 0.01,
                                 points: [[0.1, 0.1], [0.5, 0.5]]});
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 100;
        const view = new View.WallView(canvas, '/projector/view/');
        const keys = () => view.strokes.map((s) => s.stroke);
        view.clear(1);
        view.add({type: 'view', sheet: 1, strokes: [piece('a:1'), piece('b:1')]});
        view.remove({type: 'remove', sheet: 1, strokes: ['a:1']});
        const removed = keys();
        // Sent before the undo reached its process, or by another process.
        view.add({type: 'view', sheet: 1, strokes: [piece('a:1'), piece('b:2')]});
        const late = keys();
        view.remove({type: 'remove', sheet: 9, strokes: ['b:1']});  // another sheet's
        const otherSheet = keys();
        view.clear(2);  // a reset: a new sheet, nothing of the old one's undos applies
        view.add({type: 'view', sheet: 2, strokes: [piece('a:1')]});
        return {removed, late, otherSheet, fresh: keys()};
    }"""
    )
    assert result["removed"] == ["b:1"]
    assert result["late"] == ["b:1", "b:2"], "the late view brought the taken-back stroke back"
    assert result["otherSheet"] == ["b:1", "b:2"]
    assert result["fresh"] == ["a:1"]
