"""Undo (issue 14): a visitor takes back their last stroke; it leaves their pad, the wall
and the stored sheet, and does not come back after a reload. A second device cannot
take it back. Real touch events on phone profiles, wall pixels sampled."""

from __future__ import annotations

import pytest

from tests.parts import wait_for
from tests.phone_pad import Touch, open_phone, pad_at, pad_ink, sheet, wall_has_everything_drawn
from tests.test_phone_own_colour import close, open_wall, rgb, wall_pixel
from tests.test_phone_wall_view import view_pixel

pytestmark = pytest.mark.browser

BACKGROUND = (0x11, 0x11, 0x11)  # the default exhibit's

# A second device's attempts, from its own page (its own device cookie): say hello
# with the first phone's client id, then with its own and name the stroke's number.
SECOND_DEVICE = """async ([victim, stroke]) => {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + '/ws/draw/');
    const heard = [];
    const next = (test) => new Promise((resolve, reject) => {
        const fail = () => reject(new Error('no answer: ' + JSON.stringify(heard)));
        const timer = setTimeout(fail, 8000);
        const look = () => {
            const i = heard.findIndex(test);
            if (i >= 0) { clearTimeout(timer); resolve(heard.splice(i, 1)[0]); }
            else setTimeout(look, 20);
        };
        look();
    });
    ws.onmessage = (e) => heard.push(JSON.parse(e.data));
    await new Promise((resolve) => { ws.onopen = resolve; });
    ws.send(JSON.stringify({type: 'hello', client: victim, last_seq: 0}));
    const taken = await next((m) => m.type === 'error');
    ws.send(JSON.stringify({type: 'hello', client: 'second-device-1', last_seq: 0}));
    await next((m) => m.type === 'welcome');
    ws.send(JSON.stringify({type: 'undo', seq: 1, stroke: stroke}));
    const refused = await next((m) => m.type === 'error' || m.type === 'ack');
    ws.close();
    return [taken, refused];
}"""


def phone_strokes(server, client: str) -> list[str]:
    return [s["stroke"] for s in sheet(server)["strokes"] if s["stroke"].startswith(client + ":")]


def test_undo_takes_the_stroke_off_the_wall_and_the_sheet_and_another_device_cannot(
    start_server, browser, devices
):
    server = start_server()
    wall = open_wall(browser, server)
    phone = open_phone(browser, devices, server, "Pixel 7")
    other = open_phone(browser, devices, server, "iPhone 13")
    color = phone.evaluate("window.phone.color")
    client = phone.evaluate("window.phone.client")
    assert phone.locator("#undo").is_disabled(), "nothing to take back yet"
    box = phone.locator("#undo").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, "a full touch target"
    assert phone.locator("#undo").inner_text().strip() == "↶ Undo", "a word and an icon"

    Touch(phone).swipe(pad_at(phone, 0.2, 0.5), pad_at(phone, 0.8, 0.5), steps=12)
    wall_has_everything_drawn(phone, server, "the stroke in the sheet")
    wait_for(lambda: close(wall_pixel(wall, 0.5, 0.5), rgb(color)), 10, "the stroke on the wall")
    (stroke,) = phone_strokes(server, client)
    number = int(stroke.split(":")[1])

    # The second device: the first phone's client id is not its to use, and the same
    # number in its own client names nothing of the first phone's.
    taken, refused = other.evaluate(SECOND_DEVICE, [client, number])
    assert taken["code"] == "client_taken"
    assert (refused["type"], refused.get("code"), refused.get("seq")) == ("error", "not_yours", 1)
    other.wait_for_timeout(500)
    assert phone_strokes(server, client) == [stroke], "still in the sheet"
    assert close(wall_pixel(wall, 0.5, 0.5), rgb(color)), "still on the wall"
    # The other phone shows it faintly in its view of the wall.
    wait_for(lambda: view_pixel(other, 0.5, 0.5) != BACKGROUND, 10, "in the other's view")

    # The visitor takes it back, with a tap on the phone's button.
    assert phone.evaluate("window.phone.undoable")
    phone.locator("#undo").tap()
    assert pad_ink(phone, 0.5, 0.5) == 0, "off the pad at once"
    wait_for(lambda: phone.evaluate("window.phone.outbox === 0"), 10, "the undo's ack")
    assert phone_strokes(server, client) == [], "hidden in the sheet once acknowledged"
    wait_for(lambda: close(wall_pixel(wall, 0.5, 0.5), BACKGROUND), 10, "off the wall")
    wait_for(lambda: view_pixel(other, 0.5, 0.5) == BACKGROUND, 10, "off the other's view")
    assert phone.locator("#undo").is_disabled(), "nothing more to take back"
    assert phone.evaluate("window.phone.errors") == {}

    # A reload brings the visitor's strokes back, but not the one taken back.
    Touch(phone).swipe(pad_at(phone, 0.2, 0.3), pad_at(phone, 0.8, 0.3), steps=12)
    wait_for(lambda: phone.evaluate("window.phone.outbox === 0"), 10, "the stroke's ack")
    assert len(phone_strokes(server, client)) == 1, "the second stroke is in the sheet"
    phone.wait_for_timeout(700)  # the pad keeps its strokes every 500 ms
    phone.reload()
    phone.wait_for_function("window.phone && window.phone.state === 'live'", timeout=15000)
    assert pad_ink(phone, 0.5, 0.3) > 0, "the kept stroke is back"
    assert pad_ink(phone, 0.5, 0.5) == 0, "the one taken back is not"
    # And a wall opened now draws the sheet without it.
    fresh = open_wall(browser, server)
    wait_for(lambda: close(wall_pixel(fresh, 0.5, 0.3), rgb(color)), 10, "the kept stroke")
    assert close(wall_pixel(fresh, 0.5, 0.5), BACKGROUND)


def test_repeated_presses_take_back_earlier_strokes(start_server, browser, devices):
    server = start_server()
    wall = open_wall(browser, server)
    phone = open_phone(browser, devices, server, "iPhone SE (3rd gen)")
    color = phone.evaluate("window.phone.color")
    for y in (0.3, 0.7):
        Touch(phone).swipe(pad_at(phone, 0.2, y), pad_at(phone, 0.8, y), steps=10)
    wall_has_everything_drawn(phone, server, "both strokes in the sheet")
    for y in (0.3, 0.7):
        wait_for(lambda y=y: close(wall_pixel(wall, 0.5, y), rgb(color)), 10, f"y={y} on the wall")
    phone.locator("#undo").tap()
    phone.locator("#undo").tap()
    wait_for(lambda: phone.evaluate("window.phone.outbox === 0"), 10, "the undos' acks")
    client = phone.evaluate("window.phone.client")
    assert phone_strokes(server, client) == []
    for y in (0.3, 0.7):
        wait_for(lambda y=y: close(wall_pixel(wall, 0.5, y), BACKGROUND), 10, f"y={y} gone")
    assert phone.locator("#undo").is_disabled()
