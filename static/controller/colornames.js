/* A colour in words, so a visitor can say which lines are theirs ("You are teal").
   Every colour of the default palette (core/models.py) is in the table under
   its own name; any other colour gets the name of the nearest one (CIE Lab distance).
   Plain code, no DOM: tested through page.evaluate. */

var NAMES = [
  // The default palette, exactly.
  ["#f94144", "red"],
  ["#f3722c", "orange"],
  ["#f8961e", "amber"],
  ["#f9c74f", "yellow"],
  ["#90be6d", "green"],
  ["#43aa8b", "jade"],
  ["#4d908e", "teal"],
  ["#277da1", "blue"],
  ["#577590", "slate blue"],
  ["#9b5de5", "purple"],
  ["#f15bb5", "pink"],
  ["#ffffff", "white"],
  // Everything else a curator may choose.
  ["#000000", "black"],
  ["#808080", "grey"],
  ["#c0c0c0", "silver"],
  ["#8b0000", "dark red"],
  ["#ff7f50", "coral"],
  ["#a0522d", "brown"],
  ["#f5deb3", "beige"],
  ["#ffd700", "gold"],
  ["#808000", "olive"],
  ["#32cd32", "lime"],
  ["#006400", "dark green"],
  ["#00ffff", "cyan"],
  ["#87ceeb", "sky blue"],
  ["#0000ff", "royal blue"],
  ["#000080", "navy"],
  ["#ee82ee", "violet"],
  ["#ff00ff", "magenta"],
  ["#800000", "maroon"],
  ["#e6e6fa", "lavender"],
];

function rgb(hex) {
  var h = String(hex).replace("#", "");
  if (h.length === 3) h = h[0] + h[0] + h[1] + h[1] + h[2] + h[2];
  var n = parseInt(h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function lab(hex) {
  var c = rgb(hex).map(function (v) {
    v /= 255;
    return v > 0.04045 ? Math.pow((v + 0.055) / 1.055, 2.4) : v / 12.92;
  });
  var x = (c[0] * 0.4124 + c[1] * 0.3576 + c[2] * 0.1805) / 0.95047;
  var y = c[0] * 0.2126 + c[1] * 0.7152 + c[2] * 0.0722;
  var z = (c[0] * 0.0193 + c[1] * 0.1192 + c[2] * 0.9505) / 1.08883;
  function f(t) {
    return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
  }
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

var TABLE = NAMES.map(function (pair) {
  return { hex: pair[0], name: pair[1], lab: lab(pair[0]) };
});

/* The name of `hex` (#rrggbb), or of the nearest named colour. */
function colorName(hex) {
  if (!/^#?[0-9a-f]{3}([0-9a-f]{3})?$/i.test(String(hex || ""))) return "";
  var target = lab(hex);
  var best = null;
  var bestDistance = Infinity;
  for (var i = 0; i < TABLE.length; i++) {
    var l = TABLE[i].lab;
    var d =
      (l[0] - target[0]) * (l[0] - target[0]) +
      (l[1] - target[1]) * (l[1] - target[1]) +
      (l[2] - target[2]) * (l[2] - target[2]);
    if (d < bestDistance) {
      bestDistance = d;
      best = TABLE[i];
    }
  }
  return best ? best.name : "";
}

export { colorName as name, NAMES as table };
