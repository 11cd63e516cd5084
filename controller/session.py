"""One phone connection's rules, as plain code: what each message does and what the
phone is told back. The consumer only moves frames between this and the socket; the
process's shared state comes through a `SessionHost`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from controller.ack_ledger import AckLedger, ClientSeqs
from controller.claims import Claim
from controller.ink import InkLedger, MessageRate
from controller.pace import PaceMeter
from controller.undo import DrawnStroke, RecentStrokes, undo_refusal
from core import close_codes
from core.frames import AcceptedSegment, HiddenStroke
from core.messages import (
    Hello,
    Ping,
    ProtocolError,
    StrokeEnd,
    StrokeMessage,
    StrokePoints,
    StrokeStart,
    Undo,
    parse_message,
)

if TYPE_CHECKING:  # the snapshot's loader reads the database; the session never does
    from core.exhibit import ExhibitSnapshot

# More bad messages than this within the window closes the connection (1008).
VIOLATION_LIMIT = 20
VIOLATION_WINDOW = 10.0
BINARY_LIMIT = 3
OPEN_STROKES = 8  # only a client's last few strokes can still receive points

Style = tuple[str, float]  # a stroke's colour and width


class SessionHost(Protocol):
    """What a session needs of its process (installation.runtime.Runtime)."""

    exhibit: ExhibitSnapshot
    ink: InkLedger
    acks: AckLedger
    pace: PaceMeter

    def message_rate(self, device: str) -> MessageRate: ...

    def violation(self, code: str, device: str) -> None: ...

    def open_strokes(self, client: str) -> dict[int, Style]: ...

    def admitted(self, phone: object, device: str) -> bool: ...

    def storage_full(self) -> bool: ...

    def draw(self, segment: AcceptedSegment) -> None: ...

    def recent_strokes(self, client: str) -> RecentStrokes: ...

    def hide(self, undo: HiddenStroke) -> None: ...


class CloseConnection(Exception):  # noqa: N818 - it is an instruction, not a failure
    """The session wants the socket closed with `code` after sending `replies`."""

    def __init__(self, code: int, replies: list[dict] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.replies = replies or []


@dataclass
class DrawingSession:
    host: SessionHost
    device: str
    phone: object = None  # the consumer: its place in the admission line
    client: str | None = None
    seqs: ClientSeqs | None = None
    color: str | None = None
    binary_frames: int = 0
    violations: list[float] = field(default_factory=list)
    held: list[dict] = field(default_factory=list)  # drops and errors, until durable
    acked_sent: int = 0  # the highest seq acknowledged to the phone
    ack_sent_at: float = 0.0  # time.monotonic()
    resent: int = 0  # the highest duplicate seq received, owed an ack again
    gap_told: int = 0  # the expected seq a seq_gap was sent for
    pace_told: int | None = None  # the pace the last ack carried
    recent: RecentStrokes = field(default_factory=RecentStrokes)  # the host's, from hello

    def receive(self, text: str | None, data: bytes | None) -> list[dict] | Hello | Undo:
        """Handle one frame: the replies to send now, or the Hello for the consumer to
        check (it needs the network), or an Undo of a stroke this process does not
        remember, for the consumer to look up in storage and pass to `undo`; or raises
        CloseConnection.

        Acks are not among the replies: they are cumulative and wait for storage, so
        the process sends what `take_acks` allows every ACK_SECONDS. The one exception
        is the last ack again, carrying the first `pace` this phone is asked for.
        """
        host = self.host
        now = time.monotonic()
        over_rate = not host.message_rate(self.device).allow(now)
        host.pace.heard(self.device, now)
        try:
            message = parse_message(text, data, host.exhibit.limits)
        except ProtocolError as error:
            if error.code == "binary_frame":
                self.binary_frames += 1
                if self.binary_frames >= BINARY_LIMIT:
                    host.violation(error.code, self.device)
                    raise CloseConnection(close_codes.UNSUPPORTED_DATA) from None
            if self.seqs is None or error.seq is None:
                error.seq = None  # nothing is consumed before hello
                return self._violation(error)
            checked = self._checked_seq(error.seq)
            return checked if checked is not None else self._violation(error)
        if isinstance(message, Hello):
            return message
        if self.seqs is None:
            return self._violation(ProtocolError("no_hello", "send hello first"))
        out_of_order = self._checked_seq(message.seq)
        if out_of_order is not None:
            return out_of_order
        if over_rate:
            return self._violation(
                ProtocolError("rate_limited", "too many messages a second", message.seq)
            )
        if isinstance(message, Ping):
            host.acks.handled(self.seqs, message.seq, stored=False)
            return []
        if isinstance(message, Undo):
            drawn = self.recent.get(message.stroke)
            return message if drawn is None else self.undo(message, drawn)
        try:
            replies = self._stroke(message)
        except ProtocolError as error:
            return self._violation(error)
        if not replies and self.pace_told is None and self._pace_rose():
            # The first ask is answered at once, not with the next ack: a crowd that
            # starts together would flood the process while its commits come.
            replies = [self._ink_ack(self.acked_sent)]
            self.ack_sent_at = now
        return replies

    def welcome(self, hello: Hello, claim: Claim, color: str | None, place: int) -> dict:
        """The answer to a granted hello; `place` is the phone's place in line (0: in)."""
        host = self.host
        self.client = hello.client
        self.seqs = host.acks.open(hello.client, max(hello.last_seq, claim.stored_seq))
        self.acked_sent = self.seqs.durable
        self.ack_sent_at = time.monotonic()
        self.held = []
        self.recent = host.recent_strokes(hello.client)
        self.color = self.color or color
        exhibit = host.exhibit
        welcome = {
            "type": "welcome",
            "device": self.device,
            "client": hello.client,
            "acked": self.seqs.durable,
            "state": "paused" if exhibit.paused else "live",
            "sheet": exhibit.sheet,
            "color": color,
            "exhibit": exhibit.for_phone(),
            "limits": exhibit.limits_for_phone(),
            "ink": host.ink.level(self.device),
        }
        if place and not exhibit.paused:
            welcome.update(state="full", position=place)
        return welcome

    def refused_hello(self) -> dict:
        self.host.violation("client_taken", self.device)
        return {
            "type": "error",
            "code": "client_taken",
            "detail": "this client id belongs to another device: choose a new one",
        }

    def _checked_seq(self, seq: int) -> list[dict] | None:
        """None if `seq` is the next one; else the answer to a resend or a gap."""
        assert self.seqs is not None
        expected = self.seqs.handled + 1
        if seq == expected:
            self.gap_told = 0
            return None
        if seq < expected:
            # A resend after reconnecting: not handled again, acknowledged once stored.
            self.resent = max(self.resent, seq)
            return []
        if self.gap_told == expected:
            return []  # in flight behind a gap already answered: resends are coming
        self.gap_told = expected
        self.host.violation("seq_gap", self.device)
        reply = {
            "type": "error",
            "code": "seq_gap",
            "expected": expected,
            "detail": f"expected seq {expected}: resend from there",
        }
        if self._count_violation():
            raise CloseConnection(close_codes.POLICY_VIOLATION, [reply])
        return [reply]

    def _stroke(self, message: StrokeMessage) -> list[dict]:
        host = self.host
        assert self.client is not None and self.seqs is not None
        strokes = host.open_strokes(self.client)
        if self.recent.hidden(message.stroke):
            raise ProtocolError("unknown_stroke", "this stroke was taken back", message.seq)
        if isinstance(message, StrokeStart):
            strokes[message.stroke] = (message.color, message.width)
            self.color = message.color  # the visitor's colour now, whoever suggested it
            if len(strokes) > OPEN_STROKES:
                del strokes[next(iter(strokes))]
        elif message.stroke not in strokes and message.color is not None:
            # The stroke began on another process, or before a restart: its header
            # came again with this message (docs/protocol.md, "Strokes").
            assert message.width is not None
            strokes[message.stroke] = (message.color, message.width)
        style = strokes.get(message.stroke)
        if style is None:
            raise ProtocolError("unknown_stroke", "start the stroke first", message.seq)
        dropped = self._refusal(message)
        if dropped:
            host.acks.handled(self.seqs, message.seq, stored=False)
            self.held.append({**self._ink_ack(message.seq), "dropped": dropped})
            return []
        if isinstance(message, StrokeEnd):
            strokes.pop(message.stroke, None)
        host.acks.handled(self.seqs, message.seq, stored=True)
        accepted_at = time.time()
        host.draw(
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
                accepted_at=accepted_at,
            )
        )
        self.recent.drawn(message.stroke, host.exhibit.sheet, accepted_at)
        return []

    def undo(self, message: Undo, drawn: DrawnStroke | None) -> list[dict]:
        """Take back one of this client's strokes; `drawn` is what this process or
        storage knows of it (None: nothing). Its ack waits for the hide's commit."""
        host = self.host
        assert self.client is not None and self.seqs is not None
        refusal = undo_refusal(drawn, host.exhibit.sheet, time.time())
        if refusal is not None:
            return self._violation(ProtocolError(*refusal, seq=message.seq))
        assert drawn is not None
        if drawn.hidden:  # taken back already (a second press, or the curator)
            host.acks.handled(self.seqs, message.seq, stored=False)
            return []
        drawn.hidden = True
        self.recent.remember(message.stroke, drawn)
        host.open_strokes(self.client).pop(message.stroke, None)  # no more points for it
        host.acks.handled(self.seqs, message.seq, stored=True)
        host.hide(HiddenStroke(self.client, message.seq, message.stroke))
        return []

    def _refusal(self, message: StrokeStart | StrokePoints | StrokeEnd) -> str | None:
        """Why an otherwise valid stroke message is not drawn, if it is not."""
        host = self.host
        if host.exhibit.paused:
            return "paused"
        if not host.admitted(self.phone, self.device):
            return "full"
        if host.storage_full():
            return "storage_full"
        accepted, _ = host.ink.spend(self.device, len(message.points))
        return None if accepted else "out_of_ink"

    def take_acks(self, now: float, keepalive: float) -> list[dict]:
        """What the phone may be told now: held drops and errors whose earlier messages
        are all stored, then one cumulative ack; or, while messages wait on storage and
        nothing was said for `keepalive` seconds, or the process's pace rose since the
        last ack, the last ack again."""
        if self.seqs is None:
            return []
        durable = self.seqs.durable
        replies = self._held_due()
        if durable > self.acked_sent or (self.resent and durable >= self.resent and not replies):
            replies.append(self._ink_ack(durable))
            self.acked_sent = durable
            self.resent = 0
        elif (
            not replies
            and self.waiting()
            and (now - self.ack_sent_at >= keepalive or self._pace_rose())
        ):
            replies.append(self._ink_ack(self.acked_sent))  # "still here, still storing"
        if replies:
            self.ack_sent_at = now
        return replies

    def _held_due(self) -> list[dict]:
        """Held drops and errors whose earlier messages are all stored now."""
        assert self.seqs is not None
        durable, due = self.seqs.durable, []
        while self.held and self.held[0]["seq"] <= durable:
            due.append(self.held.pop(0))
            self.acked_sent = max(self.acked_sent, due[-1]["seq"])
        return due

    def waiting(self) -> bool:
        """Whether the phone waits for an ack this process owes it."""
        return self.seqs is not None and self.seqs.handled > self.acked_sent

    def _pace_rose(self) -> bool:
        """Whether the process asks for a slower pace than this phone last heard: a
        crowd that starts together must hear it before its first commit is acked."""
        pace = self.host.pace.pace
        return pace is not None and (self.pace_told is None or pace > self.pace_told)

    def _ink_ack(self, seq: int) -> dict:
        ack = {"type": "ack", "seq": seq, "ink": round(self.host.ink.level(self.device), 1)}
        pace = self.pace_told = self.host.pace.pace
        if pace is not None:
            ack["pace"] = pace  # busy: fewer, fuller messages, please
        return ack

    def _violation(self, error: ProtocolError) -> list[dict]:
        """Count a bad message and answer it; one with a seq is consumed (never resent),
        and its answer waits, like an ack, until every earlier message is stored."""
        self.host.violation(error.code, self.device)
        reply: dict[str, object] = {"type": "error", "code": error.code, "detail": error.detail}
        replies = [reply]
        if error.seq is not None and self.seqs is not None:
            reply["seq"] = error.seq
            self.host.acks.handled(self.seqs, error.seq, stored=False)
            self.held.append(reply)
            replies = []
        if self._count_violation():
            # What may be said now, then the code: an answer carrying a seq must not
            # overtake earlier messages that are not stored yet.
            last = {k: v for k, v in reply.items() if k != "seq"}
            raise CloseConnection(close_codes.POLICY_VIOLATION, [*self._held_due(), last])
        return replies

    def _count_violation(self) -> bool:
        now = time.monotonic()
        self.violations = [t for t in self.violations if now - t < VIOLATION_WINDOW]
        self.violations.append(now)
        return len(self.violations) > VIOLATION_LIMIT
