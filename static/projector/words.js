// What the wall says, in the room's language: the page's #wall-strings
// (core/templatetags/visitor.py, wall_strings), English where a word is missing.

const ENGLISH = {
  paused: "Paused · drawing will be back in a moment",
  closed: "Closed",
  phones_1: "{n} phone",
  phones_n: "{n} phones",
  drawing: "{n} drawing",
  sheet: "Sheet {n}",
  replay: "replay ×{n}",
  no_p5: "The wall could not load p5.js.",
};

// say(key, n): the words for `key`, with {n} filled in.
export function words(translated) {
  const table = Object.assign({}, ENGLISH, translated || {});
  return (key, n) => String(table[key] || key).replace("{n}", n);
}

export function pageWords(doc) {
  const script = doc.getElementById("wall-strings");
  return words(JSON.parse((script && script.textContent) || "{}"));
}
