/* Getting back to the server, shared by the phone (controller/phone.js) and the wall
   (projector/wall.js). Plain script, no DOM at load time, no build step: tested
   through page.evaluate (tests/test_reconnect_module.py).

   - Backoff: the first retry goes at once; then "full jitter" (a uniform delay
     between 0 and a ceiling that doubles from 250 ms up to 1 s). A crowd that lost
     the server together comes back spread over a second, and whoever is waiting
     tries again at most 1 s after the server answers (p95 under 1.5 s with the
     handshake).
   - Reconnector: owns the retry timer; `now()` retries at once (the page became
     visible, the browser went online).
   - stalled(): a link is dead when something waits for an answer and nothing was
     heard since it was sent, nor in the last `limit` ms. Measured from the oldest
     unanswered message, not from the last word heard: after a visitor's pause the
     last word is old, and that says nothing about the link. */
(function (root) {
  "use strict";

  function Backoff(options) {
    options = options || {};
    this.base = options.base || 250; // the ceiling of the second retry
    this.max = options.max || 1000; // the ceiling from then on
    this.random = options.random || Math.random;
    this.attempts = 0;
  }

  /* The ceiling of the next delay (0 for the first retry). */
  Backoff.prototype.ceiling = function () {
    if (this.attempts === 0) return 0;
    return Math.min(this.max, this.base * Math.pow(2, this.attempts - 1));
  };

  /* The delay before the next attempt, in ms; counts the attempt. */
  Backoff.prototype.next = function () {
    var delay = this.random() * this.ceiling();
    this.attempts++;
    return delay;
  };

  /* Connected (and useful again): the next loss retries at once. */
  Backoff.prototype.reset = function () {
    this.attempts = 0;
  };

  /* `connect()` opens a new connection; the page calls `lost()` when one closed or
     failed, `ok()` once it works (welcome, sheet loaded), `now()` to skip the wait,
     `stop()` for good (a blocked phone). */
  function Reconnector(connect, options) {
    options = options || {};
    this.connect = connect;
    this.backoff = new Backoff(options);
    this.timer = null;
    this.stopped = false;
    this.retries = 0;
    this.setTimeout = options.setTimeout || root.setTimeout.bind(root);
    this.clearTimeout = options.clearTimeout || root.clearTimeout.bind(root);
  }

  Reconnector.prototype.lost = function () {
    if (this.stopped || this.timer !== null) return;
    var self = this;
    var delay = this.backoff.next();
    this.retries++;
    this.timer = this.setTimeout(function () {
      self.timer = null;
      if (!self.stopped) self.connect();
    }, delay);
  };

  Reconnector.prototype.ok = function () {
    this.backoff.reset();
  };

  Reconnector.prototype.waiting = function () {
    return this.timer !== null;
  };

  /* Retry at once if a retry is waiting; true if it did. */
  Reconnector.prototype.now = function () {
    if (this.stopped || this.timer === null) return false;
    this.clearTimeout(this.timer);
    this.timer = null;
    this.connect();
    return true;
  };

  Reconnector.prototype.stop = function () {
    this.stopped = true;
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
  };

  /* Retry at once when the page becomes visible again or the browser goes online
     (a phone back from the lock screen, a laptop back on the Wi-Fi). `onWake` runs
     first, so a page can drop a connection attempt stuck on the old network. */
  Reconnector.prototype.listen = function (win, doc, onWake) {
    var self = this;
    function wake() {
      if (onWake) onWake();
      self.now();
    }
    win.addEventListener("online", wake);
    doc.addEventListener("visibilitychange", function () {
      if (!doc.hidden) wake();
    });
  };

  /* Is the link dead? `oldestSentAt`: when the oldest message still waiting for an
     answer was sent (null if none waits); `lastHeardAt`: the last word from the
     server on this connection. */
  function stalled(oldestSentAt, lastHeardAt, now, limit) {
    if (oldestSentAt === null || oldestSentAt === undefined) return false;
    return now - Math.max(oldestSentAt, lastHeardAt || 0) > limit;
  }

  root.Reconnect = { Backoff: Backoff, Reconnector: Reconnector, stalled: stalled };
})(typeof window !== "undefined" ? window : globalThis);
