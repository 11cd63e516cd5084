// The status panel (#status): the link, the sheet, fps, latency, sync counters. Hidden
// unless the technician asks for it (the S key, ?status=1) or something is wrong.

export const TROUBLE_AFTER_MS = 4000; // a blip shorter than this shows nothing
export const LATE_MS = 3000; // ink this late on the wall is trouble

// Is something wrong worth showing in the room? link: {state, since}; replay: the
// page plays a stored sheet; latencyMs: the last frame's delay (null: none yet).
export function inTrouble(link, replay, latencyMs, now) {
  if (replay) return link.state === "error";
  if (link.state !== "live") return now - link.since > TROUBLE_AFTER_MS;
  return latencyMs !== null && latencyMs > LATE_MS;
}

// Frames and points a second, over the last second.
export class FrameMeter {
  fps = 0;
  pointsPerSecond = 0;
  #frames = 0;
  #points = 0;
  #windowStart = 0;

  points(n) {
    this.#points += n;
  }

  // A p5 frame at `now` (performance.now()).
  frame(now) {
    if (!this.#windowStart) this.#windowStart = now;
    this.#frames += 1;
    const span = now - this.#windowStart;
    if (span >= 1000) {
      this.fps = Math.round((this.#frames * 1000) / span);
      this.pointsPerSecond = Math.round((this.#points * 1000) / span);
      this.#frames = 0;
      this.#points = 0;
      this.#windowStart = now;
    }
  }
}

export class StatusPanel {
  #element;

  constructor(element, toggled) {
    this.#element = element;
    this.toggled = toggled;
  }

  toggle() {
    this.toggled = !this.toggled;
  }

  // lines(): the panel's text, asked for only when it shows.
  render(trouble, lines) {
    const element = this.#element;
    element.hidden = !(this.toggled || trouble);
    element.classList.toggle("trouble", trouble);
    if (!element.hidden) element.textContent = lines().join("\n");
  }
}

// The panel's lines, from the page's readings.
export function statusLines({ link, sync, meter, latencyMs, presence, p5Source, error }) {
  const s = sync.stats;
  const lines = [
    "connection  " + link.state + (link.reconnects ? "  (reconnects " + link.reconnects + ")" : ""),
    "sheet       " + (sync.sheet === null ? "-" : sync.sheet),
    "fps         " + meter.fps,
    "points/s    " + meter.pointsPerSecond,
    "latency     " + (latencyMs === null ? "-" : Math.round(latencyMs) + " ms"),
    "segments    " + s.segments + "  frames " + s.framesApplied,
    "gaps        " + s.gaps + "  resyncs " + s.resyncs,
    "phones      " + presence.connected + "  drawing " + presence.drawing,
    "p5          " + (p5Source || "-"),
  ];
  if (error) lines.push("error       " + error);
  return lines;
}
