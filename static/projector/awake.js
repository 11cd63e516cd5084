// A wall stays in front of people: fullscreen on a click or the F key, and a screen
// wake lock, asked again whenever it was lost (a lock needs a visible page, and
// sometimes a user gesture first).

export function fullscreen(doc) {
  if (!doc.fullscreenElement && doc.documentElement.requestFullscreen) {
    doc.documentElement.requestFullscreen().catch(() => {});
  }
}

export class WakeLock {
  #lock = null;
  #triedAt = 0;

  // event: a gesture or a visibility change (retry now); none: the page's once a
  // second (retry at most twice a minute).
  async keep(event) {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    if (this.#lock && !this.#lock.released) return;
    if (!event && Date.now() - this.#triedAt < 30000) return;
    this.#triedAt = Date.now();
    try {
      this.#lock = await navigator.wakeLock.request("screen");
      this.#lock.addEventListener("release", () => {
        this.#lock = null;
      });
    } catch {
      this.#lock = null; // not allowed yet (no user gesture, battery saver): retried later
    }
  }
}
