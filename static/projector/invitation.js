// The invitation (#attract: the title, a big QR code, one line) shows while the sheet
// is empty, from the moment the page opens, and again when nobody drew for the
// exhibit's attract_seconds; the first ink sends it away. While it shows, its words
// go round the curator's languages (the exhibit's invitations: [{lang, dir, title,
// invitation}]), INVITE_MS each; with none, the words the page came with.

export const INVITE_MS = 5000;

export class Invitation {
  #element;
  #title;
  #line;
  #own; // the page's own words and language
  #index = 0;
  #shownAt = 0; // when the current language went up (0: the page's own words)
  #lastInkAt = Date.now();

  // element: #attract; shown: whether it shows now (the template shows it).
  constructor(element, shown) {
    this.#element = element;
    this.#title = element.querySelector(".attract-title");
    this.#line = element.querySelector(".attract-line");
    this.#own = {
      lang: element.lang,
      dir: element.dir,
      title: this.#title ? this.#title.textContent : "",
      invitation: this.#line ? this.#line.textContent : "",
    };
    this.shown = shown;
    element.hidden = !shown;
  }

  #show(shown) {
    if (shown !== this.shown) {
      this.shown = shown;
      this.#element.hidden = !shown;
    }
  }

  // Ink arrived: the invitation steps aside, and the idle clock starts again.
  inked(now) {
    this.#lastInkAt = now;
    this.#show(false);
  }

  // Every second, and once the sheet loaded. empty: the sheet has no ink (null while
  // it is not loaded: as it is); attractSeconds: the exhibit's idle time (0: never).
  check(now, empty, attractSeconds) {
    const idle = attractSeconds > 0 && now - this.#lastInkAt > attractSeconds * 1000;
    this.#show(empty === null ? this.shown || idle : empty || idle);
  }

  // The curator changed the languages: start from the first.
  restart(now, invitations) {
    this.#index = 0;
    this.#shownAt = 0;
    this.rotate(now, invitations);
  }

  // Every second: the next language when the current one has had its INVITE_MS.
  rotate(now, invitations) {
    const list = invitations || [];
    if (!this.#title) return;
    if (!list.length) {
      if (this.#shownAt) {
        // The curator took the languages away: back to the page's own words.
        this.#shownAt = 0;
        this.#say(this.#own);
      }
      return;
    }
    if (this.#shownAt && now - this.#shownAt < INVITE_MS) return;
    if (!this.shown && this.#shownAt) return; // hidden: wait where it was
    if (this.#shownAt) this.#index = (this.#index + 1) % list.length;
    this.#shownAt = now;
    this.#say(list[this.#index % list.length]);
  }

  #say(words) {
    this.#element.lang = words.lang;
    this.#element.dir = words.dir;
    this.#title.textContent = words.title;
    this.#line.textContent = words.invitation;
  }
}
