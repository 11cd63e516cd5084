"""The phone page opens fast on a slow network: small, no framework, no CDN. The
time is printed (speed is measured, not asserted); the transfer size is asserted.

The server runs as in production (debug off, collected static files, compressed by
whitenoise), because that is what a visitor downloads."""

import os

import pytest

from tests.parts import Server
from tests.phone_pad import PHONE

pytestmark = pytest.mark.browser

# Chrome DevTools' classic "Slow 3G": 400 ms round trip, 400 kbit/s each way.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
# 14 kB before the shared reconnect and curve code, the colour names and the favicon
# (about 23 kB with them, measured here); 24.7 kB before Undo, 25.5 kB with it (the
# button, its 10 s timer, the outbox's `undo`). The wall's faint view adds about 3 kB:
# wallview.js (2 kB compressed) and its first GET /projector/view/. As ES modules
# 28.2 kB; the connection's state machine as its own module adds 2 kB (30.2 kB): its
# request's headers, its preload line, 1.7 kB compressed (docs/decisions.md).
BUDGET_BYTES = 31_000


@pytest.fixture
def production_server():
    server = Server(
        env={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "test-only-" + "k" * 50,
            "DJANGO_HTTPS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
    )
    server.env["DJANGO_STATIC_ROOT"] = os.path.join(server.workdir, "static")
    # Only the phone's files: compressing the admin and p5.js takes most of a minute.
    ignore = ["--ignore=admin", "--ignore=vendor", "--ignore=projector"]
    server.manage("collectstatic", "--noinput", "-v0", *ignore)
    server.start()
    yield server
    server.close()


TIMINGS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    return {
        live: window.phoneLiveAt,
        dom: nav.domContentLoadedEventEnd,
        bytes: nav.transferSize + resources.reduce((n, r) => n + r.transferSize, 0),
        hosts: [...new Set(resources.map(r => new URL(r.name).host))],
        scripts: resources.map(r => r.name).filter(name => name.endsWith('.js')),
        preloads: document.querySelectorAll('link[rel=modulepreload]').length,
    };
}"""


def test_the_page_is_small_and_opens_on_slow_3g(production_server, browser, devices):
    server = production_server
    context = browser.new_context(**devices[PHONE])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    page.add_init_script(
        """new MutationObserver(() => {
            if (!window.phoneLiveAt && window.phone && window.phone.state === 'live')
                window.phoneLiveAt = performance.now();
        }).observe(document, {subtree: true, childList: true, characterData: true});"""
    )
    page.goto(server.http + "/")
    page.wait_for_function("window.phoneLiveAt", timeout=20000)
    timing = page.evaluate(TIMINGS)
    print(
        f"\nslow 3G (400 ms RTT, 400 kbit/s): {timing['bytes']} bytes, "
        f"drawable at {timing['dom']:.0f} ms, live at {timing['live']:.0f} ms"
    )
    assert timing["hosts"] == [f"127.0.0.1:{server.port}"], "nothing from a CDN"
    assert 0 < timing["bytes"] < BUDGET_BYTES
    # Each module once, all preloaded: an import by another name than its preload's
    # (an unhashed one) would fetch it twice, a missing preload one round trip later.
    assert len(timing["scripts"]) == len(set(timing["scripts"])) == timing["preloads"] + 1
    context.close()
