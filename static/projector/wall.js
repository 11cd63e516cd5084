// The projector page: connects to /ws/wall/, keeps the picture in sync (sync.js),
// draws it with p5.js onto a persistent buffer (pen.js), and stays up for weeks:
// reconnect with backoff, a watchdog, wake lock, no cursor, a status on demand.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("wall-config").textContent);
  // The words, in the room's language (controller/templatetags/visitor.py).
  const T = Object.assign(
    {
      paused: "Paused · drawing will be back in a moment",
      closed: "Closed",
      phones_1: "{n} phone",
      phones_n: "{n} phones",
      drawing: "{n} drawing",
      sheet: "Sheet {n}",
      replay: "replay ×{n}",
      no_p5: "The wall could not load p5.js.",
    },
    JSON.parse((document.getElementById("wall-strings") || {}).textContent || "{}"),
  );
  const say = (key, n) => String(T[key] || key).replace("{n}", n);
  const params = new URLSearchParams(location.search);
  const BACKOFF_MAX_MS = Number(params.get("backoff_max")) || 1000;
  const FADE_FLOOR = 0.02; // what is left of ink after fade_seconds
  const TROUBLE_AFTER_MS = 4000; // a blip shorter than this shows nothing

  const state = {
    mode: params.has("replay") ? "replay" : "live",
    connection: "starting", // connecting, loading, live, waiting, blocked, error
    since: Date.now(),
    exhibit: Object.assign({}, config.exhibit),
    presence: { connected: 0, drawing: 0 },
    lastInkAt: Date.now(),
    attract: !params.has("replay"), // shown from the start: the template has it visible
    latencyMs: null,
    fps: 0,
    pointsPerSecond: 0,
    reconnects: 0,
    p5Source: null,
    box: { x: 0, y: 0, w: 1, h: 1 },
    replay: null,
    error: null,
  };

  const el = {
    stage: document.getElementById("stage"),
    join: document.getElementById("join"),
    joinCount: document.getElementById("join-count"),
    attract: document.getElementById("attract"),
    attractTitle: document.querySelector("#attract .attract-title"),
    attractLine: document.querySelector("#attract .attract-line"),
    status: document.getElementById("status"),
    notice: document.getElementById("notice"),
    banner: document.getElementById("banner"),
    caption: document.getElementById("caption"),
  };

  // The invitation's languages in turn (showInvitation): INVITE_MS each.
  const INVITE_MS = 5000;
  const invite = {
    index: 0,
    at: 0,
    own: {
      lang: el.attract.lang,
      dir: el.attract.dir,
      title: el.attractTitle ? el.attractTitle.textContent : "",
      invitation: el.attractLine ? el.attractLine.textContent : "",
    },
  };

  if (state.mode === "replay") {
    el.attract.hidden = true;
    el.join.hidden = true;
  }

  // -- drawing --------------------------------------------------------------------

  const pen = new window.WallPen();
  let p5i = null; // the p5 instance
  let ink = null; // p5.Graphics: the persistent buffer strokes are drawn onto
  let density = 1;
  let redrawPending = false;
  let dirty = true; // the ink changed since the last composite
  let framed = false; // the black letterbox around the canvas is painted
  let lastFadeAt = 0;
  let lastPruneAt = Date.now();
  let pointsThisSecond = 0;

  function inkContext() {
    const ctx = ink.drawingContext;
    window.WallPen.prepare(ctx, density);
    return ctx;
  }

  function fadeAlpha(entry) {
    const fade = state.exhibit.fade_seconds || 0;
    if (!fade) return 1;
    const age = (sync.serverNow() - entry.t) / 1000;
    return Math.pow(FADE_FLOOR, Math.max(0, age) / fade);
  }

  function drawSegment(stroke, entry) {
    if (!ink) return;
    pen.segment(inkContext(), stroke, entry, state.box.w, state.box.h, fadeAlpha(entry));
    dirty = true;
  }

  function clearInk() {
    pen.forget();
    // The buffer is opaque (the exhibit's background), so a frame is one blit.
    if (ink) ink.background(state.exhibit.background || "#111111");
    dirty = true;
  }

  function redrawAll() {
    redrawPending = false;
    if (!ink) return;
    clearInk();
    pen.redraw(inkContext(), sync.strokes, state.box.w, state.box.h, fadeAlpha);
  }

  // The largest w x h of the exhibit's aspect inside a width x height area.
  function fitIn(width, height, aspect) {
    let w = Math.max(1, Math.floor(width));
    let h = Math.round(w / aspect);
    if (h > height) {
      h = Math.max(1, Math.floor(height));
      w = Math.round(h * aspect);
    }
    return { w, h };
  }

  // Letterbox the exhibit's aspect ratio in the window, leaving room for the join
  // card beside or below the canvas (whichever keeps the canvas bigger): the card
  // never hides ink. A replay has no join card, only a caption over the letterbox.
  function layout() {
    const W = window.innerWidth;
    const H = window.innerHeight;
    const aspect = state.exhibit.aspect || 16 / 9;
    const pad = 16;
    if (state.mode === "replay") {
      const { w, h } = fitIn(W, H, aspect);
      state.box = { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), w, h };
    } else {
      const card = joinCardSize(W, H);
      const side = fitIn(W - card.w - 2 * pad, H, aspect);
      const below = fitIn(W, H - card.h - 2 * pad, aspect);
      if (side.w * side.h >= below.w * below.h) {
        const room = W - card.w - 2 * pad;
        state.box = { x: Math.floor((room - side.w) / 2), y: Math.floor((H - side.h) / 2), ...side };
        el.join.style.right = pad + "px";
        el.join.style.bottom = Math.max(pad, H - state.box.y - state.box.h) + "px";
      } else {
        const room = H - card.h - 2 * pad;
        state.box = { x: Math.floor((W - below.w) / 2), y: Math.floor((room - below.h) / 2), ...below };
        el.join.style.right = Math.max(pad, W - state.box.x - state.box.w) + "px";
        el.join.style.bottom = pad + "px";
      }
    }
    if (!p5i) return;
    p5i.resizeCanvas(W, H);
    framed = false;
    const { w, h } = state.box;
    if (ink) ink.resizeCanvas(w, h);
    else {
      ink = p5i.createGraphics(w, h);
      ink.pixelDensity(density);
    }
    redrawAll(); // a new size: draw again from the data, not by stretching pixels
  }

  // The join card's size: the QR (20 % of the screen's short side, 120-320 px),
  // the address and the count of phones under it, as laid out now (the count line is
  // reserved even before the first presence report).
  function joinCardSize(W, H) {
    const qr = Math.round(Math.max(120, Math.min(320, Math.min(W, H) * 0.2)));
    el.join.style.setProperty("--qr", qr + "px");
    const rect = el.join.getBoundingClientRect();
    const countLine = el.joinCount.hidden ? Math.max(16, qr / 12) * 1.4 + 6 : 0;
    return { w: Math.max(rect.width, qr + 20), h: Math.max(rect.height + countLine, qr + 60) };
  }

  // A slow fade: ink loses a little opacity every step; every fade_seconds the model
  // drops what has faded out and the buffer is redrawn by age (no 8-bit ghosts).
  function fadeStep(now) {
    const fade = state.exhibit.fade_seconds || 0;
    if (!fade || !ink) return;
    const step = Math.max(100, (fade * 1000) / 100);
    if (now - lastFadeAt >= step) {
      lastFadeAt = now;
      const ctx = inkContext();
      ctx.globalAlpha = 1 - Math.pow(FADE_FLOOR, step / (fade * 1000));
      ctx.fillStyle = state.exhibit.background || "#111111";
      ctx.fillRect(0, 0, state.box.w, state.box.h);
      ctx.globalAlpha = 1;
      dirty = true;
    }
    if (now - lastPruneAt >= Math.max(10000, fade * 1000)) {
      lastPruneAt = now;
      sync.prune(sync.serverNow() - fade * 1000);
      redrawAll();
    }
  }

  function sketch(p) {
    p.setup = function () {
      density = Math.min(window.devicePixelRatio || 1, 3);
      p.pixelDensity(density);
      p.createCanvas(window.innerWidth, window.innerHeight).parent(el.stage);
      p.noCursor();
      p5i = p;
      layout();
    };
    p.draw = function () {
      const now = Date.now();
      if (state.replay) replayStep(now);
      if (redrawPending) redrawAll();
      fadeStep(now);
      countFrame(now);
      if (pens.size) dirty = true; // rings move and fade: composite every frame
      if (!dirty) return; // nothing new: the canvas keeps its pixels, the laptop stays cool
      dirty = false;
      if (!framed) {
        p.background(0);
        framed = true;
      }
      if (ink) p.image(ink, state.box.x, state.box.y, state.box.w, state.box.h);
      drawPens(p.drawingContext, now);
    };
    p.windowResized = layout;
  }

  // -- live pens: a soft ring in the visitor's colour where each pen is now ---------

  const PEN_IDLE_MS = 700; // a pen that sent nothing for this long fades out
  const PEN_FADE_MS = 400;
  const pens = new Map(); // stroke key -> {x, y, color, at, ended}

  function notePens(frame, now) {
    for (const segment of frame.segments || []) {
      const points = segment.points || [];
      const last = points[points.length - 1];
      const pen = pens.get(segment.stroke);
      if (!last && !pen) continue;
      pens.set(segment.stroke, {
        x: last ? last[0] : pen.x,
        y: last ? last[1] : pen.y,
        color: segment.color || (pen && pen.color) || "#ffffff",
        at: now,
        ended: !!segment.end,
      });
    }
  }

  function drawPens(ctx, now) {
    if (!pens.size) return;
    const box = state.box;
    const radius = Math.max(10, box.w * 0.014);
    ctx.save();
    ctx.setTransform(density, 0, 0, density, 0, 0);
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h); // the next blit of the ink wipes them
    ctx.clip();
    for (const [key, pen] of pens) {
      const quiet = now - pen.at - (pen.ended ? 0 : PEN_IDLE_MS);
      const alpha = quiet <= 0 ? 1 : 1 - quiet / PEN_FADE_MS;
      if (alpha <= 0) {
        pens.delete(key);
        continue;
      }
      const x = box.x + pen.x * box.w;
      const y = box.y + pen.y * box.h;
      ctx.globalAlpha = 0.18 * alpha;
      ctx.fillStyle = pen.color;
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, Math.PI * 2);
      ctx.fill();
      ctx.globalAlpha = 0.75 * alpha;
      ctx.strokeStyle = pen.color;
      ctx.lineWidth = Math.max(2, radius / 5);
      ctx.stroke();
    }
    ctx.restore();
  }

  // -- the picture's data ----------------------------------------------------------

  async function fetchSheet(origins) {
    const query = origins.length ? "?origins=" + encodeURIComponent(origins.join(",")) : "";
    const response = await fetch(config.sheet_url + query, { cache: "no-store" });
    if (!response.ok) throw new Error("sheet: HTTP " + response.status);
    return response.json();
  }

  const sync = new window.WallSync({
    fetchSheet,
    onSegment(stroke, entry) {
      drawSegment(stroke, entry);
      pointsThisSecond += entry.points.length;
    },
    onClear: clearInk,
    onRedraw() {
      redrawPending = true;
    },
    onExhibit: applyExhibit,
    onPresence(totals) {
      state.presence = totals;
      if (el.joinCount.hidden) {
        el.joinCount.hidden = false;
        layout(); // the card grew by a line: the canvas keeps clear of it
      }
      el.joinCount.textContent = say(totals.connected === 1 ? "phones_1" : "phones_n", totals.connected);
      if (totals.drawing) el.joinCount.textContent += " · " + say("drawing", totals.drawing);
    },
    onError(error) {
      state.error = String(error && error.message ? error.message : error);
    },
  });

  function applyExhibit(exhibit) {
    const before = state.exhibit;
    state.exhibit = Object.assign({}, before, exhibit);
    if (state.exhibit.aspect !== before.aspect) layout();
    const changed = (name) => state.exhibit[name] !== before[name];
    if (changed("fade_seconds") || changed("background")) redrawPending = true;
    if (JSON.stringify(state.exhibit.invitations) !== JSON.stringify(before.invitations)) {
      invite.index = 0;
      invite.at = 0;
      showInvitation(Date.now());
    }
    renderBanner();
  }

  // "Paused" while the curator has paused drawing; the opening hours' message while
  // closed. Both come with the exhibit (hello, sheet, exhibit messages).
  function renderBanner() {
    let text = "";
    if (state.mode === "live" && state.exhibit.closed) {
      text = state.exhibit.closed_message || say("closed");
    } else if (state.mode === "live" && (state.exhibit.paused || state.paused)) {
      text = say("paused");
    }
    el.banner.textContent = text;
    el.banner.hidden = !text;
    el.banner.dataset.kind = state.exhibit.closed ? "closed" : text ? "paused" : "";
  }

  // -- the connection --------------------------------------------------------------

  let socket = null;
  let lastMessageAt = Date.now();
  let heartbeatMs = 5000;
  // Back at once, then capped, jittered backoff (static/reconnect.js); counted as
  // recovered only once the sheet has loaded.
  const retry = new window.Reconnect.Reconnector(connect, {
    max: BACKOFF_MAX_MS,
    base: Math.min(250, BACKOFF_MAX_MS),
  });

  function setConnection(name) {
    if (state.connection !== name) {
      state.connection = name;
      state.since = Date.now();
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + config.ws_path);
    socket = ws;
    setConnection("connecting");
    lastMessageAt = Date.now();
    const startedAt = performance.now();
    ws.onopen = function () {
      // The handshake is about two round trips (TCP, then the upgrade): a quarter
      // of it is an estimate of the one-way delay, for the clock offset.
      sync.oneWay = Math.max(0, (performance.now() - startedAt) / 4);
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      onMessage(ws, message);
    };
    ws.onclose = function (event) {
      if (ws !== socket) return;
      socket = null;
      sync.disconnected();
      if (event.code === 4003) {
        retry.stop();
        setConnection("blocked");
        return;
      }
      scheduleReconnect(); // 1006, 1012 restart, 4010 too slow, ...
    };
  }

  function onMessage(ws, message) {
    if (message.type === "hello") {
      heartbeatMs = (message.heartbeat || 5) * 1000;
      setConnection("loading");
      sync.connected(message).then(
        () => {
          if (ws !== socket) return;
          retry.ok();
          state.error = null;
          setConnection("live");
          checkAttract(Date.now()); // a sheet with ink: the invitation steps aside at once
        },
        () => {
          if (ws === socket) ws.close(); // the sheet did not load: start over, later
        },
      );
      return;
    }
    if (message.type === "frame" || message.type === "heartbeat") sync.clockSample(message.time);
    if (message.type === "frame") {
      if (sync.loaded) notePens(message, Date.now());
      state.latencyMs = Math.max(0, sync.serverNow() - message.time);
      if (sync.loaded && message.segments && message.segments.length) dismissAttract();
    }
    if (message.type === "state" && (message.state === "paused" || message.state === "live")) {
      state.paused = message.state === "paused";
      renderBanner();
    }
    sync.handle(message);
  }

  function scheduleReconnect() {
    if (retry.waiting()) return;
    setConnection("waiting");
    state.reconnects += 1;
    retry.lost();
  }

  // Back in front of people or on the network: a handshake stuck on the old network
  // is dropped, and a waiting retry goes at once.
  function wake() {
    if (socket && socket.readyState === WebSocket.CONNECTING && Date.now() - state.since > 1000) {
      const stuck = socket;
      socket = null;
      sync.disconnected();
      try {
        stuck.close();
      } catch {
        /* never opened */
      }
      scheduleReconnect();
    }
  }

  // No frame or heartbeat for three heartbeats: the connection is dead even if the
  // browser has not noticed (a sleeping switch, a NAT that forgot us).
  function watchdog() {
    if (!socket) return;
    const limit = Math.max(15000, heartbeatMs * 3);
    if (Date.now() - lastMessageAt > limit) {
      const dead = socket;
      socket = null;
      sync.disconnected();
      try {
        dead.close(4000, "watchdog");
      } catch {
        /* already closing */
      }
      scheduleReconnect();
    }
  }

  // -- replay: a stored sheet as a timelapse ----------------------------------------

  async function startReplay() {
    const id = params.get("replay");
    const speed = Math.max(0.1, Number(params.get("speed")) || 10);
    setConnection("loading");
    let response;
    try {
      response = await fetch(config.replay_url.replace("{id}", encodeURIComponent(id)), {
        cache: "no-store",
      });
    } catch (error) {
      return replayFailed("Replay: the server did not answer (" + error.message + ").");
    }
    if (response.status === 404) return replayFailed("Replay: there is no sheet " + id + ".");
    if (!response.ok) return replayFailed("Replay: HTTP " + response.status + ".");
    const sheet = await response.json();
    const timeline = [];
    for (const stroke of sheet.strokes || []) {
      for (const segment of stroke.segments) timeline.push({ stroke, segment });
    }
    timeline.forEach((item, i) => {
      item.t = typeof item.segment.t === "number" ? item.segment.t : i * 33;
    });
    timeline.sort((a, b) => a.t - b.t);
    // Idle stretches are cut short: at most two seconds of waiting on screen.
    let clock = 0;
    for (let i = 0; i < timeline.length; i += 1) {
      const gap = i ? timeline[i].t - timeline[i - 1].t : 0;
      clock += Math.min(gap, 2000 * speed);
      timeline[i].at = clock / speed;
    }
    if (sheet.exhibit) applyExhibit(sheet.exhibit);
    showCaption(sheet, speed);
    state.replay = {
      sheet: sheet.sheet,
      speed,
      timeline,
      next: 0,
      startedAt: Date.now(),
      loop: params.get("loop") !== "0",
    };
    setConnection("replay");
  }

  // A replay says what it is (the sheet, its date, the speed) where the live wall
  // has its join card: a replay is not a place to join.
  function showCaption(sheet, speed) {
    const parts = [say("sheet", sheet.sheet)];
    if (typeof sheet.started_at === "number") {
      parts.push(
        new Date(sheet.started_at).toLocaleDateString(document.documentElement.lang || undefined, {
          year: "numeric",
          month: "long",
          day: "numeric",
        }),
      );
    }
    parts.push(say("replay", Math.round(speed * 10) / 10));
    el.caption.textContent = parts.join(" · ");
    el.caption.hidden = false;
  }

  function replayFailed(text) {
    setConnection("error");
    state.error = text;
    el.notice.textContent = text;
    el.notice.hidden = false;
  }

  function replayStep(now) {
    const replay = state.replay;
    const elapsed = now - replay.startedAt;
    while (replay.next < replay.timeline.length && replay.timeline[replay.next].at <= elapsed) {
      const { stroke, segment } = replay.timeline[replay.next];
      sync.addSegment(stroke, segment, sync.serverNow());
      replay.next += 1;
    }
    const total = replay.timeline.length ? replay.timeline[replay.timeline.length - 1].at : 0;
    if (replay.loop && replay.next >= replay.timeline.length && elapsed > total + 10000) {
      sync.known.clear();
      sync.strokes.clear();
      clearInk();
      replay.next = 0;
      replay.startedAt = now;
    }
  }

  // -- the room: attract screen, status, fullscreen, wake lock -----------------------

  function dismissAttract() {
    state.lastInkAt = Date.now();
    if (state.attract) {
      state.attract = false;
      el.attract.hidden = true;
    }
  }

  // The invitation (title, big QR code, one line) shows while the sheet is empty,
  // from the moment the page opens, and again when nobody drew for attract_seconds.
  function checkAttract(now) {
    const seconds = state.exhibit.attract_seconds || 0;
    const empty = !sync.loaded ? state.attract : sync.strokes.size === 0;
    const idle = seconds > 0 && now - state.lastInkAt > seconds * 1000;
    const due = state.mode === "live" && (empty || idle);
    if (due !== state.attract) {
      state.attract = due;
      el.attract.hidden = !due;
    }
  }

  // The title and invitation in each of the curator's languages in turn (the exhibit's
  // invitations: [{lang, dir, title, invitation}]), INVITE_MS each, while the invitation
  // shows. None: the words the page came with, in the wall's own language.

  function showInvitation(now) {
    const list = state.exhibit.invitations || [];
    if (!el.attractTitle) return;
    if (!list.length) {
      if (invite.at) {
        // The curator took the languages away: back to the page's own words.
        invite.at = 0;
        el.attract.lang = invite.own.lang;
        el.attract.dir = invite.own.dir;
        el.attractTitle.textContent = invite.own.title;
        el.attractLine.textContent = invite.own.invitation;
      }
      return;
    }
    if (invite.at && now - invite.at < INVITE_MS) return;
    if (!state.attract && invite.at) return; // hidden: wait where it was
    if (invite.at) invite.index = (invite.index + 1) % list.length;
    invite.at = now;
    const words = list[invite.index % list.length];
    el.attract.lang = words.lang;
    el.attract.dir = words.dir;
    el.attractTitle.textContent = words.title;
    el.attractLine.textContent = words.invitation;
  }

  let frames = 0;
  let frameWindowStart = performance.now();

  function countFrame() {
    frames += 1;
    const now = performance.now();
    if (now - frameWindowStart >= 1000) {
      state.fps = Math.round((frames * 1000) / (now - frameWindowStart));
      state.pointsPerSecond = Math.round((pointsThisSecond * 1000) / (now - frameWindowStart));
      frames = 0;
      pointsThisSecond = 0;
      frameWindowStart = now;
    }
  }

  let statusToggled = params.get("status") === "1";

  function trouble(now) {
    if (state.mode === "replay") return state.connection === "error";
    if (state.connection !== "live") return now - state.since > TROUBLE_AFTER_MS;
    return state.latencyMs !== null && state.latencyMs > 3000;
  }

  function renderStatus() {
    const now = Date.now();
    const bad = trouble(now);
    el.status.hidden = !(statusToggled || bad);
    el.status.classList.toggle("trouble", bad);
    if (el.status.hidden) return;
    const s = sync.stats;
    const lines = [
      "connection  " + state.connection + (state.reconnects ? "  (reconnects " + state.reconnects + ")" : ""),
      "sheet       " + (sync.sheet === null ? "-" : sync.sheet),
      "fps         " + state.fps,
      "points/s    " + state.pointsPerSecond,
      "latency     " + (state.latencyMs === null ? "-" : Math.round(state.latencyMs) + " ms"),
      "segments    " + s.segments + "  frames " + s.framesApplied,
      "gaps        " + s.gaps + "  resyncs " + s.resyncs,
      "phones      " + state.presence.connected + "  drawing " + state.presence.drawing,
      "p5          " + (state.p5Source || "-"),
    ];
    if (state.error) lines.push("error       " + state.error);
    el.status.textContent = lines.join("\n");
  }

  function fullscreen() {
    if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    }
  }

  let wakeLock = null;
  let wakeTriedAt = 0;

  async function keepAwake(event) {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    if (wakeLock && !wakeLock.released) return;
    // Retry now on a gesture or visibility change, else at most twice a minute.
    if (!event && Date.now() - wakeTriedAt < 30000) return;
    wakeTriedAt = Date.now();
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => {
        wakeLock = null;
      });
    } catch {
      wakeLock = null; // not allowed yet (no user gesture, battery saver): retried below
    }
  }

  document.addEventListener("visibilitychange", keepAwake);
  document.addEventListener("click", (event) => {
    fullscreen();
    keepAwake(event);
  });
  document.addEventListener("keydown", (event) => {
    const key = event.key.toLowerCase();
    if (key === "f") fullscreen();
    if (key === "s") {
      statusToggled = !statusToggled;
      renderStatus();
    }
  });

  // -- start -------------------------------------------------------------------------

  window.wall = {
    state,
    sync,
    pen,
    config,
    get stats() {
      return Object.assign({}, sync.stats, {
        fps: state.fps,
        strokes: sync.strokes.size,
        keys: sync.known.size,
      });
    },
    get ready() {
      return !!ink;
    },
    get pens() {
      return Array.from(pens.values());
    },
    keys() {
      return Array.from(sync.known).sort();
    },
    reconnect() {
      if (socket) socket.close();
    },
  };

  window.p5Ready.then(
    (P5) => {
      state.p5Source = window.p5Source;
      new P5(sketch);
      if (state.mode === "replay") startReplay();
      else {
        retry.listen(window, document, wake);
        connect();
      }
    },
    (error) => {
      setConnection("error");
      state.error = error.message;
      el.notice.textContent = say("no_p5");
      el.notice.hidden = false;
    },
  );

  setInterval(() => {
    const now = Date.now();
    watchdog();
    checkAttract(now);
    showInvitation(now);
    renderStatus();
    keepAwake();
  }, 1000);
})();
