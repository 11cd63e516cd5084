/* The phone's connection as a pure state machine: step(conn, event) gives the next
   state and the actions for phone.js to do. No DOM, socket or timers. It follows
   docs/protocol.md, "A phone's connection, step by step" and "Close codes". */
import { stalled } from "../reconnect.js";

export const OPEN_MS = 5000; // a handshake that has not opened by then is dropped
export const WELCOME_MS = 10000; // nor welcomed by then
const STALL_MS = 6000; // unanswered this long with nothing heard: the link is dead

// state: connecting, live, reconnecting, paused, full (position), blocked.
// link: null, "opening" or "open". idle: closed idle while hidden, waits for the visitor.
export function initial() {
  return { state: "connecting", link: null, welcomed: false, position: 0,
           fullBeforeWelcome: false, since: 0, idle: false, stopped: false };
}

export function canDraw(state) {
  return state !== "paused" && state !== "full" && state !== "blocked";
}

/* [key, values] of the page's words: the status line, the notice (or null). */
export function labelFor(state, position) {
  return [state, state === "full" ? { n: position || "?" } : {}];
}

export function noticeFor(state, position) {
  if (state === "full") return ["full_notice", { n: position || "?" }];
  return state === "paused" || state === "blocked" ? [state + "_notice", {}] : null;
}

/* Events: connect {at}, open, message {message}, close {code, hidden},
   timeout {waited} (ms since connect), tick {oldestSent, lastHeard, at}, wake {at}.
   Actions: hello, new_client, welcome, ok (reset the backoff), drop, retry (after
   the backoff), connect (at once), stop. announce: show the state again. */
export function step(conn, event) {
  const next = { ...conn };
  const actions = [];
  let announce = false;
  if (conn.stopped) return { conn: next, actions, announce };
  const t = event.type;
  if (t === "connect") {
    Object.assign(next, { link: "opening", welcomed: false, position: 0,
                          fullBeforeWelcome: false, since: event.at || 0, idle: false });
  } else if (t === "open") {
    next.link = "open";
    actions.push("hello");
  } else if (t === "message") {
    announce = onMessage(next, event.message || {}, actions);
  } else if (t === "close") {
    announce = true;
    Object.assign(next, { link: null, welcomed: false, state: "reconnecting" });
    if (event.code === 4003) {
      Object.assign(next, { state: "blocked", stopped: true }); // blocked: never again
      actions.push("stop");
    } else if (event.code === 4008 && event.hidden) {
      next.idle = true; // idle and nobody looking: back when the visitor is
    } else {
      // At once, then with backoff; only a welcome resets it (so 4029 backs off).
      actions.push("retry");
    }
  } else if (t === "timeout") {
    const late = conn.link === "opening" ? OPEN_MS : WELCOME_MS;
    if (conn.link && !conn.welcomed && event.waited >= late) actions.push("drop");
  } else if (t === "tick") {
    // A dead Wi-Fi link sends no close: stop waiting for it.
    if (conn.link && stalled(event.oldestSent, event.lastHeard, event.at, STALL_MS)) actions.push("drop");
  } else if (t === "wake") {
    // A handshake begun on the old network may never finish: drop it, try again.
    if (conn.link && !conn.welcomed && event.at - conn.since > 1000) actions.push("drop");
    if (!conn.link && conn.idle) {
      next.idle = false;
      actions.push("connect");
    }
  }
  return { conn: next, actions, announce };
}

/* A message's part in the state; true if the state is to be shown. */
function onMessage(next, m, actions) {
  if (m.type === "welcome") {
    next.welcomed = true;
    if (m.state === "full" && m.position) next.position = m.position;
    // Told "full" before a welcome that says "live": the line's word stands.
    next.state = m.state === "live" && next.fullBeforeWelcome ? "full" : m.state;
    actions.push("ok", "welcome");
    return true;
  }
  if (m.type === "state") {
    if (m.state === "full") next.position = m.position || 0;
    if (!next.welcomed && m.state === "full") {
      next.fullBeforeWelcome = true;
      return false;
    }
    next.state = m.state;
    return true;
  }
  if (m.type === "error" && m.code === "client_taken") {
    // Our id is another device's: a new one, and hello again on this socket.
    next.welcomed = false;
    actions.push("new_client");
    if (next.link === "open") actions.push("hello");
  }
  return false;
}
