// Live pens: a soft ring in the visitor's colour where each pen is now, from the
// frames' last points; a pen that sent nothing for a while, or lifted, fades out.

export const PEN_IDLE_MS = 700; // a pen that sent nothing for this long fades out
export const PEN_FADE_MS = 400;

export class LivePens {
  #pens = new Map(); // stroke key -> {x, y, color, at, ended}

  get size() {
    return this.#pens.size;
  }

  list() {
    return Array.from(this.#pens.values());
  }

  // A live frame arrived at `now`: each stroke's pen moves to its last point.
  note(frame, now) {
    for (const segment of frame.segments || []) {
      const points = segment.points || [];
      const last = points[points.length - 1];
      const pen = this.#pens.get(segment.stroke);
      if (!last && !pen) continue;
      this.#pens.set(segment.stroke, {
        x: last ? last[0] : pen.x,
        y: last ? last[1] : pen.y,
        color: segment.color || (pen && pen.color) || "#ffffff",
        at: now,
        ended: !!segment.end,
      });
    }
  }

  // A pen's opacity at `now`: 1 while it draws, then down to 0 over PEN_FADE_MS.
  static alpha(pen, now) {
    const quiet = now - pen.at - (pen.ended ? 0 : PEN_IDLE_MS);
    return quiet <= 0 ? 1 : 1 - quiet / PEN_FADE_MS;
  }

  // Rings over the canvas box (CSS px, `density` device px each), clipped to it: the
  // next blit of the ink wipes them. Pens that faded out are forgotten.
  draw(ctx, box, density, now) {
    if (!this.#pens.size) return;
    const radius = Math.max(10, box.w * 0.014);
    ctx.save();
    ctx.setTransform(density, 0, 0, density, 0, 0);
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    for (const [key, pen] of this.#pens) {
      const alpha = LivePens.alpha(pen, now);
      if (alpha <= 0) {
        this.#pens.delete(key);
        continue;
      }
      const x = box.x + pen.x * box.w;
      const y = box.y + pen.y * box.h;
      ctx.globalAlpha = 0.18 * alpha;
      ctx.fillStyle = pen.color;
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, Math.PI * 2);
      ctx.fill();
      ctx.globalAlpha = 0.75 * alpha;
      ctx.strokeStyle = pen.color;
      ctx.lineWidth = Math.max(2, radius / 5);
      ctx.stroke();
    }
    ctx.restore();
  }
}
