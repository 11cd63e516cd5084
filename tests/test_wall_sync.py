"""The wall's merge and sequence rules (static/projector/sync.js), run in Chromium
against a scripted sheet endpoint: gaps, the stored watermark, buffering, reset."""

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

# A harness in the page: a WallSync whose sheet endpoint answers from `window.sheets`
# (a list; the last answer repeats) and which records what it was asked to draw.
HARNESS = """
window.makeSync = (sheets) => {
  const log = {fetches: [], drawn: [], clears: 0, redraws: 0, presence: null};
  let answer = 0;
  const sync = new Sync.WallSync({
    resyncDelay: 5,
    fetchSheet: async (origins) => {
      log.fetches.push(origins);
      const sheet = sheets[Math.min(answer, sheets.length - 1)];
      answer += 1;
      return JSON.parse(JSON.stringify(sheet));
    },
    onSegment: (stroke, entry) => log.drawn.push(entry.key),
    onClear: () => { log.clears += 1; },
    onRedraw: () => { log.redraws += 1; },
    onPresence: (totals) => { log.presence = totals; },
  });
  return {sync, log};
};
window.settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms || 50));
window.frame = (origin, seq, keys, sheet) => ({
  type: "frame", origin, seq, sheet: sheet || 1, time: Date.now(),
  segments: keys.map((key) => ({key, stroke: key.split(":")[0] + ":1", device: "d",
    color: "#ff3366", width: 0.006, points: [[0.5, 0.5]], start: false, end: false})),
});
window.sheetOf = (id, stored, keys) => ({
  sheet: id, stored, strokes: keys.length ? [{stroke: "a:1", device: "d", color: "#ff3366",
    width: 0.006, segments: keys.map((key) => ({key, points: [[0.1, 0.1]]}))}] : [],
});
"""


@pytest.fixture
def page(browser, static_server):  # noqa: F811 (the fixture above)
    page = module_page(browser, static_server, Sync="projector/sync.js")
    page.add_script_tag(content=HARNESS)
    yield page
    page.close()


def test_a_sequence_gap_resyncs_and_brings_the_missing_segment(page):
    result = page.evaluate(
        """async () => {
          const {sync, log} = makeSync([sheetOf(1, {}, []), sheetOf(1, {w: 3}, ["a:1", "a:2"])]);
          await sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          sync.handle(frame("w", 1, ["a:1"]));
          sync.handle(frame("w", 3, ["a:3"]));  // frame 2 (with a:2) was dropped
          const before = {...sync.stats};
          await settle(100);
          return {before, after: sync.stats, keys: sync.keys(),
                  strokes: sync.stroke("a:1").segments.map((s) => s.key), log};
        }"""
    )
    assert result["before"]["gaps"] == 1
    assert result["before"]["resyncs"] == 0
    assert result["after"]["resyncs"] == 1
    assert result["keys"] == ["a:1", "a:2", "a:3"]
    assert result["strokes"] == ["a:1", "a:2", "a:3"], "the late segment goes in its place"
    assert result["log"]["redraws"] == 1, "an out-of-order segment redraws from the model"
    assert result["log"]["fetches"][-1] == ["w"], "the sheet is asked for w's watermark"


def test_first_frame_beyond_the_stored_watermark_refetches_until_stored(page):
    result = page.evaluate(
        """async () => {
          // The first load knows nothing of origin w; storage catches up on the 3rd fetch.
          const {sync, log} = makeSync([
            sheetOf(1, {}, []), sheetOf(1, {w: 4}, ["a:1"]), sheetOf(1, {w: 6}, ["a:1", "a:2"]),
          ]);
          await sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          sync.handle(frame("w", 7, ["a:3"]));
          await settle(200);
          return {stats: sync.stats, keys: sync.keys(), fetches: log.fetches.length,
                  needed: sync.missingOrigins};
        }"""
    )
    assert result["stats"]["gaps"] == 0, "a first frame is not a gap"
    assert result["stats"]["resyncs"] == 2
    assert result["fetches"] == 3
    assert result["needed"] == 0
    assert result["keys"] == ["a:1", "a:2", "a:3"]


def test_frames_before_the_sheet_are_buffered_and_nothing_is_drawn_twice(page):
    result = page.evaluate(
        """async () => {
          const {sync, log} = makeSync([sheetOf(1, {w: 2}, ["a:1", "a:2"])]);
          const loading = sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          sync.handle(frame("w", 2, ["a:2"]));  // arrives while the sheet loads
          sync.handle(frame("w", 3, ["a:3"]));
          const drawnWhileLoading = log.drawn.length;
          await loading;
          sync.handle(frame("w", 3, ["a:3"]));  // the same frame again
          await settle();
          return {drawnWhileLoading, drawn: log.drawn, stats: sync.stats};
        }"""
    )
    assert result["drawnWhileLoading"] == 0
    assert result["drawn"] == ["a:1", "a:2", "a:3"]
    assert result["stats"]["gaps"] == 0
    assert result["stats"]["resyncs"] == 0


def test_reset_clears_and_ignores_frames_of_the_old_sheet(page):
    result = page.evaluate(
        """async () => {
          const {sync, log} = makeSync([sheetOf(1, {}, ["a:1"]), sheetOf(2, {}, [])]);
          await sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          await sync.handle({type: "reset", sheet: 2});
          sync.handle(frame("w", 1, ["a:9"], 1));  // late frame for the archived sheet
          sync.handle(frame("w", 2, ["b:1"], 2));
          return {sheet: sync.sheet, keys: sync.keys(), clears: log.clears,
                  stale: sync.stats.framesStale};
        }"""
    )
    assert result["sheet"] == 2
    assert result["keys"] == ["b:1"]
    assert result["clears"] == 1
    assert result["stale"] == 1


def test_redraw_drops_removed_strokes(page):
    result = page.evaluate(
        """async () => {
          const {sync, log} = makeSync([sheetOf(1, {}, ["a:1", "a:2"]), sheetOf(1, {}, [])]);
          await sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          await sync.handle({type: "redraw", sheet: 1, reason: "removed"});
          return {keys: sync.keys(), redraws: log.redraws, clears: log.clears};
        }"""
    )
    assert result["keys"] == []
    assert result["redraws"] == 1
    assert result["clears"] == 1


def test_resync_merges_the_sheet_and_keeps_what_the_wall_shows(page):
    result = page.evaluate(
        """async () => {
          const {sync, log} = makeSync([
            sheetOf(1, {w: 1}, ["a:1"]),
            sheetOf(1, {w: 1, v: 9}, ["a:1", "a:5"]),  // v's frames 1-9, never heard
          ]);
          await sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          sync.handle(frame("w", 2, ["a:2"]));  // live, not stored yet
          const other = await sync.handle({type: "resync", sheet: 2});  // not this sheet
          await sync.handle({type: "resync", sheet: 1});
          return {keys: sync.keys(), fetches: log.fetches.length, redraws: log.redraws,
                  clears: log.clears, other};
        }"""
    )
    assert result["other"] is None, "a resync for another sheet is ignored"
    assert result["fetches"] == 2, "the sheet fetched again"
    assert sorted(result["keys"]) == ["a:1", "a:2", "a:5"], "merged: the live a:2 kept"
    assert result["redraws"] == 0 and result["clears"] == 0


def test_presence_sums_the_latest_report_of_each_process(page):
    totals = page.evaluate(
        """() => {
          const {sync, log} = makeSync([sheetOf(1, {}, [])]);
          sync.handle({type: "presence", origin: "w1", connected: 5, drawing: 2});
          sync.handle({type: "presence", origin: "w2", connected: 3, drawing: 1});
          sync.handle({type: "presence", origin: "w1", connected: 7, drawing: 4});
          return log.presence;
        }"""
    )
    assert totals == {"connected": 10, "drawing": 5}


def test_remove_takes_a_stroke_off_from_memory_and_nothing_brings_it_back(page):
    result = page.evaluate(
        """async () => {
          // The sheet still lists the stroke (its hide is not stored yet), every time.
          const {sync, log} = makeSync([sheetOf(1, {}, ["a:1", "a:2"])]);
          await sync.connected({type: "hello", sheet: 1, server_time: Date.now()});
          const fetches = log.fetches.length;
          sync.handle({type: "remove", sheet: 1, strokes: ["a:1"]});
          const after = {strokes: sync.strokes().map((s) => s.stroke), redraws: log.redraws,
                         fetched: log.fetches.length - fetches};
          sync.handle(frame("w", 1, ["a:3"], 1));  // a late segment of it
          sync.handle({type: "remove", sheet: 7, strokes: ["b:1"]});  // another sheet's
          sync.handle(frame("w", 2, ["b:5"], 1));
          await sync.load();  // a resync merging a sheet that still has it
          const merged = sync.strokes().map((s) => s.stroke);
          await sync.load({replace: true});  // a reload: the sheet is the whole truth
          return {after, merged, strokes: sync.strokes().map((s) => s.stroke)};
        }"""
    )
    assert result["after"] == {"strokes": [], "redraws": 1, "fetched": 0}, "no sheet reload"
    assert result["merged"] == ["b:1"], "the removed stroke never comes back; others stay"
    assert result["strokes"] == [], "not even from a whole sheet that still lists it"
