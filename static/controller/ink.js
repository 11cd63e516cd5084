/* The phone's mirror of the server's ink bucket (controller/ink.py) and of its
   messages-a-second cap, so the page throttles itself before the server would.
   Plain functions, no DOM: tested through page.evaluate. */

/* A conservative estimate of the server's bucket. After an ack the server had
   `level` points; the messages still in flight and those sent since are charged
   in full, and the refill is capped first, so the estimate never exceeds the
   server's own level (a token bucket never falls below min(burst, L + r*t) - spent). */
export function Ink(rate, burst, level, now) {
  this.rate = rate;
  this.burst = burst;
  this.base = level == null ? burst : level;
  this.since = now;
  this.charged = 0;
}

Ink.prototype.configure = function (rate, burst, now) {
  this.base = Math.min(burst, this.refilled(now));
  this.since = now;
  this.rate = rate;
  this.burst = burst;
};

/* The server's level at `now` if nothing more is sent (before charges). */
Ink.prototype.refilled = function (now) {
  var dt = Math.max(0, now - this.since) / 1000;
  return Math.min(this.burst, this.base + dt * this.rate);
};

/* What the server has at `now`, counting everything sent as already charged. */
Ink.prototype.server = function (now) {
  return this.refilled(now) - this.charged;
};

/* The server said its level was `level`; `inFlight` points were sent but not yet handled. */
Ink.prototype.anchor = function (level, inFlight, now) {
  this.base = Math.min(this.burst, level);
  this.since = now;
  this.charged = inFlight;
};

Ink.prototype.canSend = function (points, now) {
  return points <= this.server(now) + 1e-9;
};

Ink.prototype.sent = function (points) {
  this.charged += points;
};

/* Seconds until `points` can be sent, at the refill rate. */
Ink.prototype.wait = function (points, now) {
  var missing = points - this.server(now);
  return missing <= 0 ? 0 : missing / this.rate;
};

/* Messages a second: a sliding window kept under `limit` times `margin`, so the
   server's fixed one-second window never sees more than `limit` even when a few
   messages arrive bunched. */
export function Rate(limit, margin) {
  this.limit = limit;
  this.margin = margin || 0.75;
  this.times = [];
}

Rate.prototype.cap = function () {
  return Math.max(1, Math.floor(this.limit * this.margin));
};

Rate.prototype.allow = function (now) {
  var times = this.times;
  while (times.length && now - times[0] >= 1000) times.shift();
  return times.length < this.cap();
};

Rate.prototype.note = function (now) {
  this.times.push(now);
};
