// The banner (#banner): "Paused" while the curator has paused drawing, the opening
// hours' message while closed. Both come with the exhibit (hello, sheet and exhibit
// messages); "paused" also as a state message.

// The banner's words and kind ("closed", "paused" or "") for the exhibit now.
export function bannerFor(exhibit, paused, say) {
  if (exhibit.closed) return { text: exhibit.closed_message || say("closed"), kind: "closed" };
  if (exhibit.paused || paused) return { text: say("paused"), kind: "paused" };
  return { text: "", kind: "" };
}

export function showBanner(element, { text, kind }) {
  element.textContent = text;
  element.hidden = !text;
  element.dataset.kind = kind;
}
