"""The phone's faint view of the wall (static/controller/wallview.js) as an ES module
in Chromium: a stroke taken back stays gone when a view that was already on its way
brings a piece of it (docs/protocol.md, "The view of the wall")."""

import pytest

from tests.js_modules import module_page, static_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, static_server):  # noqa: F811 (the fixture above)
    page = module_page(browser, static_server, View="controller/wallview.js")
    yield page
    page.close()


def test_a_stroke_taken_back_is_not_brought_back_by_a_late_view(page):
    result = page.evaluate(
        """() => {
        const piece = (key) => ({stroke: key, color: '#ff0000', width: 0.01,
                                 points: [[0.1, 0.1], [0.5, 0.5]]});
        const canvas = document.createElement('canvas');
        canvas.width = canvas.height = 100;
        const view = new View.WallView(canvas, '/projector/view/');
        const keys = () => view.strokes.map((s) => s.stroke);
        view.clear(1);
        view.add({type: 'view', sheet: 1, strokes: [piece('a:1'), piece('b:1')]});
        view.remove({type: 'remove', sheet: 1, strokes: ['a:1']});
        const removed = keys();
        // Sent before the undo reached its process, or by another process.
        view.add({type: 'view', sheet: 1, strokes: [piece('a:1'), piece('b:2')]});
        const late = keys();
        view.remove({type: 'remove', sheet: 9, strokes: ['b:1']});  // another sheet's
        const otherSheet = keys();
        view.clear(2);  // a reset: a new sheet, nothing of the old one's undos applies
        view.add({type: 'view', sheet: 2, strokes: [piece('a:1')]});
        return {removed, late, otherSheet, fresh: keys()};
    }"""
    )
    assert result["removed"] == ["b:1"]
    assert result["late"] == ["b:1", "b:2"], "the late view brought the taken-back stroke back"
    assert result["otherSheet"] == ["b:1", "b:2"]
    assert result["fresh"] == ["a:1"]
