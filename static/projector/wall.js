// The projector page: connects to /ws/wall/ (connection.js), keeps the picture in sync
// (sync.js), draws it with p5.js onto a persistent buffer (picture.js, pen.js), and
// stays up for weeks: reconnect with backoff, a watchdog, wake lock, no cursor, a
// status on demand. Or plays a stored sheet back (?replay=<id>: replay.js, timeline.js).
// This module only wires the parts together; each part is a module of its own.
import { showBanner, bannerFor } from "./banner.js";
import { WallConnection } from "./connection.js";
import { Invitation } from "./invitation.js";
import { JoinCard } from "./join_card.js";
import { letterbox } from "./layout.js";
import { LivePens } from "./live_pens.js";
import { Picture } from "./picture.js";
import { caption, fetchReplay } from "./replay.js";
import { FrameMeter, StatusPanel, inTrouble, statusLines } from "./status.js";
import { WallSync } from "./sync.js";
import { ReplayTimeline } from "./timeline.js";
import { WakeLock, fullscreen } from "./awake.js";
import { pageWords } from "./words.js";
import { WallPen } from "../pen.js";

const config = JSON.parse(document.getElementById("wall-config").textContent);
const say = pageWords(document);
const params = new URLSearchParams(location.search);
const replaying = params.has("replay");
const $ = (id) => document.getElementById(id);

let exhibit = Object.assign({}, config.exhibit);
let paused = false; // a "state" message said so (the exhibit may say so too)
let presence = { connected: 0, drawing: 0 };
let latencyMs = null; // the last frame's delay, by the server's clock
let error = null; // the last thing that went wrong, for the status panel
let timeline = null; // the replay's, once its sheet loaded

const invitation = new Invitation($("attract"), !replaying);
const joinCard = new JoinCard($("join"), $("join-count"));
const status = new StatusPanel($("status"), params.get("status") === "1");
const meter = new FrameMeter();
const pens = new LivePens();
const wakeLock = new WakeLock();
if (replaying) joinCard.hide();

async function fetchSheet(origins) {
  const query = origins.length ? "?origins=" + encodeURIComponent(origins.join(",")) : "";
  const response = await fetch(config.sheet_url + query, { cache: "no-store" });
  if (!response.ok) throw new Error("sheet: HTTP " + response.status);
  return response.json();
}

const sync = new WallSync({
  fetchSheet,
  onSegment(stroke, entry) {
    picture.drawSegment(stroke, entry);
    meter.points(entry.points.length);
  },
  onClear: () => picture.clear(),
  onRedraw: () => picture.redrawSoon(),
  onExhibit: applyExhibit,
  onPresence(totals) {
    presence = totals;
    if (joinCard.showCount(totals, say)) picture.layout();
  },
  onError(reason) {
    error = String(reason && reason.message ? reason.message : reason);
  },
});

const picture = new Picture({
  stage: $("stage"),
  sync,
  pen: new WallPen(),
  prepare: WallPen.prepare,
  pens,
  exhibit: () => exhibit,
  place,
  onFrame(now) {
    if (timeline) playReplay(now);
    meter.frame(performance.now());
  },
});

const link = new WallConnection({
  url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + config.ws_path,
  sync,
  backoffMax: Number(params.get("backoff_max")) || 1000,
  onMessage: watchMessage,
  onLive() {
    error = null;
    checkInvitation(Date.now()); // a sheet with ink: the invitation steps aside at once
  },
});

// Where the canvas goes: letterboxed, clear of the join card (none in a replay).
function place() {
  const W = window.innerWidth;
  const H = window.innerHeight;
  const card = replaying ? null : joinCard.size(W, H);
  const room = letterbox(W, H, exhibit.aspect || 16 / 9, card);
  if (room.card) joinCard.place(room.card);
  return room.box;
}

function applyExhibit(next) {
  const before = exhibit;
  exhibit = Object.assign({}, before, next);
  if (exhibit.aspect !== before.aspect) picture.layout();
  const changed = (name) => exhibit[name] !== before[name];
  if (changed("fade_seconds") || changed("background")) picture.redrawSoon();
  if (JSON.stringify(exhibit.invitations) !== JSON.stringify(before.invitations)) {
    invitation.restart(Date.now(), exhibit.invitations);
  }
  renderBanner();
}

function renderBanner() {
  showBanner($("banner"), replaying ? { text: "", kind: "" } : bannerFor(exhibit, paused, say));
}

// The page's own look at live messages, before the sync state takes them.
function watchMessage(message) {
  if (message.type === "frame") {
    const now = Date.now();
    if (sync.loaded) pens.note(message, now);
    latencyMs = Math.max(0, sync.serverNow() - message.time);
    if (sync.loaded && message.segments && message.segments.length) invitation.inked(now);
  }
  if (message.type === "state" && (message.state === "paused" || message.state === "live")) {
    paused = message.state === "paused";
    renderBanner();
  }
}

function checkInvitation(now) {
  if (replaying) return;
  const empty = sync.loaded ? sync.strokeCount === 0 : null;
  invitation.check(now, empty, exhibit.attract_seconds || 0);
}

// -- replay ---------------------------------------------------------------------------

async function startReplay() {
  const id = params.get("replay");
  const speed = Math.max(0.1, Number(params.get("speed")) || 10);
  link.set("loading");
  let sheet;
  try {
    sheet = await fetchReplay(config.replay_url, id);
  } catch (failure) {
    return replayFailed(failure.message);
  }
  if (sheet.exhibit) applyExhibit(sheet.exhibit);
  $("caption").textContent = caption(sheet, speed, say, document.documentElement.lang);
  $("caption").hidden = false;
  timeline = new ReplayTimeline(sheet.strokes, {
    speed,
    loop: params.get("loop") !== "0",
    startedAt: Date.now(),
  });
  link.set("replay");
}

function replayFailed(text) {
  link.set("error");
  error = text;
  $("notice").textContent = text;
  $("notice").hidden = false;
}

function playReplay(now) {
  const { segments, restart } = timeline.due(now);
  if (restart) sync.clear();
  for (const { stroke, segment } of segments) sync.addSegment(stroke, segment, sync.serverNow());
}

// -- the room ---------------------------------------------------------------------------

function renderStatus() {
  const now = Date.now();
  status.render(inTrouble(link, replaying, latencyMs, now), () =>
    statusLines({ link, sync, meter, latencyMs, presence, p5Source: window.p5Source, error }),
  );
}

document.addEventListener("visibilitychange", () => wakeLock.keep(true));
document.addEventListener("click", (event) => {
  fullscreen(document);
  wakeLock.keep(event);
});
document.addEventListener("keydown", (event) => {
  const key = event.key.toLowerCase();
  if (key === "f") fullscreen(document);
  if (key === "s") {
    status.toggle();
    renderStatus();
  }
});

// -- start ------------------------------------------------------------------------------

// What tests and a technician's console read (window.wall.state.connection, ...).
window.wall = {
  sync,
  config,
  get state() {
    return {
      mode: replaying ? "replay" : "live",
      connection: link.state,
      since: link.since,
      reconnects: link.reconnects,
      exhibit,
      presence,
      attract: invitation.shown,
      latencyMs,
      fps: meter.fps,
      pointsPerSecond: meter.pointsPerSecond,
      p5Source: window.p5Source || null,
      box: picture.box,
      error,
    };
  },
  get stats() {
    return Object.assign({}, sync.stats, {
      fps: meter.fps,
      strokes: sync.strokeCount,
      keys: sync.keyCount,
    });
  },
  get ready() {
    return picture.ready;
  },
  get pens() {
    return pens.list();
  },
  keys() {
    return sync.keys();
  },
  reconnect() {
    link.close();
  },
};

// p5.js comes from wall.html's loader (the CDN, or the vendored copy).
window.p5Ready.then(
  (P5) => {
    picture.start(P5);
    if (replaying) startReplay();
    else link.start(window, document);
  },
  (failure) => {
    link.set("error");
    error = failure.message;
    $("notice").textContent = say("no_p5");
    $("notice").hidden = false;
  },
);

setInterval(() => {
  const now = Date.now();
  link.watchdog(now);
  checkInvitation(now);
  invitation.rotate(now, exhibit.invitations);
  renderStatus();
  wakeLock.keep();
}, 1000);
