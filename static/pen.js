// Draws strokes onto a 2D context, a few points at a time: quadratic curves through
// the midpoints of successive points (smooth, and each new point only adds one curve),
// width from the stroke's width (a fraction of the canvas width) and pressure.
// The wall calls it with its persistent p5.Graphics buffer's context, the phone with
// its pad's; no DOM here. An ES module, shared by both pages.

// Pressure 0..1 scales the width between 40 % and 160 %; no pressure is 100 %.
function pressureScale(point) {
  return point.length > 2 && Number.isFinite(point[2]) ? 0.4 + 1.2 * point[2] : 1;
}

export class WallPen {
  // Round caps and joins, at the canvas's pixel density: before drawing on `ctx`.
  static prepare(ctx, density) {
    ctx.setTransform(density, 0, 0, density, 0, 0);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.globalCompositeOperation = "source-over";
  }

  constructor() {
    this.pens = new Map(); // stroke key -> {x, y, mx, my, w}
  }

  forget() {
    this.pens.clear();
  }

  // Continue `stroke` with one segment's points. W, H: the buffer's size in CSS px.
  // One path per segment (not per point): a third of the stroke() calls under a
  // crowd; the width follows pressure from one segment (~33 ms) to the next.
  segment(ctx, stroke, entry, W, H, alpha) {
    const points = entry.points;
    if (!points.length && !entry.end) return;
    const base = Math.max(0.75, (stroke.width || 0.006) * W);
    let pen = this.pens.get(stroke.stroke);
    ctx.globalAlpha = alpha === undefined ? 1 : alpha;
    ctx.strokeStyle = stroke.color;
    let i = 0;
    if (!pen && points.length) {
      // The stroke's first point: a dot, so a tap leaves a mark too.
      const p = points[0];
      const x = p[0] * W;
      const y = p[1] * H;
      const w = base * pressureScale(p);
      ctx.fillStyle = stroke.color;
      ctx.beginPath();
      ctx.arc(x, y, w / 2, 0, Math.PI * 2);
      ctx.fill();
      pen = { x, y, mx: x, my: y, w };
      this.pens.set(stroke.stroke, pen);
      i = 1;
    }
    if (!pen) return;
    if (i < points.length || entry.end) {
      let widths = pen.w;
      let count = 1;
      ctx.beginPath();
      ctx.moveTo(pen.mx, pen.my);
      for (; i < points.length; i += 1) {
        const p = points[i];
        const x = p[0] * W;
        const y = p[1] * H;
        const mx = (pen.x + x) / 2;
        const my = (pen.y + y) / 2;
        ctx.quadraticCurveTo(pen.x, pen.y, mx, my);
        pen.x = x;
        pen.y = y;
        pen.mx = mx;
        pen.my = my;
        pen.w = base * pressureScale(p);
        widths += pen.w;
        count += 1;
      }
      // The curve stops half-way to the last point until the next one; at the
      // stroke's end, finish it.
      if (entry.end) ctx.lineTo(pen.x, pen.y);
      ctx.lineWidth = widths / count;
      ctx.stroke();
    }
    if (entry.end) this.pens.delete(stroke.stroke);
  }

  // Redraw every stroke from the model; alphaOf(entry) gives each segment's opacity.
  redraw(ctx, strokes, W, H, alphaOf) {
    this.forget();
    for (const stroke of strokes.values()) {
      for (const entry of stroke.segments) {
        const alpha = alphaOf ? alphaOf(entry) : 1;
        this.segment(ctx, stroke, entry, W, H, alpha);
      }
    }
    ctx.globalAlpha = 1;
  }
}

