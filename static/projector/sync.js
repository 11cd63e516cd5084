// The wall's picture as data: merges the stored sheet and live frames by segment key,
// tracks frame sequences per origin and resyncs from the sheet on a gap
// (docs/protocol.md, "Server → wall" and "Loading the sheet"). No DOM, no network:
// the page injects fetchSheet and the drawing callbacks, so tests can drive it directly.
//
// An ES module. Its state is private (# fields): pages and tests talk to it through
// the methods and read-only getters below, never through its maps.
//   feed it:   connected(hello), disconnected(), handle(message), clockSample(time),
//              handshake(ms), addSegment(info, segment, time), prune(before), clear()
//   read it:   has(key), keys(), keyCount, stroke(key), strokes(), strokeCount,
//              sheet, loaded, oneWay, stats, missingOrigins, serverNow(), presenceTotals()

const RESYNC_DELAY_MS = 300; // storage flushes several times a second
const RESYNC_ATTEMPTS = 20;
const PRESENCE_STALE_MS = 30000; // a process that stopped reporting is gone

export function seqOf(key) {
  const i = key.lastIndexOf(":");
  return i < 0 ? 0 : Number(key.slice(i + 1)) || 0;
}

export class WallSync {
  #o;
  #stats;
  #presence;
  #sheet;
  #clock;
  #oneWay;
  #last;
  #loaded;
  #buffer;
  #generation;
  #strokes;
  #known;
  #stored;
  #needed;
  #removed = new Set(); // stroke keys taken back on this sheet: never drawn again
  #resyncTimer = null;
  #resyncAttempt = 0;

  // options: fetchSheet(origins) -> Promise<sheet json>; onSegment(stroke, segment);
  // onClear(); onRedraw(); onExhibit(exhibit); onPresence(totals); onStroke(); now(); setTimer
  constructor(options) {
    this.#o = Object.assign(
      {
        onSegment() {},
        onClear() {},
        onRedraw() {},
        onExhibit() {},
        onPresence() {},
        onStroke() {},
        onError() {},
        now: () => Date.now(),
        setTimer: (fn, ms) => setTimeout(fn, ms),
        clearTimer: (id) => clearTimeout(id),
        resyncDelay: RESYNC_DELAY_MS,
        resyncAttempts: RESYNC_ATTEMPTS,
      },
      options,
    );
    this.#stats = {
      framesApplied: 0,
      framesStale: 0,
      segments: 0,
      points: 0,
      duplicates: 0,
      gaps: 0,
      resyncs: 0,
      loads: 0,
      outOfOrder: 0,
    };
    this.#presence = new Map(); // origin -> {connected, drawing, at}
    this.#sheet = null;
    this.#clock = 0; // server_time - local time, from hello
    this.#oneWay = 0; // ms: an estimate of the server-to-wall delay (handshake())
    this.#last = new Map(); // origin -> last frame seq seen
    this.#clearModel();
    this.#loaded = false;
    this.#buffer = [];
    this.#generation = 0;
  }

  #clearModel() {
    this.#strokes = new Map(); // stroke key -> {stroke, color, width, device, segments[], lastSeq}
    this.#known = new Set(); // segment keys
    this.#stored = {};
    this.#needed = new Map(); // origin -> seq the sheet must cover
    this.#cancelResync();
  }

  #cancelResync() {
    if (this.#resyncTimer) this.#o.clearTimer(this.#resyncTimer);
    this.#resyncTimer = null;
    this.#resyncAttempt = 0;
  }

  // -- reading it -------------------------------------------------------------

  get sheet() {
    return this.#sheet;
  }

  get loaded() {
    return this.#loaded;
  }

  get oneWay() {
    return this.#oneWay;
  }

  // A copy: the counters are the model's, not the reader's.
  get stats() {
    return { ...this.#stats };
  }

  has(key) {
    return this.#known.has(key);
  }

  keys() {
    return Array.from(this.#known).sort();
  }

  get keyCount() {
    return this.#known.size;
  }

  // One stroke's record ({stroke, device, color, width, segments[], lastSeq}), or null.
  // The records are read by the pen and the console; only this class changes them.
  stroke(key) {
    return this.#strokes.get(key) || null;
  }

  strokes() {
    return Array.from(this.#strokes.values());
  }

  get strokeCount() {
    return this.#strokes.size;
  }

  // How many origins have segments the sheet does not cover yet (a resync is due).
  get missingOrigins() {
    return this.#needed.size;
  }

  // -- connection lifecycle ---------------------------------------------------

  // The WebSocket handshake took `ms` (about two round trips: TCP, then the upgrade);
  // a quarter of it is the one-way delay estimate used for the clock offset.
  handshake(ms) {
    this.#oneWay = Math.max(0, ms / 4);
  }

  // A (re)connect: frames are buffered until the sheet is loaded.
  connected(hello) {
    this.#generation += 1;
    this.#loaded = false;
    this.#buffer = [];
    this.#last = new Map(); // a new subscription: the stored rule decides for first frames
    this.#needed = new Map();
    this.#cancelResync();
    if (hello && typeof hello.server_time === "number") {
      this.#clock = hello.server_time - this.#o.now() + this.#oneWay;
    }
    if (hello && hello.exhibit) this.#o.onExhibit(hello.exhibit);
    const fresh = hello && this.#sheet !== null && hello.sheet !== this.#sheet;
    return this.load({ replace: true, clear: fresh });
  }

  disconnected() {
    this.#generation += 1;
    this.#loaded = false;
    this.#buffer = [];
    this.#cancelResync();
  }

  // Fetch the sheet and draw it, then apply buffered frames (the r/place order).
  // replace: the sheet is the whole truth (a reconnect or redraw); anything we show
  // that it lacks (removed strokes) forces a redraw from the model.
  async load({ replace = false, clear = false } = {}) {
    const generation = ++this.#generation;
    this.#loaded = false;
    if (clear) this.#reset(null);
    let sheet;
    try {
      sheet = await this.#o.fetchSheet(this.#origins());
    } catch (error) {
      if (generation === this.#generation) this.#o.onError(error);
      throw error;
    }
    if (generation !== this.#generation) return false; // superseded by a newer load
    this.#stats.loads += 1;
    if (replace && this.#differs(sheet)) {
      this.#reset(sheet.sheet);
      this.#o.onRedraw();
    }
    this.#mergeSheet(sheet);
    this.#loaded = true;
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const frame of buffered) this.#applyFrame(frame);
    return true;
  }

  #differs(sheet) {
    if (this.#sheet !== null && sheet.sheet !== this.#sheet) return true;
    const keys = new Set();
    for (const stroke of sheet.strokes || []) {
      for (const segment of stroke.segments) keys.add(segment.key);
    }
    for (const key of this.#known) if (!keys.has(key)) return true;
    return false;
  }

  #origins() {
    const origins = new Set(this.#last.keys());
    for (const frame of this.#buffer) origins.add(frame.origin);
    for (const origin of this.#needed.keys()) origins.add(origin);
    return Array.from(origins).sort();
  }

  #reset(sheet) {
    this.#clearModel();
    if (sheet !== this.#sheet) this.#removed = new Set();
    this.#sheet = sheet;
    this.#o.onClear();
  }

  // -- messages ---------------------------------------------------------------

  handle(message) {
    switch (message.type) {
      case "frame":
        if (this.#loaded) this.#applyFrame(message);
        else this.#buffer.push(message);
        break;
      case "reset":
        this.#reset(message.sheet);
        return this.load().catch(() => false);
      case "redraw":
        return this.load({ replace: true }).catch(() => false);
      case "resync":
        // Frames may have been lost unseen (the server stopped hearing the other
        // processes for a while): merge the sheet, as after a gap.
        if (this.#sheet !== null && message.sheet !== this.#sheet) break;
        return this.load().catch(() => false);
      case "remove":
        this.removeStrokes(message);
        break;
      case "exhibit":
        this.#o.onExhibit(message.exhibit || {});
        break;
      case "presence":
        this.#presence.set(message.origin || "", {
          connected: message.connected || 0,
          drawing: message.drawing || 0,
          at: this.#o.now(),
        });
        this.#o.onPresence(this.presenceTotals());
        break;
      default:
        break; // hello and heartbeat are the page's business
    }
    return null;
  }

  presenceTotals() {
    const now = this.#o.now();
    const totals = { connected: 0, drawing: 0 };
    for (const [origin, p] of this.#presence) {
      if (now - p.at > PRESENCE_STALE_MS) {
        this.#presence.delete(origin);
        continue;
      }
      totals.connected += p.connected;
      totals.drawing += p.drawing;
    }
    return totals;
  }

  #applyFrame(frame) {
    if (this.#sheet !== null && frame.sheet !== this.#sheet) {
      this.#stats.framesStale += 1;
      this.#track(frame);
      // A newer sheet means we missed a reset: start over on it.
      if (frame.sheet > this.#sheet) {
        this.#reset(frame.sheet);
        this.#buffer.push(frame);
        this.load().catch(() => false);
      }
      return;
    }
    if (this.#sheet === null) this.#sheet = frame.sheet;
    this.#track(frame);
    this.#stats.framesApplied += 1;
    for (const segment of frame.segments || []) {
      this.addSegment(segment, segment, frame.time);
    }
  }

  // Sequence bookkeeping: a first frame beyond the stored watermark, or a gap, means
  // some segments are only in the database; fetch the sheet until it covers them.
  #track(frame) {
    const { origin, seq } = frame;
    const last = this.#last.get(origin);
    if (last === undefined) {
      if (seq > (this.#stored[origin] || 0) + 1) this.#need(origin, seq - 1);
    } else if (seq > last + 1) {
      this.#stats.gaps += 1;
      this.#need(origin, seq - 1);
    }
    if (last === undefined || seq > last) this.#last.set(origin, seq);
  }

  #need(origin, through) {
    this.#needed.set(origin, Math.max(this.#needed.get(origin) || 0, through));
    this.#scheduleResync();
  }

  #scheduleResync() {
    if (this.#resyncTimer || !this.#needed.size) return;
    const delay = this.#o.resyncDelay * Math.min(1 + this.#resyncAttempt, 5);
    this.#resyncTimer = this.#o.setTimer(() => this.#resync(), delay);
  }

  async #resync() {
    const generation = this.#generation;
    this.#resyncTimer = null;
    this.#resyncAttempt += 1;
    this.#stats.resyncs += 1;
    try {
      const sheet = await this.#o.fetchSheet(this.#origins());
      if (generation !== this.#generation) return;
      this.#mergeSheet(sheet);
    } catch (error) {
      this.#o.onError(error);
    }
    if (generation !== this.#generation) return;
    if (!this.#needed.size) {
      this.#resyncAttempt = 0;
    } else if (this.#resyncAttempt >= this.#o.resyncAttempts) {
      // Storage never caught up (a lost flush?): give up rather than poll forever.
      this.#needed.clear();
      this.#resyncAttempt = 0;
    } else {
      this.#scheduleResync();
    }
  }

  #mergeSheet(sheet) {
    if (this.#sheet !== null && sheet.sheet !== this.#sheet) {
      if (sheet.sheet < this.#sheet) return; // an old answer, from before a reset
      this.#reset(sheet.sheet);
    }
    this.#sheet = sheet.sheet;
    if (sheet.exhibit) this.#o.onExhibit(sheet.exhibit);
    for (const [origin, seq] of Object.entries(sheet.stored || {})) {
      this.#stored[origin] = Math.max(this.#stored[origin] || 0, seq);
    }
    for (const stroke of sheet.strokes || []) {
      for (const segment of stroke.segments) this.addSegment(stroke, segment, segment.t);
    }
    for (const [origin, seq] of Array.from(this.#needed)) {
      if ((this.#stored[origin] || 0) >= seq) this.#needed.delete(origin);
    }
  }

  // -- the model --------------------------------------------------------------

  // Strokes a phone took back: off the wall from memory (no sheet reload, so a
  // crowd of walls does not fetch the sheet on every undo), and never drawn again on
  // this sheet, whichever comes later: a frame, a resync or a sheet still unwritten.
  removeStrokes(message) {
    if (this.#sheet !== null && message.sheet !== this.#sheet) return false;
    let removed = false;
    for (const key of message.strokes || []) {
      this.#removed.add(key);
      if (this.#strokes.delete(key)) removed = true;
    }
    if (removed) this.#o.onRedraw();
    return removed;
  }

  // Add one segment once. Appended to its stroke it is drawn incrementally; a
  // segment that belongs before ones already drawn (it came by resync) asks for a
  // redraw from the model, so the curve goes through the points in order.
  addSegment(info, segment, time) {
    const key = segment.key;
    if (this.#known.has(key)) {
      this.#stats.duplicates += 1;
      return false;
    }
    this.#known.add(key);
    const strokeKey = info.stroke;
    if (this.#removed.has(strokeKey)) return false;
    let stroke = this.#strokes.get(strokeKey);
    const isNew = !stroke;
    if (isNew) {
      stroke = {
        stroke: strokeKey,
        device: info.device,
        color: info.color,
        width: info.width,
        segments: [],
        lastSeq: 0,
      };
      this.#strokes.set(strokeKey, stroke);
    }
    const entry = {
      key,
      seq: seqOf(key),
      points: segment.points || [],
      end: !!segment.end,
      t: typeof time === "number" ? time : this.#o.now() + this.#clock,
    };
    this.#stats.segments += 1;
    this.#stats.points += entry.points.length;
    if (entry.seq > stroke.lastSeq) {
      stroke.segments.push(entry);
      stroke.lastSeq = entry.seq;
      if (isNew) this.#o.onStroke(stroke);
      this.#o.onSegment(stroke, entry);
    } else {
      let i = stroke.segments.length;
      while (i > 0 && stroke.segments[i - 1].seq > entry.seq) i -= 1;
      stroke.segments.splice(i, 0, entry);
      this.#stats.outOfOrder += 1;
      this.#o.onRedraw();
    }
    return true;
  }

  // Forget every segment and stroke of this sheet (a replay starting over); onClear.
  clear() {
    this.#reset(this.#sheet);
  }

  // Drop ink older than `before` (server ms), for a fading wall; true if any went.
  prune(before) {
    let removed = false;
    for (const [key, stroke] of this.#strokes) {
      const kept = stroke.segments.filter((s) => s.t >= before);
      if (kept.length === stroke.segments.length) continue;
      removed = true;
      if (!kept.length) this.#strokes.delete(key);
      else stroke.segments = kept;
    }
    return removed; // keys stay known: a resync must not bring faded ink back
  }

  // A server timestamp just received (a frame's or heartbeat's `time`): the clock
  // offset is the fastest message's, plus the one-way delay estimate, so a
  // latency measured with it is never below that delay (never negative).
  clockSample(time) {
    if (typeof time !== "number") return;
    const offset = time - this.#o.now() + this.#oneWay;
    if (offset > this.#clock) this.#clock = offset;
  }

  serverNow() {
    return this.#o.now() + this.#clock;
  }
}

