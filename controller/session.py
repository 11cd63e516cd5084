"""One phone connection's rules, as plain code: what each message does and what the
phone is told back. The consumer only moves frames between this and the socket."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from controller import close_codes
from controller.colors import color_pick, colors_in_use
from controller.messages import (
    Hello,
    Ping,
    ProtocolError,
    StrokeEnd,
    StrokeMessage,
    StrokePoints,
    StrokeStart,
    parse_message,
)
from projector.frames import AcceptedSegment

# More bad messages than this within the window closes the connection (1008).
VIOLATION_LIMIT = 20
VIOLATION_WINDOW = 10.0
BINARY_LIMIT = 3


class CloseConnection(Exception):  # noqa: N818 - it is an instruction, not a failure
    """The session wants the socket closed with `code` after sending `replies`."""

    def __init__(self, code: int, replies: list[dict] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.replies = replies or []


@dataclass
class DrawingSession:
    runtime: object  # installation.runtime.Runtime; untyped to keep this module import-light
    device: str
    phone: object = None  # the consumer: its place in the admission line
    client: str | None = None
    binary_frames: int = 0
    violations: list[float] = field(default_factory=list)
    ack_due: int = 0  # highest seq handled cleanly whose ack has not gone out yet

    def receive(self, text: str | None, data: bytes | None) -> list[dict]:
        """Handle one frame; returns the replies to send now (or raises CloseConnection).

        Clean acks are not among them: they are cumulative, so the runtime sends one
        per phone every ACK_SECONDS (`take_ack`) instead of one a message, which was
        the largest cost left on the hot path. Drops and errors go out at once.
        """
        runtime = self.runtime
        over_rate = not runtime.message_rate(self.device).allow(time.monotonic())
        try:
            message = parse_message(text, data, runtime.exhibit.limits)
        except ProtocolError as error:
            if error.code == "binary_frame":
                self.binary_frames += 1
                if self.binary_frames >= BINARY_LIMIT:
                    runtime.violation(error.code, self.device)
                    raise CloseConnection(close_codes.UNSUPPORTED_DATA) from None
            return self._violation(error)
        if isinstance(message, Hello):
            return [self._hello(message)]
        if self.client is None:
            return self._violation(ProtocolError("no_hello", "send hello first", message.seq))
        acked = runtime.acked.get(self.client, 0)
        if message.seq <= acked:
            return self._ack(acked)  # a resend after reconnecting: already handled
        if over_rate:
            return self._violation(
                ProtocolError("rate_limited", "too many messages a second", message.seq)
            )
        if isinstance(message, Ping):
            runtime.acked[self.client] = message.seq
            return self._ack(message.seq)
        try:
            return self._stroke(message)
        except ProtocolError as error:
            return self._violation(error)

    def _hello(self, hello: Hello) -> dict:
        runtime = self.runtime
        self.client = hello.client
        acked = runtime.acked.get(hello.client, 0)
        exhibit = runtime.exhibit
        taken = colors_in_use(runtime, excluding=self)
        self.color = color_pick(exhibit.palette, taken, self.device)
        welcome = {
            "type": "welcome",
            "device": self.device,
            "client": hello.client,
            "acked": acked,
            "state": "paused" if exhibit.paused else "live",
            "sheet": exhibit.sheet,
            "color": self.color,
            "exhibit": exhibit.for_phone(),
            "limits": exhibit.limits_for_phone(),
            "ink": runtime.ink.level(self.device),
        }
        place = runtime.admission.position(self.phone) if self.phone is not None else 0
        if place and not exhibit.paused:
            welcome.update(state="full", position=place)
        return welcome

    def _stroke(self, message: StrokeMessage) -> list[dict]:
        runtime = self.runtime
        strokes = runtime.strokes.get(self.client)
        if strokes is None:
            strokes = runtime.strokes[self.client] = {}
        if isinstance(message, StrokeStart):
            strokes[message.stroke] = (message.color, message.width)
            if len(strokes) > 8:  # only the last few strokes can still receive points
                del strokes[next(iter(strokes))]
        style = strokes.get(message.stroke)
        if style is None:
            raise ProtocolError("unknown_stroke", "start the stroke first", message.seq)
        runtime.acked[self.client] = message.seq
        dropped = self._refusal(message)
        if dropped:
            return self._ack(message.seq, dropped)
        if isinstance(message, StrokeEnd):
            strokes.pop(message.stroke, None)
        runtime.mixer.add(
            AcceptedSegment(
                device=self.device,
                client=self.client,
                seq=message.seq,
                stroke=message.stroke,
                color=style[0],
                width=style[1],
                points=message.points,
                is_start=isinstance(message, StrokeStart),
                is_end=isinstance(message, StrokeEnd),
                accepted_at=time.time(),
            )
        )
        runtime.admission.touch(self.device)
        return self._ack(message.seq)

    def _refusal(self, message: StrokeStart | StrokePoints | StrokeEnd) -> str | None:
        """Why an otherwise valid stroke message is not drawn, if it is not."""
        runtime = self.runtime
        if runtime.exhibit.paused:
            return "paused"
        if not runtime.admission.admitted(self.phone, self.device):
            return "full"
        accepted, _ = runtime.ink.spend(self.device, len(message.points))
        return None if accepted else "out_of_ink"

    def _ack(self, seq: int, dropped: str | None = None) -> list[dict]:
        if not dropped:
            self.ack_due = max(self.ack_due, seq)
            return []
        if self.ack_due <= seq:
            self.ack_due = 0  # this ack is cumulative: it covers the clean ones too
        return [{**self._ink_ack(seq), "dropped": dropped}]

    def take_ack(self) -> dict | None:
        """The cumulative ack owed to the phone, if any (the runtime sends it)."""
        if not self.ack_due:
            return None
        seq, self.ack_due = self.ack_due, 0
        return self._ink_ack(seq)

    def _ink_ack(self, seq: int) -> dict:
        return {"type": "ack", "seq": seq, "ink": round(self.runtime.ink.level(self.device), 1)}

    def _violation(self, error: ProtocolError) -> list[dict]:
        """Count a bad message and answer it; one with a seq is consumed (never resent)."""
        self.runtime.violation(error.code, self.device)
        if error.seq is not None and self.client is not None:
            acked = self.runtime.acked.get(self.client, 0)
            self.runtime.acked[self.client] = max(acked, error.seq)
        now = time.monotonic()
        self.violations = [t for t in self.violations if now - t < VIOLATION_WINDOW]
        self.violations.append(now)
        reply = {"type": "error", "code": error.code, "detail": error.detail}
        if error.seq is not None:
            reply["seq"] = error.seq
            if self.ack_due <= error.seq:
                self.ack_due = 0  # consumed, and cumulative like an ack
        if len(self.violations) > VIOLATION_LIMIT:
            raise CloseConnection(close_codes.POLICY_VIOLATION, [reply])
        return [reply]
