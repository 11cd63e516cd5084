/* The phone's faint view of the wall: what everyone drew, coarse, on its own canvas
   under the pad, so a visitor far from the wall sees where the others drew. The
   visitor's own strokes stay on the pad above it, crisp; this layer never takes input.
   Strokes are drawn opaque in a colour mixed toward the background (not with alpha),
   so a stroke that arrives twice (the sheet, then a view) looks the same, not darker.
   docs/protocol.md, "The view of the wall". */

var FAINT = 0.3; // how much of a stroke's colour shows over the background
var KEEP_POINTS = 40000; // kept to redraw after a resize; older strokes are let go
var RETRY_MS = 2000; // the sheet answered 503 (storage away): ask again this soon

function rgb(hex) {
  var m = /^#?([0-9a-f]{6})$/i.exec(String(hex || ""));
  var n = m ? parseInt(m[1], 16) : 0x111111;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/* `color` faded toward `background`: the faint version of a stroke. */
export function faint(color, background) {
  var c = rgb(color);
  var b = rgb(background);
  var out = [0, 1, 2].map(function (i) {
    return Math.round(b[i] + (c[i] - b[i]) * FAINT);
  });
  return "rgb(" + out.join(",") + ")";
}

export function WallView(canvas, url) {
  this.canvas = canvas;
  this.ctx = canvas.getContext("2d");
  this.url = url;
  this.sheet = null;
  this.strokes = [];
  this.points = 0;
  this.background = "#111111";
  this.size = { w: 1, h: 1, dpr: 1 };
  this.loads = 0; // fetches of the sheet answered (the test hook reads it)
  this.views = 0; // view messages drawn
  this.fetching = null;
  // Strokes taken back on this sheet: a view or the sheet that was already on its way
  // (sent before the undo, or by another server process) must not bring them back.
  this.gone = {};
}

/* Lie exactly under the pad's drawing area (left, top: its content box in the stage). */
WallView.prototype.resize = function (w, h, dpr, left, top, background) {
  this.size = { w: w, h: h, dpr: dpr };
  this.background = background || "#111111";
  var s = this.canvas.style;
  s.left = left + "px";
  s.top = top + "px";
  s.width = w + "px";
  s.height = h + "px";
  this.canvas.width = Math.round(w * dpr);
  this.canvas.height = Math.round(h * dpr);
  this.redraw();
};

WallView.prototype.redraw = function () {
  var ctx = this.ctx;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = this.background;
  ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  ctx.setTransform(this.size.dpr, 0, 0, this.size.dpr, 0, 0);
  for (var i = 0; i < this.strokes.length; i++) this.draw(this.strokes[i]);
};

WallView.prototype.draw = function (stroke) {
  var pts = stroke.points;
  if (!pts || !pts.length) return;
  var ctx = this.ctx;
  var W = this.size.w;
  var H = this.size.h;
  var w = Math.max(1, (stroke.width || 0.006) * W);
  ctx.strokeStyle = ctx.fillStyle = faint(stroke.color, this.background);
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(pts[0][0] * W, pts[0][1] * H, w / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.lineWidth = w;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(pts[0][0] * W, pts[0][1] * H);
  for (var i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0] * W, pts[i][1] * H);
  ctx.stroke();
};

WallView.prototype.keep = function (strokes) {
  for (var i = 0; i < strokes.length; i++) {
    if (this.gone[strokes[i].stroke]) continue;
    this.strokes.push(strokes[i]);
    this.points += strokes[i].points.length;
    this.draw(strokes[i]);
  }
  while (this.points > KEEP_POINTS && this.strokes.length > 1) {
    this.points -= this.strokes.shift().points.length;
  }
};

/* A `view` message: strokes walls were shown lately, on the sheet we are on. */
WallView.prototype.add = function (m) {
  if (m.sheet !== this.sheet || !Array.isArray(m.strokes)) return;
  this.views++;
  this.keep(m.strokes);
};

/* A `remove`: strokes a phone took back (undo) leave the view. */
WallView.prototype.remove = function (m) {
  if (m.sheet !== this.sheet || !Array.isArray(m.strokes)) return;
  var gone = this.gone;
  m.strokes.forEach(function (key) { gone[key] = true; });
  var kept = this.strokes.filter(function (s) { return !gone[s.stroke]; });
  if (kept.length === this.strokes.length) return;
  this.strokes = kept;
  this.points = kept.reduce(function (n, s) { return n + s.points.length; }, 0);
  this.redraw();
};

/* An empty sheet (a reset). */
WallView.prototype.clear = function (sheet) {
  if (sheet !== this.sheet) this.gone = {};
  this.sheet = sheet;
  this.strokes = [];
  this.points = 0;
  this.redraw();
};

/* The picture so far (after a welcome, or a redraw after the curator removed
   strokes): cleared, then the sheet fetched once. Views arriving meanwhile are kept. */
WallView.prototype.load = function (sheet) {
  var self = this;
  this.clear(sheet);
  var asked = {};
  this.fetching = asked;
  fetch(this.url, { credentials: "same-origin", cache: "no-store" })
    .then(function (r) {
      if (r.status === 503) throw new Error("storage away");
      return r.json();
    })
    .then(function (body) {
      if (self.fetching !== asked) return; // a newer load took over
      self.fetching = null;
      self.loads++;
      if (body.sheet === self.sheet && Array.isArray(body.strokes)) self.keep(body.strokes);
    })
    .catch(function () {
      if (self.fetching !== asked) return;
      setTimeout(function () {
        if (self.fetching === asked && self.sheet === sheet) self.load(sheet);
      }, RETRY_MS);
    });
};
