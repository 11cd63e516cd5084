// The join card (#join): the QR code to the phone page, the address, and how many
// phones are connected and drawing. It sits beside or below the canvas (layout.js).

export class JoinCard {
  #card;
  #count;

  constructor(card, count) {
    this.#card = card;
    this.#count = count;
  }

  hide() {
    this.#card.hidden = true;
  }

  // Its size for a W x H window: the QR (20 % of the short side, 120-320 px), the
  // address and the count of phones under it, as laid out now (the count line is
  // reserved even before the first presence report).
  size(W, H) {
    const qr = Math.round(Math.max(120, Math.min(320, Math.min(W, H) * 0.2)));
    this.#card.style.setProperty("--qr", qr + "px");
    const rect = this.#card.getBoundingClientRect();
    const countLine = this.#count.hidden ? Math.max(16, qr / 12) * 1.4 + 6 : 0;
    return { w: Math.max(rect.width, qr + 20), h: Math.max(rect.height + countLine, qr + 60) };
  }

  // At `right` and `bottom` px from the window's edges.
  place({ right, bottom }) {
    this.#card.style.right = right + "px";
    this.#card.style.bottom = bottom + "px";
  }

  // The presence totals, in words; true when the count line just appeared (the card
  // grew: the page lays the room out again so the canvas keeps clear of it).
  showCount(totals, say) {
    const grew = this.#count.hidden;
    this.#count.hidden = false;
    let text = say(totals.connected === 1 ? "phones_1" : "phones_n", totals.connected);
    if (totals.drawing) text += " · " + say("drawing", totals.drawing);
    this.#count.textContent = text;
    return grew;
  }
}
