"""The wall's modules (static/projector/, static/pen.js), imported as ES modules in
Chromium: the replay timeline, the letterbox, the fade, the live pens' fading, the
status panel's trouble rule, the banner, the sync state's methods-only surface, the
pen's curves, and the connection's states with a stand-in socket."""

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

MODULES = {
    "Timeline": "projector/timeline.js",
    "Layout": "projector/layout.js",
    "Fade": "projector/fade.js",
    "Pens": "projector/live_pens.js",
    "Status": "projector/status.js",
    "Banner": "projector/banner.js",
    "Words": "projector/words.js",
    "Sync": "projector/sync.js",
    "Conn": "projector/connection.js",
    "Pen": "pen.js",
}

# A stored sheet's strokes as /projector/replay/<id>/ gives them: `t` in server ms.
STROKES = """[
  {stroke: "a:1", color: "#f00", width: 0.01, segments: [
    {key: "a:1", points: [[0.1, 0.1]], t: 1000},
    {key: "a:2", points: [[0.2, 0.2]], t: 1100},
    {key: "a:3", points: [[0.3, 0.3]], t: 61100}]},
  {stroke: "b:1", color: "#00f", width: 0.01, segments: [
    {key: "b:1", points: [[0.5, 0.5]], t: 1050}]},
]"""


@pytest.fixture
def page(browser, static_server):  # noqa: F811 (the fixture above)
    page = module_page(browser, static_server, **MODULES)
    yield page
    page.close()


def test_the_timeline_plays_segments_in_drawing_order_at_speed(page):
    result = page.evaluate(
        f"""() => {{
        const options = {{speed: 10, loop: false, startedAt: 5000}};
        const t = new Timeline.ReplayTimeline({STROKES}, options);
        const keys = (due) => due.segments.map((s) => s.segment.key);
        return {{
            items: t.items.map((i) => [i.segment.key, i.stroke.stroke, i.at]),
            atStart: keys(t.due(5000)),
            early: keys(t.due(5004)),
            next: keys(t.due(5010)),
            again: keys(t.due(5010)),
            rest: keys(t.due(1e9)),
            finished: t.finished,
        }};
    }}"""
    )
    # 50 ms and 100 ms of drawing at ×10; the minute's pause cut to 2 s on screen.
    assert result["items"] == [
        ["a:1", "a:1", 0],
        ["b:1", "b:1", 5],
        ["a:2", "a:1", 10],
        ["a:3", "a:1", 2010],
    ]
    assert result["atStart"] == ["a:1"]
    assert result["early"] == [], "b:1 is due 5 ms in, not 4"
    assert result["next"] == ["b:1", "a:2"]
    assert result["again"] == [], "each segment is due once"
    assert result["rest"] == ["a:3"]
    assert result["finished"] is True


def test_the_timeline_loops_after_a_pause_and_stops_without_loop(page):
    result = page.evaluate(
        f"""() => {{
        const looping = new Timeline.ReplayTimeline({STROKES}, {{speed: 10, startedAt: 0}});
        const options = {{speed: 10, loop: false, startedAt: 0}};
        const once = new Timeline.ReplayTimeline({STROKES}, options);
        const all = looping.due(2010);
        const waiting = looping.due(2010 + Timeline.LOOP_PAUSE_MS);
        const over = looping.due(2011 + Timeline.LOOP_PAUSE_MS);
        once.due(2010);
        const never = once.due(1e9);
        return {{all: all.segments.length, allRestart: all.restart,
                 waiting: [waiting.segments.length, waiting.restart],
                 over: [over.segments.map((s) => s.segment.key), over.restart],
                 never: [never.segments.length, never.restart], duration: looping.duration}};
    }}"""
    )
    assert result["duration"] == 2010
    assert result["all"] == 4 and result["allRestart"] is False
    assert result["waiting"] == [0, False], "the finished picture stays for the pause"
    assert result["over"] == [["a:1"], True], "then it starts over, from the first segment"
    assert result["never"] == [0, False]


def test_untimed_segments_of_old_sheets_come_one_a_frame(page):
    result = page.evaluate(
        """() => Timeline.schedule([{stroke: "a:1", segments: [
            {key: "a:1", points: []}, {key: "a:2", points: []}, {key: "a:3", points: []}]}], 1)
            .map((i) => i.at)"""
    )
    assert result == [0, 33, 66]


def test_the_letterbox_keeps_the_aspect_and_clear_of_the_join_card(page):
    result = page.evaluate(
        """() => ({
            replay: Layout.letterbox(1280, 720, 16 / 9, null),
            wide: Layout.letterbox(1920, 1080, 16 / 9, {w: 300, h: 360}),
            tall: Layout.letterbox(800, 1280, 16 / 9, {w: 300, h: 360}),
            fit: Layout.fitIn(1000, 100, 2),
        })"""
    )
    assert result["replay"] == {"box": {"x": 0, "y": 0, "w": 1280, "h": 720}, "card": None}
    wide = result["wide"]
    assert abs(wide["box"]["w"] / wide["box"]["h"] - 16 / 9) < 0.01
    assert wide["box"]["x"] + wide["box"]["w"] <= 1920 - 300 - 16, "the card is beside it"
    assert wide["card"]["right"] == 16
    tall = result["tall"]
    assert tall["box"]["y"] + tall["box"]["h"] <= 1280 - 360 - 16, "the card is below it"
    assert tall["card"]["bottom"] == 16
    assert result["fit"] == {"w": 200, "h": 100}


def test_ink_fades_to_the_floor_over_fade_seconds(page):
    result = page.evaluate(
        """() => ({
            none: Fade.inkAlpha(60000, 0),
            fresh: Fade.inkAlpha(0, 10),
            future: Fade.inkAlpha(-500, 10),
            done: Fade.inkAlpha(10000, 10),
            step: Fade.fadeStepMs(10),
            quick: Fade.fadeStepMs(1),
            // a hundred steps over fade_seconds leave FADE_FLOOR of the ink
            left: Math.pow(1 - Fade.fadeStepAlpha(Fade.fadeStepMs(10), 10), 100),
        })"""
    )
    assert result["none"] == 1
    assert result["fresh"] == 1 and result["future"] == 1
    assert abs(result["done"] - 0.02) < 1e-9
    assert result["step"] == 100 and result["quick"] == 100
    assert abs(result["left"] - 0.02) < 1e-9


def test_a_live_pen_fades_after_it_lifts_or_goes_quiet(page):
    result = page.evaluate(
        """() => {
        const pens = new Pens.LivePens();
        pens.note({segments: [
            {stroke: "a:1", color: "#f00", points: [[0.1, 0.2], [0.3, 0.4]]},
            {stroke: "b:1", color: "#00f", points: [[0.5, 0.5]], end: true},
            {stroke: "c:1", points: []},
        ]}, 1000);
        pens.note({segments: [{stroke: "a:1", points: []}]}, 1100);  // no point: stays put
        const [a, b] = pens.list();
        const alpha = (pen, now) => Pens.LivePens.alpha(pen, now);
        return {size: pens.size, a, drawing: alpha(a, 1100 + Pens.PEN_IDLE_MS),
                quiet: alpha(a, 1100 + Pens.PEN_IDLE_MS + Pens.PEN_FADE_MS / 2),
                lifted: alpha(b, 1000 + Pens.PEN_FADE_MS)};
    }"""
    )
    assert result["size"] == 2, "a stroke with no point yet has no pen"
    assert result["a"] == {"x": 0.3, "y": 0.4, "color": "#f00", "at": 1100, "ended": False}
    assert result["drawing"] == 1
    assert result["quiet"] == 0.5
    assert result["lifted"] == 0


def test_the_status_shows_itself_only_for_lasting_trouble(page):
    result = page.evaluate(
        """() => {
        const T = Status.inTrouble, after = Status.TROUBLE_AFTER_MS;
        return [
            T({state: "waiting", since: 0}, false, null, after - 1),
            T({state: "waiting", since: 0}, false, null, after + 1),
            T({state: "live", since: 0}, false, 100, 1e9),
            T({state: "live", since: 0}, false, Status.LATE_MS + 1, 0),
            T({state: "replay", since: 0}, true, null, 1e9),
            T({state: "error", since: 0}, true, null, 0),
        ];
    }"""
    )
    assert result == [False, True, False, True, False, True]


def test_the_banner_says_closed_before_paused(page):
    result = page.evaluate(
        """() => {
        const say = Words.words({paused: "En pause", closed: "Fermé"});
        return [
            Banner.bannerFor({}, false, say),
            Banner.bannerFor({paused: true}, false, say),
            Banner.bannerFor({}, true, say),
            Banner.bannerFor({closed: true, paused: true}, true, say),
            Banner.bannerFor({closed: true, closed_message: "Back at 10"}, false, say),
            Words.words({})("phones_n", 3),
        ];
    }"""
    )
    assert result == [
        {"text": "", "kind": ""},
        {"text": "En pause", "kind": "paused"},
        {"text": "En pause", "kind": "paused"},
        {"text": "Fermé", "kind": "closed"},
        {"text": "Back at 10", "kind": "closed"},
        "3 phones",
    ]


def test_the_sync_state_is_reached_only_through_its_methods(page):
    result = page.evaluate(
        """() => {
        let clears = 0;
        const sync = new Sync.WallSync({fetchSheet: async () => ({}), onClear: () => clears++});
        const stroke = {stroke: "a:1", device: "d", color: "#f00", width: 0.01};
        sync.addSegment(stroke, {key: "a:1", points: [[0.1, 0.1]]}, 1);
        sync.addSegment(stroke, {key: "a:2", points: [[0.2, 0.2]]}, 2);
        const before = {keys: sync.keys(), has: sync.has("a:2"), strokes: sync.strokeCount,
                        segments: sync.stroke("a:1").segments.length};
        const stats = sync.stats;
        stats.segments = 99;  // a copy: the reader cannot change the counters
        sync.clear();  // a replay starting over
        return {before, clears, after: [sync.keys(), sync.strokeCount, sync.stroke("a:1")],
                segments: sync.stats.segments,
                fields: ["known", "strokes", "needed", "buffer"].filter(
                    (name) => sync[name] !== undefined && typeof sync[name] !== "function")};
    }"""
    )
    assert result["before"] == {"keys": ["a:1", "a:2"], "has": True, "strokes": 1, "segments": 2}
    assert result["clears"] == 1
    assert result["after"] == [[], 0, None]
    assert result["segments"] == 2
    assert result["fields"] == [], "no map of the model is reachable from outside"


def test_the_pen_draws_a_dot_then_curves_through_the_midpoints(page):
    calls = page.evaluate(
        """() => {
        const calls = [];
        const ctx = new Proxy({}, {
            get: (target, name) => name in target ? target[name]
                : (...args) => calls.push([name, ...args.map((a) => Math.round(a))]),
            set: (target, name, value) => { target[name] = value; return true; },
        });
        const pen = new Pen.WallPen();
        const stroke = {stroke: "a:1", color: "#f00", width: 0.01};
        pen.segment(ctx, stroke, {points: [[0.1, 0.1], [0.2, 0.3]]}, 1000, 1000);
        pen.segment(ctx, stroke, {points: [[0.4, 0.3]], end: true}, 1000, 1000);
        pen.segment(ctx, stroke, {points: [[0.5, 0.5]]}, 1000, 1000);  // a new stroke
        return calls;
    }"""
    )
    assert calls == [
        ["beginPath"],
        ["arc", 100, 100, 5, 0, 6],  # the first point: a dot (10 px wide)
        ["fill"],
        ["beginPath"],
        ["moveTo", 100, 100],
        ["quadraticCurveTo", 100, 100, 150, 200],  # to the midpoint, the point as control
        ["stroke"],
        ["beginPath"],
        ["moveTo", 150, 200],
        ["quadraticCurveTo", 200, 300, 300, 300],
        ["lineTo", 400, 300],  # the end: finished to the last point
        ["stroke"],
        ["beginPath"],
        ["arc", 500, 500, 5, 0, 6],  # the ended stroke was forgotten: a fresh dot
        ["fill"],
    ]


CONNECTION_HARNESS = """
window.FakeSocket = class {
  constructor(url) { this.url = url; this.readyState = 0; this.closed = null; sockets.push(this); }
  close(code, reason) { this.closed = [code ?? null, reason ?? null]; }
  say(message) {
    this.onmessage({data: typeof message === "string" ? message : JSON.stringify(message)});
  }
};
window.sockets = [];
window.emptySheet = async () => ({sheet: 1, stored: {}, strokes: []});
window.settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms || 50));
"""


def test_the_connection_goes_live_once_the_sheet_loaded_and_comes_back(page):
    page.add_script_tag(content=CONNECTION_HARNESS)
    result = page.evaluate(
        """async () => {
        const sync = new Sync.WallSync({fetchSheet: emptySheet});
        let lives = 0;
        const seen = [];
        const link = new Conn.WallConnection({
            url: "ws://wall.test/ws/wall/", sync, open: (url) => new FakeSocket(url),
            onLive: () => lives++, onMessage: (m) => seen.push(m.type),
        });
        const states = [link.state];
        link.connect();
        states.push(link.state);
        const first = sockets[0];
        first.onopen();
        first.say({type: "hello", sheet: 1, server_time: Date.now(), heartbeat: 5});
        states.push(link.state);
        await settle();
        states.push(link.state);
        first.say("not json");
        first.say({type: "heartbeat", time: Date.now()});
        first.onclose({code: 1012});  // the server restarts
        states.push(link.state);
        const reconnects = link.reconnects;
        await settle();  // the first retry goes at once
        const second = sockets[1];
        first.say({type: "frame", origin: "w", seq: 1, sheet: 1, segments: []});  // stale
        states.push(link.state);
        return {states, lives, seen, reconnects, sockets: sockets.length, url: second.url,
                loaded: sync.loaded};
    }"""
    )
    assert result["states"] == [
        "starting",
        "connecting",
        "loading",
        "live",
        "waiting",
        "connecting",
    ]
    assert result["lives"] == 1
    assert result["seen"] == ["heartbeat"], "hello is the link's; the old socket is not heard"
    assert result["reconnects"] == 1
    assert result["sockets"] == 2 and result["url"] == "ws://wall.test/ws/wall/"
    assert result["loaded"] is False, "frames wait for the next sheet"


def test_a_silent_link_is_dropped_and_a_blocked_wall_stays_away(page):
    page.add_script_tag(content=CONNECTION_HARNESS)
    result = page.evaluate(
        """async () => {
        const sync = new Sync.WallSync({fetchSheet: emptySheet});
        const link = new Conn.WallConnection({
            url: "ws://wall.test/ws/wall/", sync, open: (url) => new FakeSocket(url),
        });
        link.connect();
        sockets[0].say({type: "hello", sheet: 1, server_time: Date.now(), heartbeat: 5});
        await settle();
        link.watchdog(Date.now() + 1000);  // quiet for a second: fine
        const kept = sockets[0].closed;
        link.watchdog(Date.now() + 15001);  // nothing for 3 heartbeats (at least 15 s)
        const dropped = [sockets[0].closed, link.state];
        await settle();
        sockets[1].onclose({code: Conn.BLOCKED});
        const blocked = link.state;
        await settle(400);
        return {kept, dropped, blocked, sockets: sockets.length, reconnects: link.reconnects};
    }"""
    )
    assert result["kept"] is None
    assert result["dropped"] == [[4000, "watchdog"], "waiting"]
    assert result["blocked"] == "blocked"
    assert result["sockets"] == 2, "a blocked wall does not try again"
    assert result["reconnects"] == 1
