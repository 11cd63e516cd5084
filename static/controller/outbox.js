/* What the phone has drawn and the server has not acknowledged yet, in order.

   Messages wait in `queue` until the page may send them (ink, messages a second);
   a seq is given when a message leaves, so seqs reach the server in order and a
   held message can never be overtaken. Sent messages stay in `flight` until a
   cumulative ack; after a reconnect they are sent again with the same seq, and the
   server drops what it already had. Plain code, no DOM: tested via page.evaluate.

   A stroke survives a reconnect to another (or a restarted) server process: on each
   new connection, the first message of every open stroke carries the stroke's
   `color` and `width` again (its "header"), so a server that never saw the stroke
   start can take it up. */

export function Outbox(limit) {
  this.limit = limit || 1500; // messages held at most; the page stops the line beyond
  this.queue = []; // {kind, stroke, points, before, order}: not sent yet
  this.flight = []; // {seq, wire, item}: sent on this socket, not acknowledged
  this.resend = []; // in flight when the socket closed: sent again, same seq
  this.seq = 0;
  this.acked = 0;
  this.order = 0;
  this.strokes = 0;
  this.open = []; // strokes whose start left and whose end is not acknowledged
  this.stats = { sent: 0, resent: 0, acked: 0, dropped: {}, errors: {}, restarted: 0, joins: 0 };
}

Outbox.prototype.newStroke = function (color, width) {
  return {
    id: ++this.strokes, color: color, width: width, started: false, last: null,
    header: false, // its next message carries color and width (a new connection)
  };
};

Outbox.prototype.size = function () {
  return this.queue.length + this.flight.length + this.resend.length;
};

Outbox.prototype.full = function () {
  return this.size() >= this.limit;
};

function count(list, field) {
  var n = 0;
  for (var i = 0; i < list.length; i++) n += list[i][field].points.length;
  return n;
}

function self(e) {
  return { points: e.points };
}

/* Points sent on this socket and not yet acknowledged (the server may not have
   charged them yet). */
Outbox.prototype.inFlight = function () {
  return count(this.flight, "wire");
};

/* Points waiting to leave: the server will charge them when they do. */
Outbox.prototype.waiting = function () {
  var n = count(this.resend, "wire");
  for (var i = 0; i < this.queue.length; i++) n += this.queue[i].points.length;
  return n;
};

/* Add a batch of a stroke's points; `end` closes the stroke. A stroke's first
   batch is its `start` (it needs at least one point). While a batch waits to be
   sent, later points join it, up to `max` points a message. */
Outbox.prototype.add = function (stroke, points, end, max) {
  var last = this.queue[this.queue.length - 1];
  if (!end && stroke.started && last && last.stroke === stroke && last.kind !== "end" &&
      last.kind !== "undo" &&
      last.points.length + points.length <= (max || 63)) {
    // The last batch is still held back (ink, messages a second): it takes these too.
    last.points = last.points.concat(points);
    if (points.length) stroke.last = points[points.length - 1];
    return;
  }
  if (!stroke.started) {
    if (!points.length) return; // nothing was drawn: nothing to send
    this._push({ kind: "start", stroke: stroke, points: points, before: null });
    stroke.started = true;
    stroke.last = points[points.length - 1];
    if (end) this._push({ kind: "end", stroke: stroke, points: [], before: stroke.last });
    return;
  }
  this._push({ kind: end ? "end" : "points", stroke: stroke, points: points, before: stroke.last });
  if (points.length) stroke.last = points[points.length - 1];
};

/* Strokes in colour `from` whose start has not left yet change to `to` (drawn
   before the first welcome said which colour is the visitor's); how many. */
Outbox.prototype.recolor = function (from, to) {
  var n = 0;
  for (var i = 0; i < this.queue.length; i++) {
    var stroke = this.queue[i].stroke;
    if (this.queue[i].kind === "start" && stroke.color === from) {
      stroke.color = to;
      if (stroke.local) stroke.local.color = to;
      n++;
    }
  }
  return n;
};

/* Take a stroke back: sent, resent and acknowledged like its own messages. */
Outbox.prototype.undo = function (stroke) {
  this._push({ kind: "undo", stroke: stroke, points: [], before: null });
};

Outbox.prototype._push = function (item) {
  item.order = ++this.order;
  this.queue.push(item);
};

/* The next message's points (for the ink check), or null if nothing waits. */
Outbox.prototype.head = function () {
  if (this.resend.length) return self(this.resend[0].wire);
  return this.queue.length ? self(this.queue[0]) : null;
};

/* Take the next message to send, as it goes on the wire. `now`: when it leaves
   (for the stall check). */
Outbox.prototype.take = function (now) {
  var entry;
  if (this.resend.length) {
    entry = this.resend.shift();
    this.stats.resent++;
  } else if (this.queue.length) {
    var item = this.queue.shift();
    var wire = { type: item.kind, seq: ++this.seq, stroke: item.stroke.id, points: item.points };
    if (item.kind === "undo") delete wire.points;
    if (item.kind === "start") {
      wire.color = item.stroke.color;
      wire.width = item.stroke.width;
    }
    entry = { seq: wire.seq, wire: wire, item: item };
    this.stats.sent++;
  } else {
    return null;
  }
  var stroke = entry.item && entry.item.kind !== "undo" && entry.item.stroke;
  if (stroke) {
    if (entry.wire.type === "start") {
      stroke.header = false;
      if (this.open.indexOf(stroke) < 0) this.open.push(stroke);
    } else if (stroke.header && entry.wire.stroke === stroke.id) {
      // The first message of an open stroke on this connection: its header again.
      entry.wire = Object.assign({}, entry.wire, { color: stroke.color, width: stroke.width });
      stroke.header = false;
      this.stats.headers = (this.stats.headers || 0) + 1;
    }
  }
  entry.sentAt = now === undefined ? 0 : now;
  this.flight.push(entry);
  return entry.wire;
};

/* When the oldest message waiting for an ack was sent, or null. */
Outbox.prototype.oldestSent = function () {
  return this.flight.length ? this.flight[0].sentAt : null;
};

function after(list, seq) {
  var i = 0;
  while (i < list.length && list[i].seq <= seq) i++;
  return i ? list.slice(i) : list;
}

/* A cumulative ack: everything up to `seq` was handled (drawn, or dropped). */
Outbox.prototype.ack = function (seq, dropped) {
  var lists = [this.flight, this.resend];
  for (var l = 0; l < 2; l++) {
    for (var i = 0; i < lists[l].length && lists[l][i].seq <= seq; i++) {
      var done = lists[l][i];
      if (done.wire.type === "end" && done.item) this._close(done.item.stroke);
    }
  }
  if (seq > this.acked) {
    this.stats.acked += this.flight.length - after(this.flight, seq).length;
    this.acked = seq;
  }
  this.flight = after(this.flight, seq);
  this.resend = after(this.resend, seq);
  if (dropped) this.stats.dropped[dropped] = (this.stats.dropped[dropped] || 0) + 1;
};

Outbox.prototype._close = function (stroke) {
  var i = this.open.indexOf(stroke);
  if (i >= 0) {
    this.open.splice(i, 1);
    this.stats.landed = (this.stats.landed || 0) + 1; // a whole stroke is stored
  }
};

/* The socket closed: what was in flight goes out again, first, with the same seq,
   and every open stroke's next message carries its header. */
Outbox.prototype.disconnected = function () {
  this.resend = this.flight.concat(this.resend).sort(function (a, b) {
    return a.seq - b.seq;
  });
  this.flight = [];
  for (var i = 0; i < this.open.length; i++) this.open[i].header = true;
};

/* `seq_gap`: the server expects `expected` next and did not take what came after
   it. Whatever was sent from `expected` on goes out again, in order (the server
   drops any of it that it turns out to have). Stale gap errors for messages sent
   before the first one was handled move nothing twice. */
Outbox.prototype.seqGap = function (expected) {
  this.stats.errors.seq_gap = (this.stats.errors.seq_gap || 0) + 1;
  if (typeof expected !== "number") return;
  // Below `expected` the server has the messages (they are acked once stored).
  var keep = [];
  var again = [];
  for (var i = 0; i < this.flight.length; i++) {
    (this.flight[i].seq >= expected ? again : keep).push(this.flight[i]);
  }
  if (!again.length) return;
  this.flight = keep;
  this.resend = again.concat(this.resend).sort(function (a, b) {
    return a.seq - b.seq;
  });
};

/* A new socket's welcome: the server has handled up to `acked` for this client
   (0 if it forgot us, e.g. after a restart: then our own count stands). */
Outbox.prototype.welcome = function (acked) {
  this.disconnected();
  this.ack(Math.max(this.acked, acked || 0));
};

/* The server answered message `seq` with an error: it consumed the seq and drew
   nothing. For `unknown_stroke` (the stroke's start went to a server that no
   longer knows it) the stroke starts again from its last point. Returns the item. */
Outbox.prototype.error = function (code, seq) {
  this.stats.errors[code] = (this.stats.errors[code] || 0) + 1;
  if (seq == null) return null;
  var entry = null;
  for (var i = 0; i < this.flight.length; i++) {
    if (this.flight[i].seq === seq) entry = this.flight[i];
  }
  this.ack(seq);
  if (code !== "unknown_stroke" || !entry || !entry.item || entry.item.kind === "undo") {
    return entry && entry.item;
  }
  var item = entry.item;
  var stroke = item.stroke;
  if (entry.wire.stroke !== stroke.id) {
    this._requeue(item); // the stroke already starts again: this batch follows it
    return;
  }
  stroke.id = ++this.strokes;
  this.stats.restarted++;
  var points = item.points;
  if (item.before) {
    points = [item.before].concat(points);
    this.stats.joins++;
  }
  this._requeue({ kind: "start", stroke: stroke, points: points, before: null, order: item.order });
  if (item.kind === "end") {
    this._requeue({ kind: "end", stroke: stroke, points: [], before: null, order: item.order + 0.5 });
  }
};

Outbox.prototype._requeue = function (item) {
  var i = 0;
  while (i < this.queue.length && this.queue[i].order < item.order) i++;
  this.queue.splice(i, 0, item);
};
