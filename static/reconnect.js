/* Getting back to the server, shared by the phone (controller/phone.js) and the wall
   (projector/connection.js). An ES module, no DOM at load time, no build step: tested
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

export class Backoff {
  constructor(options = {}) {
    this.base = options.base || 250; // the ceiling of the second retry
    this.max = options.max || 1000; // the ceiling from then on
    this.random = options.random || Math.random;
    this.attempts = 0;
  }

  /* The ceiling of the next delay (0 for the first retry). */
  ceiling() {
    if (this.attempts === 0) return 0;
    return Math.min(this.max, this.base * Math.pow(2, this.attempts - 1));
  }

  /* The delay before the next attempt, in ms; counts the attempt. */
  next() {
    const delay = this.random() * this.ceiling();
    this.attempts++;
    return delay;
  }

  /* Connected (and useful again): the next loss retries at once. */
  reset() {
    this.attempts = 0;
  }
}

/* `connect()` opens a new connection; the page calls `lost()` when one closed or
   failed, `ok()` once it works (welcome, sheet loaded), `now()` to skip the wait,
   `stop()` for good (a blocked phone). */
export class Reconnector {
  constructor(connect, options = {}) {
    this.connect = connect;
    this.backoff = new Backoff(options);
    this.timer = null;
    this.stopped = false;
    this.retries = 0;
    this.setTimeout = options.setTimeout || globalThis.setTimeout.bind(globalThis);
    this.clearTimeout = options.clearTimeout || globalThis.clearTimeout.bind(globalThis);
  }

  lost() {
    if (this.stopped || this.timer !== null) return;
    const delay = this.backoff.next();
    this.retries++;
    this.timer = this.setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  ok() {
    this.backoff.reset();
  }

  waiting() {
    return this.timer !== null;
  }

  /* Retry at once if a retry is waiting; true if it did. */
  now() {
    if (this.stopped || this.timer === null) return false;
    this.clearTimeout(this.timer);
    this.timer = null;
    this.connect();
    return true;
  }

  stop() {
    this.stopped = true;
    if (this.timer !== null) this.clearTimeout(this.timer);
    this.timer = null;
  }

  /* Retry at once when the page becomes visible again or the browser goes online
     (a phone back from the lock screen, a laptop back on the Wi-Fi). `onWake` runs
     first, so a page can drop a connection attempt stuck on the old network. */
  listen(win, doc, onWake) {
    const wake = () => {
      if (onWake) onWake();
      this.now();
    };
    win.addEventListener("online", wake);
    doc.addEventListener("visibilitychange", () => {
      if (!doc.hidden) wake();
    });
  }
}

/* Is the link dead? `oldestSentAt`: when the oldest message still waiting for an
   answer was sent (null if none waits); `lastHeardAt`: the last word from the
   server on this connection. */
export function stalled(oldestSentAt, lastHeardAt, now, limit) {
  if (oldestSentAt === null || oldestSentAt === undefined) return false;
  return now - Math.max(oldestSentAt, lastHeardAt || 0) > limit;
}
