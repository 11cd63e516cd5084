"""The control group: how a curator's change reaches every process. Each process's
runtime listens on it (installation/control.py) and re-reads the exhibit."""

from __future__ import annotations

from channels.layers import get_channel_layer

CONTROL_GROUP = "control"


async def control_broadcast(**details: str) -> None:
    """Tell every process to re-read the exhibit (after a curator change); `removed`
    names a phone whose strokes the curator removed."""
    layer = get_channel_layer()
    await layer.group_send(CONTROL_GROUP, {"type": "exhibit.changed", **details})
