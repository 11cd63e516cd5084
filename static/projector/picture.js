// The picture on the projector: a p5.js canvas filling the window, with a persistent
// buffer (a p5.Graphics in the exhibit's aspect) that strokes are drawn onto a few
// points at a time by the pen (static/pen.js). Each p5 frame blits the buffer into the
// letterbox and puts the live pens' rings on top, and only when something changed.
import { fadeStepAlpha, fadeStepMs, inkAlpha } from "./fade.js";

const PRUNE_EVERY_MS = 10000; // at most this often the model drops faded-out ink

export class Picture {
  #p5 = null; // the p5 instance
  #ink = null; // p5.Graphics: the persistent buffer
  #density = 1;
  #redrawPending = false;
  #dirty = true; // the ink changed since the last composite
  #framed = false; // the black letterbox around the canvas is painted
  #lastFadeAt = 0;
  #lastPruneAt = Date.now();

  // stage: the element the canvas goes in; sync: the WallSync; pen: a WallPen and
  // prepare: WallPen.prepare; pens: the LivePens; exhibit(): the exhibit now;
  // place(): lays the room out and returns the canvas box {x, y, w, h} (CSS px);
  // onFrame(now): called first in every p5 frame (the replay, the frame meter).
  constructor({ stage, sync, pen, prepare, pens, exhibit, place, onFrame }) {
    Object.assign(this, { stage, sync, pen, prepare, pens, exhibit, place, onFrame });
    this.box = { x: 0, y: 0, w: 1, h: 1 };
  }

  get ready() {
    return !!this.#ink;
  }

  // Start p5 in instance mode (it waits for the page's load event if need be).
  start(P5) {
    new P5((p) => {
      p.setup = () => {
        this.#density = Math.min(window.devicePixelRatio || 1, 3);
        p.pixelDensity(this.#density);
        p.createCanvas(window.innerWidth, window.innerHeight).parent(this.stage);
        p.noCursor();
        this.#p5 = p;
        this.layout();
      };
      p.draw = () => this.#frame(p);
      p.windowResized = () => this.layout();
    });
  }

  // The window or the room changed: place the canvas again and draw the ink again
  // from the data at the new size (not by stretching pixels).
  layout() {
    this.box = this.place();
    const p = this.#p5;
    if (!p) return;
    p.resizeCanvas(window.innerWidth, window.innerHeight);
    this.#framed = false;
    const { w, h } = this.box;
    if (this.#ink) this.#ink.resizeCanvas(w, h);
    else {
      this.#ink = p.createGraphics(w, h);
      this.#ink.pixelDensity(this.#density);
    }
    this.redraw();
  }

  drawSegment(stroke, entry) {
    if (!this.#ink) return;
    this.pen.segment(this.#context(), stroke, entry, this.box.w, this.box.h, this.#alpha(entry));
    this.#dirty = true;
  }

  clear() {
    this.pen.forget();
    // The buffer is opaque (the exhibit's background), so a frame is one blit.
    if (this.#ink) this.#ink.background(this.exhibit().background || "#111111");
    this.#dirty = true;
  }

  // Draw everything again from the model, at the next frame.
  redrawSoon() {
    this.#redrawPending = true;
  }

  redraw() {
    this.#redrawPending = false;
    if (!this.#ink) return;
    this.clear();
    this.pen.redraw(this.#context(), this.sync.strokes(), this.box.w, this.box.h, (entry) =>
      this.#alpha(entry),
    );
  }

  #context() {
    const ctx = this.#ink.drawingContext;
    this.prepare(ctx, this.#density);
    return ctx;
  }

  #alpha(entry) {
    return inkAlpha(this.sync.serverNow() - entry.t, this.exhibit().fade_seconds || 0);
  }

  #frame(p) {
    const now = Date.now();
    this.onFrame(now);
    if (this.#redrawPending) this.redraw();
    this.#fade(now);
    if (this.pens.size) this.#dirty = true; // rings move and fade: composite every frame
    if (!this.#dirty) return; // nothing new: the canvas keeps its pixels, the laptop stays cool
    this.#dirty = false;
    if (!this.#framed) {
      p.background(0);
      this.#framed = true;
    }
    const box = this.box;
    if (this.#ink) p.image(this.#ink, box.x, box.y, box.w, box.h);
    this.pens.draw(p.drawingContext, box, this.#density, now);
  }

  // A slow fade: ink loses a little opacity every step; every fade_seconds the model
  // drops what has faded out and the buffer is redrawn by age (no 8-bit ghosts).
  #fade(now) {
    const exhibit = this.exhibit();
    const fade = exhibit.fade_seconds || 0;
    if (!fade || !this.#ink) return;
    const step = fadeStepMs(fade);
    if (now - this.#lastFadeAt >= step) {
      this.#lastFadeAt = now;
      const ctx = this.#context();
      ctx.globalAlpha = fadeStepAlpha(step, fade);
      ctx.fillStyle = exhibit.background || "#111111";
      ctx.fillRect(0, 0, this.box.w, this.box.h);
      ctx.globalAlpha = 1;
      this.#dirty = true;
    }
    if (now - this.#lastPruneAt >= Math.max(PRUNE_EVERY_MS, fade * 1000)) {
      this.#lastPruneAt = now;
      this.sync.prune(this.sync.serverNow() - fade * 1000);
      this.redraw();
    }
  }
}
