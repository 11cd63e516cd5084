// The replay's timeline: a stored sheet's segments in the order they were drawn, at
// `speed` times their pace, idle stretches cut to two seconds on screen, and which
// of them are due at a clock reading. Pure: no DOM, no p5, no clock of its own (the
// page passes Date.now()), so tests drive it with numbers.

export const MAX_IDLE_MS = 2000; // the longest wait on screen between two segments
export const LOOP_PAUSE_MS = 10000; // the finished picture stays this long before a loop
export const UNTIMED_STEP_MS = 33; // segments without `t` (old sheets): one a frame

// [{stroke, segment, at}] sorted by `at`, the ms after the start when each is drawn.
export function schedule(strokes, speed) {
  const items = [];
  for (const stroke of strokes || []) {
    for (const segment of stroke.segments) items.push({ stroke, segment });
  }
  items.forEach((item, i) => {
    item.t = typeof item.segment.t === "number" ? item.segment.t : i * UNTIMED_STEP_MS;
  });
  items.sort((a, b) => a.t - b.t);
  let clock = 0;
  for (let i = 0; i < items.length; i += 1) {
    const gap = i ? items[i].t - items[i - 1].t : 0;
    clock += Math.min(gap, MAX_IDLE_MS * speed);
    items[i].at = clock / speed;
  }
  return items.map(({ stroke, segment, at }) => ({ stroke, segment, at }));
}

export class ReplayTimeline {
  // strokes: the sheet's strokes ({stroke, color, width, segments: [{key, points, t}]});
  // startedAt: the clock reading the replay starts at; loop: start over when done.
  constructor(strokes, { speed = 10, loop = true, startedAt = 0 } = {}) {
    this.speed = speed;
    this.loop = loop;
    this.items = schedule(strokes, speed);
    this.startedAt = startedAt;
    this.next = 0;
  }

  // How long the replay takes on screen, in ms.
  get duration() {
    return this.items.length ? this.items[this.items.length - 1].at : 0;
  }

  get finished() {
    return this.next >= this.items.length;
  }

  // What to draw at clock reading `now`: the segments that came due since the last
  // call ([{stroke, segment}], in order), and `restart` when a loop began over (the
  // page clears the picture before drawing them).
  due(now) {
    let restart = false;
    if (this.loop && this.finished && now - this.startedAt > this.duration + LOOP_PAUSE_MS) {
      restart = true;
      this.next = 0;
      this.startedAt = now;
    }
    const elapsed = now - this.startedAt;
    const segments = [];
    while (this.next < this.items.length && this.items[this.next].at <= elapsed) {
      const { stroke, segment } = this.items[this.next];
      segments.push({ stroke, segment });
      this.next += 1;
    }
    return { segments, restart };
  }
}
