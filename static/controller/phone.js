/* The drawing pad: canvas and pointer input, local echo, the socket, the states.
 The bookkeeping lives in ink.js (the server's limits, mirrored) and outbox.js
 (what waits for an ack); this module wires them to the page. */
import { Ink, Rate } from "./ink.js";
import { Outbox } from "./outbox.js";
import * as Reconnect from "../reconnect.js";
import * as Connection from "./connection_state.js";
import * as ColorNames from "./colornames.js";
import { WallView } from "./wallview.js";
import { WallPen as Pen } from "../pen.js";

var TICK_MS = 33; // about 30 messages a second while drawing
var MIN_STEP_PX = 1.5; // closer points add nothing visible and cost ink
var RESUME_INK = 0.1; // after running dry, wait for this share of the tank
var LOCAL_STROKES = 400; // kept to redraw after a resize or rotation
var UNDO_MS = 10000; // the server allows a little more (docs/protocol.md, "Undo")

var boot = JSON.parse(document.getElementById("boot").textContent);
// The words, in the visitor's language (controller/templatetags/visitor.py).
var T = readStrings();
var exhibit = boot.exhibit;
var limits = boot.limits;
var store = safeStorage("localStorage");
// This visit (this tab, reloads included): the colour the server gave us and the
// one the visitor picked, if they did.
var visit = safeStorage("sessionStorage");

var el = {
  status: document.getElementById("status"),
  meter: document.getElementById("meter"),
  fill: document.getElementById("meter-fill"),
  stage: document.getElementById("stage"),
  pad: document.getElementById("pad"),
  wallview: document.getElementById("wallview"),
  notice: document.getElementById("notice"),
  hint: document.getElementById("hint"),
  palette: document.getElementById("palette"),
  brushes: document.getElementById("brushes"),
  you: document.getElementById("you"),
  landed: document.getElementById("landed"),
  undo: document.getElementById("undo"),
};
var ctx = el.pad.getContext("2d");
// The wall's picture, faint, under the pad (static/controller/wallview.js).
var wallView = new WallView(el.wallview, "/projector/view/");
// The wall's curve code (static/pen.js, shared with the wall): the phone's own strokes are
// smoothed exactly as the wall smooths them.
var pen = new Pen();
var strokeKeys = 0;
var SIDE_PANEL_MIN = 136; // px: the side layout's panel, at least
var STACKED_CHROME = 200; // px: the stacked layout's bars above and below the pad
var hintText = "";
var turn = false; // turning the phone would give a bigger pad
var meterShown = -1;

var client = randomId();
var outbox = new Outbox();
var ink = new Ink(limits.ink_rate, limits.ink_burst, limits.ink_burst, now());
var rate = new Rate(limits.max_messages);
var view = { w: 1, h: 1, dpr: 1 };
var color = null;
var width = null;

var socket = null;
// The connection's state, kept by static/controller/connection_state.js.
var conn = Connection.initial();
var lastHeard = 0;
var connects = 0;
var retry = new Reconnect.Reconnector(connect);

var pointer = null; // the one pointer that draws: {id}
var stroke = null; // the stroke being drawn (an outbox stroke)
var pending = []; // its points not yet batched
var pace = 0; // ms between messages a busy server asked for (0: our own pace)
var batchedAt = 0;
var local = []; // strokes drawn here, normalised, for redraws
var dry = false; // out of ink: the line stopped
var drawn = 0;
var noticeTimer = null;
var undoable = []; // {stroke, local, at}: this page's strokes, newest last
var undoTimer = null;

// -- small helpers ------------------------------------------------------------

function now() {
  return performance.now();
}

function randomId() {
  var bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  var abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var id = "";
  for (var i = 0; i < bytes.length; i++) id += abc[bytes[i] & 63];
  return id;
}

function readStrings() {
  var english = {
    connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…",
    paused: "Paused", blocked: "Blocked", full: "Wall full · #{n} in line",
    paused_notice: "Drawing is paused for a moment",
    full_notice: "The wall is full. You are number {n} in line.",
    blocked_notice: "This phone can no longer draw here.",
    cleared: "The wall was cleared", out_of_ink: "Out of ink: it refills in a moment",
    waiting: "Waiting for the connection…",
    storage_full: "The wall cannot keep new lines just now",
    you_are: "You are {name}", hint: "Draw with one finger: your lines appear on the wall.",
    hint_short: "Draw with one finger",
    turn_sideways: "Draw with one finger · turn sideways for a bigger pad",
    turn_upright: "Draw with one finger · turn upright for a bigger pad",
    brush: "Brush size {n}", landed: "On the wall ✓", colors: {},
  };
  var node = document.getElementById("strings");
  var given = {};
  try {
    given = node ? JSON.parse(node.textContent) : {};
  } catch (e) {
    given = {};
  }
  return Object.assign(english, given);
}

function say(key, values) {
  return String(T[key] || key).replace(/\{(\w+)\}/g, function (all, name) {
    return values && name in values ? values[name] : all;
  });
}

/* A colour's name in the visitor's language (the English one if untranslated). */
function colorWord(hex) {
  var name = ColorNames.name(hex);
  return (T.colors && T.colors[name]) || name;
}

function safeStorage(name) {
  try {
    var storage = window[name];
    storage.setItem("wall.probe", "1");
    return storage;
  } catch (e) {
    return { getItem: function () { return null; }, setItem: function () {} };
  }
}

function round(v) {
  return Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
}

// -- tools: colour and brush --------------------------------------------------

/* The visitor's colour: the one they picked this visit, else the one the server
   gave them this visit (a colour nobody drawing now has), else the welcome's.
   Before the first welcome the pad draws in a stand-in colour that is not kept. */
function pickTools(welcomeColor) {
  var palette = exhibit.palette || [];
  function allowed(c) {
    return !!c && (palette.length === 0 ? /^#[0-9a-f]{6}$/.test(c) : palette.indexOf(c) >= 0);
  }
  var picked = (visit.getItem("wall.picked") || "").toLowerCase();
  var own = (visit.getItem("wall.own") || "").toLowerCase();
  var offered = (welcomeColor || "").toLowerCase();
  if (allowed(picked)) color = picked;
  else if (allowed(own)) color = own;
  else if (allowed(offered)) {
    color = offered;
    visit.setItem("wall.own", color);
  } else if (!allowed(color)) color = palette[0] || "#ffffff";
  var brushes = exhibit.brushes || [];
  var savedWidth = parseFloat(store.getItem("wall.brush"));
  if (brushes.indexOf(savedWidth) >= 0) width = savedWidth;
  else if (brushes.indexOf(width) < 0) width = brushes[Math.min(1, brushes.length - 1)] || 0.006;
  renderTools();
}

function radio(parent, checked, label, onPick) {
  var b = document.createElement("button");
  b.type = "button";
  b.setAttribute("role", "radio");
  b.setAttribute("aria-checked", String(checked));
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onPick);
  parent.appendChild(b);
  return b;
}

function renderTools() {
  el.palette.textContent = "";
  (exhibit.palette || []).forEach(function (c) {
    var b = radio(el.palette, c === color, colorWord(c) || c, function () {
      color = c;
      visit.setItem("wall.picked", c);
      renderTools();
    });
    b.style.background = c;
  });
  el.brushes.textContent = "";
  (exhibit.brushes || []).forEach(function (w, i) {
    var b = radio(el.brushes, w === width, say("brush", { n: i + 1 }), function () {
      width = w;
      store.setItem("wall.brush", String(w));
      renderTools();
    });
    var dot = document.createElement("span");
    var px = Math.max(3, Math.min(26, w * 900));
    dot.style.width = dot.style.height = px + "px";
    b.style.color = color;
    b.appendChild(dot);
  });
  var name = colorWord(color);
  el.you.textContent = name ? say("you_are", { name: name }) : "";
  el.you.style.setProperty("--you", color);
}

// -- canvas: letterboxed at the wall's aspect ratio ---------------------------

/* The largest rectangle of the wall's aspect inside w x h: its area. */
function fit(w, h, aspect) {
  w = Math.max(0, w);
  h = Math.max(0, h);
  return Math.min(w, h * aspect) * Math.min(h, w / aspect);
}

/* Which layout gives the bigger pad in a W x H screen: {side, panel, area}. */
function plan(W, H, aspect) {
  var panel = Math.max(SIDE_PANEL_MIN, Math.min(W * 0.4, W - H * aspect));
  var side = fit(W - panel - 12, H - 12, aspect);
  var stacked = fit(W - 12, H - STACKED_CHROME, aspect);
  return side > stacked
    ? { side: true, panel: panel, area: side }
    : { side: false, panel: 0, area: stacked };
}

function layout() {
  var aspect = exhibit.aspect || 16 / 9;
  var W = window.innerWidth;
  var H = window.innerHeight;
  var mode = plan(W, H, aspect);
  document.body.classList.toggle("side", mode.side);
  document.body.style.setProperty("--panel", Math.round(mode.panel) + "px");
  // Turning the phone would give a pad at least a third bigger: say so (the same
  // rule on every phone and tablet, from the screen's shape and the wall's).
  turn = plan(H, W, aspect).area > mode.area * 1.33;
  var box = el.stage.getBoundingClientRect();
  var frame = 2 * 2 + 8; // the pad's border and a little air
  var w = box.width - frame;
  var h = w / aspect;
  if (h > box.height - frame) {
    h = box.height - frame;
    w = h * aspect;
  }
  var dpr = Math.min(window.devicePixelRatio || 1, 3);
  view = { w: Math.max(1, Math.floor(w)), h: Math.max(1, Math.floor(h)), dpr: dpr };
  el.pad.style.width = view.w + "px";
  el.pad.style.height = view.h + "px";
  el.pad.width = Math.round(view.w * dpr);
  el.pad.height = Math.round(view.h * dpr);
  // The pad is clear: the background is the wall's view, lying under it.
  el.pad.style.background = "transparent";
  wallView.resize(view.w, view.h, dpr, el.pad.offsetLeft + el.pad.clientLeft,
                  el.pad.offsetTop + el.pad.clientTop, exhibit.background || "#111111");
  redraw();
  renderTools();
  showHint(hintText);
}

function penContext() {
  Pen.prepare(ctx, view.dpr);
  return ctx;
}

/* Draw again from the strokes kept here (after a resize, rotation or reset). */
function redraw() {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, el.pad.width, el.pad.height);
  var strokes = local.map(function (s) {
    return { stroke: s.key, color: s.color, width: s.width,
             segments: [{ points: s.points, end: s.ended }] };
  });
  pen.redraw(penContext(), { values: function () { return strokes; } }, view.w, view.h);
  // A stroke under the finger goes on from where the redraw left it.
}

/* Continue a local stroke on the pad with new points (or finish it). */
function paint(s, points, end) {
  pen.segment(penContext(), { stroke: s.key, color: s.color, width: s.width },
              { points: points, end: !!end }, view.w, view.h);
}

// -- drawing -----------------------------------------------------------------

function canDraw() {
  return Connection.canDraw(conn.state);
}

function inkLeft(t) {
  return ink.server(t) - outbox.waiting() - pending.length;
}

function toPoint(e, rect) {
  var x = round((e.clientX - rect.left) / rect.width);
  var y = round((e.clientY - rect.top) / rect.height);
  var pt = [x, y];
  // Touch screens without pressure report 0.5 (or 0/1); only real pressure travels.
  if (e.pointerType === "pen" || (e.pressure > 0 && e.pressure < 1 && e.pressure !== 0.5)) {
    pt.push(Math.round(e.pressure * 100) / 100);
  }
  return pt;
}

function begin(pt) {
  stroke = outbox.newStroke(color, width);
  stroke.local = { key: "s" + ++strokeKeys, color: color, width: width, points: [pt], ended: false };
  local.push(stroke.local);
  if (local.length > LOCAL_STROKES) local.shift();
  pending.push(pt);
  drawn++;
  paint(stroke.local, [pt]);
  if (navigator.vibrate) {
    try {
      navigator.vibrate(8);
    } catch (e) {
      /* some browsers refuse without a gesture; the tick is optional */
    }
  }
}

function extend(pt, e) {
  var s = stroke.local;
  var last = s.points[s.points.length - 1];
  var dx = (pt[0] - last[0]) * view.w;
  var dy = (pt[1] - last[1]) * view.h;
  if (dx * dx + dy * dy < MIN_STEP_PX * MIN_STEP_PX) return;
  s.points.push(pt);
  pending.push(pt);
  drawn++;
  paint(s, [pt]);
}

function finish() {
  if (stroke) {
    batch(true);
    if (stroke.local && !stroke.local.ended) {
      stroke.local.ended = true;
      paint(stroke.local, [], true); // the curve's last half, to the last point
    }
    if (stroke.started) {
      undoable.push({ stroke: stroke, local: stroke.local, at: now() });
      if (undoable.length > 16) undoable.shift();
      renderUndo();
    }
    stroke = null;
    keepSoon();
  }
}

// -- the visitor's strokes survive a reload (this visit, this sheet) -------------

var KEPT = "wall.strokes";
var sheet = null; // the sheet the wall is on (welcome, reset)
var restored = false;
var keepTimer = null;

function keepSoon() {
  if (!keepTimer) keepTimer = setTimeout(keep, 500);
}

function keep() {
  keepTimer = null;
  if (sheet === null) return;
  var strokes = [];
  for (var i = 0; i < local.length; i++) {
    var s = local[i];
    if (s.ended) strokes.push([s.color, s.width, s.points]);
  }
  try {
    visit.setItem(KEPT, JSON.stringify({ sheet: sheet, strokes: strokes }));
  } catch (e) {
    /* storage full: the pad goes on, a reload just starts blank */
  }
}

/* At the first welcome: the strokes kept from before a reload, if the wall is
   still on the same sheet, go back under what was drawn since. */
function restore(onSheet) {
  var kept = null;
  try {
    kept = JSON.parse(visit.getItem(KEPT) || "null");
  } catch (e) {
    kept = null;
  }
  if (!kept || kept.sheet !== onSheet || !kept.strokes) return;
  var back = kept.strokes.map(function (k, i) {
    return { key: "k" + i, color: k[0], width: k[1], points: k[2], ended: true };
  });
  local = back.concat(local).slice(-LOCAL_STROKES);
  redraw();
}

// -- undo: the last strokes, each for 10 s ---------------------------------------

function undoLeft() {
  var last = undoable[undoable.length - 1];
  return last ? UNDO_MS - (now() - last.at) : 0;
}

/* On while the last stroke can be taken back; off by itself when its time is up. */
function renderUndo() {
  var left = undoLeft();
  el.undo.disabled = left <= 0;
  clearTimeout(undoTimer);
  if (left > 0) undoTimer = setTimeout(renderUndo, left + 20);
}

/* Off the pad and the kept strokes at once; the `undo` goes through the outbox. */
function undoLast() {
  if (undoLeft() > 0) {
    var last = undoable.pop();
    outbox.undo(last.stroke);
    last.local.at = local.indexOf(last.local);
    if (last.local.at >= 0) local.splice(last.local.at, 1);
    redraw();
    keep();
    pump();
  }
  renderUndo();
}

/* Refused (too late, after a long reconnect): the line is still on the wall. */
function undoRefused(s) {
  if (local.indexOf(s) < 0) local.splice(Math.max(0, Math.min(s.at, local.length)), 0, s);
  redraw();
  keep();
}

/* Move the stroke's pending points into the outbox, one message per tick. */
function batch(end) {
  var max = Math.max(1, (limits.max_points || 64) - 1); // room for a joining point
  while (pending.length > max) outbox.add(stroke, pending.splice(0, max), false, max);
  if (pending.length || end) outbox.add(stroke, pending.splice(0), end, max);
}

function accept(e, rect) {
  var t = now();
  var pt = toPoint(e, rect);
  var left = inkLeft(t);
  if (dry) {
    if (left < Math.max(1, ink.burst * RESUME_INK)) return;
    dry = false;
    showHint("");
  }
  if (left < 1 || outbox.full()) {
    finish(); // the line stops here; it goes on from the finger when ink is back
    dry = true;
    showHint(say(outbox.full() ? "waiting" : "out_of_ink"), true);
    return;
  }
  if (!stroke) begin(pt);
  else extend(pt, e);
}

function onDown(e) {
  e.preventDefault();
  if (pointer !== null || !canDraw() || !e.isPrimary) return; // one finger draws; palms don't
  pointer = e.pointerId;
  try {
    el.pad.setPointerCapture(e.pointerId);
  } catch (err) {
    /* capture is a nicety */
  }
  accept(e, el.pad.getBoundingClientRect());
}

function onMove(e) {
  if (e.pointerId !== pointer) return;
  e.preventDefault();
  var rect = el.pad.getBoundingClientRect();
  var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
  if (!events.length) events = [e];
  for (var i = 0; i < events.length; i++) accept(events[i], rect);
}

function onUp(e) {
  if (e.pointerId !== pointer) return;
  e.preventDefault();
  if (e.type === "pointerup") onMove(e);
  pointer = null;
  finish();
  dry = false;
  if (!el.hint.dataset.sticky) showHint("");
}

// -- sending -----------------------------------------------------------------

function pump() {
  var t = now();
  // A busy server asks for fewer, fuller messages: gather the points meanwhile.
  if (stroke && pending.length && t - batchedAt >= pace) {
    batch(false);
    batchedAt = t;
  }
  if (!socket || socket.readyState !== 1 || !conn.welcomed || !canDraw()) return;
  var head;
  while ((head = outbox.head())) {
    var n = head.points.length;
    if (!rate.allow(t) || !ink.canSend(n, t)) break;
    var wire = outbox.take(t);
    socket.send(JSON.stringify(wire));
    ink.sent(n);
    rate.note(t);
  }
  feed({ type: "tick", oldestSent: outbox.oldestSent(), lastHeard: lastHeard, at: t }, "stalled");
}

function renderMeter() {
  var t = now();
  var share = Math.max(0, Math.min(1, inkLeft(t) / ink.burst));
  el.fill.style.transform = "scaleX(" + share.toFixed(3) + ")";
  el.meter.classList.toggle("low", share < 0.15 || dry);
  var percent = Math.round(share * 100);
  if (percent !== meterShown) {
    meterShown = percent;
    el.meter.setAttribute("aria-valuenow", String(percent));
  }
  requestAnimationFrame(renderMeter);
}

// -- the socket --------------------------------------------------------------

/* One event for the connection's state machine; its answer, done. `why`: the
   reason given if the answer is to drop the socket. */
function feed(event, why) {
  var was = conn.state;
  var step = Connection.step(conn, event);
  conn = step.conn;
  if (step.announce || conn.state !== was) renderState();
  step.actions.forEach(function (action) {
    if (action === "hello" && socket) hello(socket);
    else if (action === "new_client") clientTaken();
    else if (action === "welcome") onWelcome(event.message);
    else if (action === "ok") retry.ok();
    else if (action === "drop") drop(why || "dropped");
    else if (action === "retry") retry.lost();
    else if (action === "connect") connect();
    else if (action === "stop") retry.stop();
  });
}

function connect() {
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/draw/";
  var ws;
  try {
    ws = new WebSocket(url);
  } catch (e) {
    feed({ type: "close", code: 1006 });
    return;
  }
  socket = ws;
  connects++;
  feed({ type: "connect", at: now() });
  var opened = setTimeout(function () {
    if (socket !== ws) return;
    feed({ type: "timeout", waited: Connection.OPEN_MS }, "timeout");
    if (socket === ws) opened = setTimeout(function () {
      if (socket === ws) feed({ type: "timeout", waited: Connection.WELCOME_MS }, "timeout");
    }, Connection.WELCOME_MS - Connection.OPEN_MS);
  }, Connection.OPEN_MS);
  ws.onopen = function () {
    lastHeard = now();
    feed({ type: "open" });
  };
  ws.onmessage = function (event) {
    lastHeard = now();
    var m;
    try {
      m = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (m.type === "welcome") clearTimeout(opened);
    feed({ type: "message", message: m });
    onMessage(m);
  };
  ws.onclose = function (event) {
    clearTimeout(opened);
    if (socket === ws) closed(event.code);
  };
}

function hello(ws) {
  ws.send(JSON.stringify({ type: "hello", client: client, last_seq: outbox.acked }));
}

function drop(why) {
  var ws = socket;
  if (!ws) return;
  ws.onclose = ws.onmessage = ws.onopen = null;
  try {
    ws.close(4000, why);
  } catch (e) {
    /* already closing */
  }
  closed(1006);
}

/* Closed by the server or dropped here: 4003 (blocked) stops for good; any other
   close comes back at once, then with capped, jittered backoff (static/reconnect.js). */
function closed(code) {
  socket = null;
  outbox.disconnected();
  feed({ type: "close", code: code, hidden: document.hidden });
}

/* Back on the network or in front of the visitor: a handshake begun on the old
   network may never finish, so it is dropped and tried again at once. */
function wake() {
  feed({ type: "wake", at: now() }, "wake");
}

function applyExhibit(ex, lim) {
  var relayout = !!ex && ex.aspect !== exhibit.aspect;
  if (ex) exhibit = ex;
  if (lim) {
    limits = lim;
    ink.configure(lim.ink_rate, lim.ink_burst, now());
    rate.limit = lim.max_messages;
  }
  pickTools(null);
  if (relayout) layout();
}

/* The welcome's news for the page (the connection's state took its part). */
function onWelcome(m) {
  applyExhibit(m.exhibit, m.limits);
  var before = color;
  pickTools(m.color);
  // Strokes drawn before the first welcome, not sent yet, take the visitor's colour.
  if (color !== before && outbox.recolor(before, color)) redraw();
  outbox.welcome(m.acked);
  if (typeof m.sheet === "number") {
    if (!restored) restore(m.sheet);
    restored = true;
    sheet = m.sheet;
    showView(); // what was missed while away comes with the sheet
  }
  ink.anchor(m.ink, 0, now());
  pump();
}

function onMessage(m) {
  if (m.type === "ack") {
    var landed = outbox.stats.landed || 0;
    outbox.ack(m.seq, m.dropped);
    // A stroke is whole on the wall (stored): a brief sign, so the visitor knows.
    if ((outbox.stats.landed || 0) > landed && !m.dropped) flashLanded();
    if (typeof m.ink === "number") ink.anchor(m.ink, outbox.inFlight(), now());
    pace = typeof m.pace === "number" ? m.pace : 0;
    if (m.dropped === "out_of_ink") showHint(say("out_of_ink"), true);
    // The server's storage has been down so long its backlog is full: not drawn.
    if (m.dropped === "storage_full") showHint(say("storage_full"), true);
  } else if (m.type === "error") {
    if (m.code === "seq_gap") outbox.seqGap(m.expected);
    else if (m.code !== "client_taken") {
      var item = outbox.error(m.code, m.seq);
      if (item && item.kind === "undo") undoRefused(item.stroke.local);
    }
  } else if (m.type === "reset") {
    // The server drops the rest of a stroke begun before the reset: begin anew.
    var current = stroke && local.length ? local[local.length - 1].points : null;
    var resume = pointer !== null && current ? current[current.length - 1] : null;
    finish();
    local = [];
    undoable = [];
    renderUndo();
    if (typeof m.sheet === "number") sheet = m.sheet;
    keep();
    redraw();
    wallView.clear(sheet);
    if (resume) begin(resume);
    notice(say("cleared"), 2500);
  } else if (m.type === "exhibit") {
    var viewWas = exhibit.view !== false;
    applyExhibit(m.exhibit, m.limits);
    if ((exhibit.view !== false) !== viewWas) showView();
  } else if (m.type === "view") {
    if (exhibit.view !== false) wallView.add(m);
  } else if (m.type === "remove") {
    wallView.remove(m); // a phone took a stroke back (ours too): off the faint view
  } else if (m.type === "redraw") {
    showView();
  }
}

/* The wall's view: the sheet so far, fetched again; or cleared while the curator
   has it switched off. */
function showView() {
  if (sheet === null) return;
  if (exhibit.view === false) wallView.clear(sheet);
  else wallView.load(sheet);
}

/* Our client id belongs to another device (the server said so before welcoming
   us): take a new one and say hello again on the same socket. The server then
   expects our next unacknowledged seq; open strokes resend their header. */
function clientTaken() {
  outbox.stats.errors.client_taken = (outbox.stats.errors.client_taken || 0) + 1;
  client = randomId();
  undoable = []; // drawn under the old id: the new one cannot take them back
  renderUndo();
  outbox.disconnected();
}

// -- states and notices ------------------------------------------------------

/* The status line and the state's notice (a passing notice is left to its timer). */
function renderState() {
  var label = Connection.labelFor(conn.state, conn.position);
  var told = Connection.noticeFor(conn.state, conn.position);
  el.status.dataset.state = conn.state;
  el.status.textContent = say(label[0], label[1]);
  if (!canDraw() && pointer !== null) {
    pointer = null;
    finish();
  }
  if (told) notice(say(told[0], told[1]), 0);
  else if (!noticeTimer) notice("", 0);
}

function notice(text, ms) {
  clearTimeout(noticeTimer);
  noticeTimer = null;
  el.notice.textContent = text;
  el.notice.hidden = !text;
  if (text && ms) {
    noticeTimer = setTimeout(function () {
      noticeTimer = null;
      renderState();
    }, ms);
  }
}

var landedTimer = null;

function flashLanded() {
  el.landed.textContent = say("landed");
  el.landed.hidden = false;
  el.landed.classList.remove("show");
  void el.landed.offsetWidth; // restart the animation
  el.landed.classList.add("show");
  clearTimeout(landedTimer);
  landedTimer = setTimeout(function () {
    el.landed.hidden = true;
  }, 1400);
}

/* The hint line under the pad: a passing warning (out of ink, waiting), else how to
   draw, and whether turning the phone gives a bigger pad. */
function showHint(text, warn) {
  hintText = text || "";
  var line = hintText;
  if (!line) {
    line = say(document.body.classList.contains("side") ? "hint_short" : "hint");
    if (turn) line = say((exhibit.aspect || 16 / 9) >= 1 ? "turn_sideways" : "turn_upright");
  }
  el.hint.textContent = line;
  el.hint.classList.toggle("warn", !!(hintText && warn !== false));
  el.hint.dataset.turn = String(turn);
}

// -- wiring ------------------------------------------------------------------

el.undo.addEventListener("click", undoLast);
el.pad.addEventListener("pointerdown", onDown);
el.pad.addEventListener("pointermove", onMove);
el.pad.addEventListener("pointerup", onUp);
el.pad.addEventListener("pointercancel", onUp);
el.pad.addEventListener("lostpointercapture", onUp);
document.addEventListener("contextmenu", function (e) {
  e.preventDefault();
});
// iOS ignores user-scalable=no: refuse its pinch and double-tap gestures too.
document.addEventListener(
  "touchmove",
  function (e) {
    if (e.touches.length > 1 || e.target === el.pad) e.preventDefault();
  },
  { passive: false }
);
document.addEventListener("gesturestart", function (e) {
  e.preventDefault();
});
document.addEventListener("dblclick", function (e) {
  e.preventDefault();
});
window.addEventListener("resize", layout);
window.addEventListener("orientationchange", layout);
retry.listen(window, document, wake);

// The test hook: what the page knows, read-only.
window.phone = {
  get state() { return conn.state; },
  get position() { return conn.position; },
  get outbox() { return outbox.size(); },
  get ink() { return inkLeft(now()); },
  get burst() { return ink.burst; },
  get sent() { return outbox.stats.sent; },
  get resent() { return outbox.stats.resent; },
  get acked() { return outbox.acked; },
  get dropped() { return outbox.stats.dropped; },
  get errors() { return outbox.stats.errors; },
  get restarted() { return outbox.stats.restarted; },
  get joins() { return outbox.stats.joins; },
  get landed() { return outbox.stats.landed || 0; },
  get drawn() { return drawn; },
  get dry() { return dry; },
  get connects() { return connects; },
  get headers() { return outbox.stats.headers || 0; },
  get gaps() { return outbox.stats.errors.seq_gap || 0; },
  get pace() { return pace; },
  /* Test hook: close the socket as a server would (code) without telling it. */
  drop: function () { drop("test"); },
  get color() { return color; },
  get colorName() { return colorWord(color); },
  get width() { return width; },
  get client() { return client; },
  get aspect() { return exhibit.aspect; },
  get ready() { return true; },
  get undoable() { return !el.undo.disabled; },

  /* The faint view of the wall: strokes kept, sheet loads answered, views drawn. */
  get wallView() {
    return { strokes: wallView.strokes.length, loads: wallView.loads, views: wallView.views,
             sheet: wallView.sheet };
  },
};

pickTools(null);
layout();
renderState();
connect();
setInterval(pump, TICK_MS);
requestAnimationFrame(renderMeter);
