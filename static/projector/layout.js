// Where the canvas goes in the window. Pure: sizes in, a box out.

export const MARGIN = 16; // px between the join card and the window's edges

// The largest w x h of the exhibit's aspect inside a width x height area.
export function fitIn(width, height, aspect) {
  let w = Math.max(1, Math.floor(width));
  let h = Math.round(w / aspect);
  if (h > height) {
    h = Math.max(1, Math.floor(height));
    w = Math.round(h * aspect);
  }
  return { w, h };
}

// Letterbox the exhibit's aspect in a W x H window, leaving room for the join card
// (card: {w, h}) beside or below the canvas, whichever keeps the canvas bigger: the
// card never hides ink. No card (a replay): centred. Returns the canvas box and the
// card's distance from the window's right and bottom edges (null without a card).
export function letterbox(W, H, aspect, card) {
  if (!card) {
    const { w, h } = fitIn(W, H, aspect);
    return { box: { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), w, h }, card: null };
  }
  const pad = MARGIN;
  const side = fitIn(W - card.w - 2 * pad, H, aspect);
  const below = fitIn(W, H - card.h - 2 * pad, aspect);
  if (side.w * side.h >= below.w * below.h) {
    const room = W - card.w - 2 * pad;
    const box = { x: Math.floor((room - side.w) / 2), y: Math.floor((H - side.h) / 2), ...side };
    return { box, card: { right: pad, bottom: Math.max(pad, H - box.y - box.h) } };
  }
  const room = H - card.h - 2 * pad;
  const box = { x: Math.floor((W - below.w) / 2), y: Math.floor((room - below.h) / 2), ...below };
  return { box, card: { right: Math.max(pad, W - box.x - box.w), bottom: pad } };
}
