// The wall's link to /ws/wall/: connect, hand every message to the sync state, come
// back with capped, jittered backoff (static/reconnect.js) counted as recovered only
// once the sheet has loaded, and notice a dead link the browser has not noticed.
import { Reconnector } from "../reconnect.js";

export const BLOCKED = 4003; // close code: this wall may not connect (never retried)
export const STUCK_HANDSHAKE_MS = 1000;
const CONNECTING = 0; // WebSocket.readyState

// The link's states: starting, connecting, loading, live, waiting, blocked (and the
// page's own: replay, error).
export class WallConnection {
  #socket = null;
  #lastMessageAt = Date.now();
  #heartbeatMs = 5000;
  #retry;

  // url: the WebSocket address; sync: the WallSync;
  // backoffMax: the backoff's ceiling (ms); onMessage(message): the page's look at each
  // message (pens, latency, the banner); onLive(): the sheet loaded; open(url): a new
  // WebSocket (tests pass a stand-in).
  constructor({ url, sync, backoffMax = 1000, onMessage, onLive, open }) {
    this.url = url;
    this.open = open || ((address) => new WebSocket(address));
    this.sync = sync;
    this.onMessage = onMessage || (() => {});
    this.onLive = onLive || (() => {});
    this.state = "starting";
    this.since = Date.now();
    this.reconnects = 0;
    this.#retry = new Reconnector(() => this.connect(), {
      max: backoffMax,
      base: Math.min(250, backoffMax),
    });
  }

  // Also set by the page for a replay ("loading", "replay", "error").
  set(name) {
    if (this.state !== name) {
      this.state = name;
      this.since = Date.now();
    }
  }

  // Connect now, and again at once when the page wakes (visible, online).
  start(win, doc) {
    this.#retry.listen(win, doc, () => this.#wake());
    this.connect();
  }

  connect() {
    const ws = this.open(this.url);
    this.#socket = ws;
    this.set("connecting");
    this.#lastMessageAt = Date.now();
    const startedAt = performance.now();
    ws.onopen = () => this.sync.handshake(performance.now() - startedAt);
    ws.onmessage = (event) => {
      if (ws !== this.#socket) return;
      this.#lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.#receive(ws, message);
    };
    ws.onclose = (event) => {
      if (ws !== this.#socket) return;
      this.#socket = null;
      this.sync.disconnected();
      if (event.code === BLOCKED) {
        this.#retry.stop();
        this.set("blocked");
        return;
      }
      this.#lost(); // 1006, 1012 restart, 4010 too slow, ...
    };
  }

  // Close the socket (tests; the close handler reconnects).
  close() {
    if (this.#socket) this.#socket.close();
  }

  #receive(ws, message) {
    if (message.type === "hello") {
      this.#heartbeatMs = (message.heartbeat || 5) * 1000;
      this.set("loading");
      this.sync.connected(message).then(
        () => {
          if (ws !== this.#socket) return;
          this.#retry.ok();
          this.set("live");
          this.onLive();
        },
        () => {
          if (ws === this.#socket) ws.close(); // the sheet did not load: start over, later
        },
      );
      return;
    }
    if (message.type === "frame" || message.type === "heartbeat") this.sync.clockSample(message.time);
    this.onMessage(message);
    this.sync.handle(message);
  }

  #lost() {
    if (this.#retry.waiting()) return;
    this.set("waiting");
    this.reconnects += 1;
    this.#retry.lost();
  }

  #drop(socket, code, reason) {
    this.#socket = null;
    this.sync.disconnected();
    try {
      socket.close(code, reason);
    } catch {
      /* never opened, or already closing */
    }
    this.#lost();
  }

  // Back in front of people or on the network: a handshake stuck on the old network
  // is dropped, and a waiting retry goes at once (the Reconnector's listen).
  #wake() {
    const socket = this.#socket;
    const stuck = Date.now() - this.since > STUCK_HANDSHAKE_MS;
    if (socket && socket.readyState === CONNECTING && stuck) this.#drop(socket);
  }

  // No frame or heartbeat for three heartbeats: the connection is dead even if the
  // browser has not noticed (a sleeping switch, a NAT that forgot us). Called every second.
  watchdog(now) {
    const socket = this.#socket;
    if (!socket) return;
    const limit = Math.max(15000, this.#heartbeatMs * 3);
    if (now - this.#lastMessageAt > limit) this.#drop(socket, 4000, "watchdog");
  }
}
