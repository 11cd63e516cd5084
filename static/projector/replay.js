// A stored sheet as a timelapse (/projector/?replay=<id>&speed=N&loop=0): fetch it,
// say what it is where the live wall has its join card (a replay is not a place to
// join), and play it through the timeline (timeline.js).

// The stored sheet ({sheet, started_at, exhibit, strokes}); an Error in words otherwise.
export async function fetchReplay(urlPattern, id) {
  let response;
  try {
    response = await fetch(urlPattern.replace("{id}", encodeURIComponent(id)), { cache: "no-store" });
  } catch (error) {
    throw new Error("Replay: the server did not answer (" + error.message + ").");
  }
  if (response.status === 404) throw new Error("Replay: there is no sheet " + id + ".");
  if (!response.ok) throw new Error("Replay: HTTP " + response.status + ".");
  return response.json();
}

// "Sheet 12 · 3 May 2026 · replay ×10", in the page's language.
export function caption(sheet, speed, say, lang) {
  const parts = [say("sheet", sheet.sheet)];
  if (typeof sheet.started_at === "number") {
    parts.push(
      new Date(sheet.started_at).toLocaleDateString(lang || undefined, {
        year: "numeric",
        month: "long",
        day: "numeric",
      }),
    );
  }
  parts.push(say("replay", Math.round(speed * 10) / 10));
  return parts.join(" · ");
}
