"""DrawingSession alone, driven through a stand-in SessionHost: no server, no socket,
no database. What a phone is told, and when, follows from the ledger and the host."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pytest

from controller.ack_ledger import AckLedger
from controller.claims import Claim
from controller.ink import InkLedger, MessageRate
from controller.pace import PaceMeter
from controller.session import CloseConnection, DrawingSession
from controller.undo import RecentStrokes
from core.exhibit import ExhibitSnapshot
from core.frames import AcceptedSegment, HiddenStroke
from core.messages import Hello

PALETTE = ("#f94144", "#277da1")


@dataclass
class StandInHost:
    """Everything a session asks of its process, in memory; `drawn` is what reached
    the Mixer, `full` turns the storage bound on."""

    exhibit: ExhibitSnapshot = field(
        default_factory=lambda: ExhibitSnapshot(sheet=1, palette=PALETTE, brushes=(0.006,))
    )
    ink: InkLedger = field(default_factory=lambda: InkLedger(rate=240.0, burst=480.0))
    acks: AckLedger = field(default_factory=AckLedger)
    pace: PaceMeter = field(default_factory=lambda: PaceMeter(budget=0))
    drawn: list[AcceptedSegment] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    strokes: dict[str, dict[int, tuple[str, float]]] = field(default_factory=dict)
    recent: dict[str, RecentStrokes] = field(default_factory=dict)
    hidden: list[HiddenStroke] = field(default_factory=list)
    admit: bool = True
    full: bool = False

    def message_rate(self, device: str) -> MessageRate:
        return MessageRate(limit=1000)

    def violation(self, code: str, device: str) -> None:
        self.violations.append(code)

    def open_strokes(self, client: str) -> dict[int, tuple[str, float]]:
        return self.strokes.setdefault(client, {})

    def admitted(self, phone: object, device: str) -> bool:
        return self.admit

    def storage_full(self) -> bool:
        return self.full

    def draw(self, segment: AcceptedSegment) -> None:
        self.drawn.append(segment)

    def recent_strokes(self, client: str) -> RecentStrokes:
        return self.recent.setdefault(client, RecentStrokes())

    def hide(self, undo: HiddenStroke) -> None:
        self.hidden.append(undo)

    def commit(self) -> None:
        """The database took everything drawn so far, and hid what was taken back."""
        for done in (*self.drawn, *self.hidden):
            self.acks.committed(done.client, done.seq)


def session(host: StandInHost, device: str = "d_one", client: str = "client-one") -> DrawingSession:
    s = DrawingSession(host, device)
    hello = s.receive(json.dumps({"type": "hello", "client": client}), None)
    assert isinstance(hello, Hello)
    s.welcome(hello, Claim(True), PALETTE[0], place=0)
    return s


def send(s: DrawingSession, **message) -> list[dict]:
    replies = s.receive(json.dumps(message), None)
    assert isinstance(replies, list)
    return replies


def start(seq: int, stroke: int = 1, **extra) -> dict:
    return {"type": "start", "seq": seq, "stroke": stroke, "color": PALETTE[0],
            "width": 0.006, "points": [[0.5, 0.5]], **extra}  # fmt: skip


def test_a_drawn_message_is_acknowledged_only_once_committed():
    host = StandInHost()
    s = session(host)
    assert send(s, **start(1)) == []
    assert [seg.key for seg in host.drawn] == ["client-one:1"]
    assert s.take_acks(now=1.0, keepalive=2.0) == [], "not stored yet: no ack"
    assert s.waiting()
    host.commit()
    (ack,) = s.take_acks(now=1.1, keepalive=2.0)
    assert (ack["type"], ack["seq"]) == ("ack", 1) and not s.waiting()


def test_while_storage_is_slow_the_last_ack_is_repeated():
    host = StandInHost()
    s = session(host)
    send(s, **start(1))
    later = s.ack_sent_at + 2.5
    assert s.take_acks(now=later, keepalive=2.0) == [{"type": "ack", "seq": 0, "ink": 479.0}]


def test_a_drop_waits_for_the_messages_before_it():
    host = StandInHost()
    s = session(host)
    send(s, **start(1))
    host.exhibit = ExhibitSnapshot(sheet=1, palette=PALETTE, brushes=(0.006,), paused=True)
    send(s, type="points", seq=2, stroke=1, points=[[0.6, 0.6]])
    assert s.take_acks(now=1.0, keepalive=2.0) == [], "seq 1 is not stored yet"
    host.commit()
    (drop,) = s.take_acks(now=1.1, keepalive=2.0)
    assert (drop["seq"], drop["dropped"]) == (2, "paused")


def test_a_resend_is_not_drawn_again_but_acknowledged_again():
    host = StandInHost()
    s = session(host)
    send(s, **start(1))
    host.commit()
    s.take_acks(now=1.0, keepalive=2.0)
    assert send(s, **start(1)) == [] and len(host.drawn) == 1
    assert [a["seq"] for a in s.take_acks(now=1.1, keepalive=2.0)] == [1]


def test_a_seq_that_jumps_is_refused_with_where_to_resume():
    host = StandInHost()
    s = session(host)
    (gap,) = send(s, type="ping", seq=2**31)
    assert (gap["code"], gap["expected"], "seq" in gap) == ("seq_gap", 1, False)
    assert s.seqs is not None and s.seqs.handled == 0, "nothing consumed"


def test_a_stroke_continues_on_a_new_process_when_its_header_comes_again():
    host = StandInHost()
    s = session(host)
    assert send(s, type="points", seq=1, stroke=7, points=[[0.1, 0.1]]) == []
    (error,) = s.take_acks(now=1.0, keepalive=2.0)  # an error with a seq waits like an ack
    assert (error["code"], error["seq"]) == ("unknown_stroke", 1)
    send(s, type="points", seq=2, stroke=7, points=[[0.2, 0.2]], color=PALETTE[1], width=0.006)
    (segment,) = host.drawn
    assert (segment.color, segment.is_start) == (PALETTE[1], False)


def test_a_full_backlog_refuses_points_and_says_so():
    host = StandInHost(full=True)
    s = session(host)
    send(s, **start(1))
    assert host.drawn == []
    (drop,) = s.take_acks(now=1.0, keepalive=2.0)
    assert drop["dropped"] == "storage_full"


def test_many_bad_messages_close_the_connection():
    s = session(StandInHost())
    with pytest.raises(CloseConnection) as closed:
        for _ in range(30):
            send(s, type="nonsense")
    assert closed.value.code == 1008


def test_acks_ask_for_fewer_fuller_messages_only_while_the_process_is_busy():
    host = StandInHost(pace=PaceMeter(budget=60, window=0.05))  # two phones' worth
    phones = [session(host, device=f"d_{n}", client=f"client-{n}") for n in range(2)]
    stroke = {"stroke": 1, "color": PALETTE[0], "width": 0.006, "points": [[0.5, 0.5]]}
    for s in phones:
        assert send(s, type="start", seq=1, **stroke) == []
    host.commit()
    assert "pace" not in phones[0].take_acks(now=1.0, keepalive=2.0)[0]  # two fit
    time.sleep(0.12)  # two windows pass without a message: the crowd has gone
    send(phones[1], type="points", seq=2, stroke=1, points=[[0.6, 0.6]])
    host.commit()
    assert "pace" not in phones[1].take_acks(now=2.0, keepalive=2.0)[0]


def paced(replies: list[dict]) -> list[tuple[int, int | None]]:
    """Acks as (seq, pace): what a phone learns from them besides its ink."""
    return [(r["seq"], r.get("pace")) for r in replies if r["type"] == "ack"]


def test_the_first_ask_answers_the_message_that_found_the_process_busy():
    host = StandInHost(pace=PaceMeter(budget=60))  # two phones' worth
    phones = [session(host, device=f"d_{n}", client=f"client-{n}") for n in range(2)]
    for s in phones:
        send(s, **start(1))
    phones.append(session(host, device="d_2", client="client-2"))  # the third outgrows it
    # Its message is not stored yet: the ask comes at once, as the last ack again.
    assert paced(send(phones[2], **start(1))) == [(0, 50)]
    assert phones[2].take_acks(now=1.0, keepalive=2.0) == [], "told once"
    # The phones that sent before the ask hear it at the next ack tick.
    assert paced(phones[0].take_acks(now=1.0, keepalive=2.0)) == [(0, 50)]
    assert send(phones[0], type="end", seq=2, stroke=1) == [], "told already"
    host.commit()
    assert phones[1].take_acks(now=1.1, keepalive=2.0)[0]["pace"] == 50
    assert phones[1].take_acks(now=1.2, keepalive=2.0) == [], "nothing in flight: no news"


def test_a_higher_ask_reaches_a_waiting_phone_at_the_next_ack_tick():
    host = StandInHost(pace=PaceMeter(budget=60))
    phones = [session(host, device=f"d_{n}", client=f"client-{n}") for n in range(3)]
    for s in phones:
        send(s, **start(1))
    assert phones[2].take_acks(now=1.0, keepalive=2.0) == [], "told 50 in answer"
    phones.append(session(host, device="d_3", client="client-3"))
    send(phones[3], **start(1))  # a fourth: 70 ms
    # The phones still wait for their first commit; each hears 70 at its next tick.
    assert paced(phones[2].take_acks(now=1.1, keepalive=2.0)) == [(0, 70)]
    host.commit()
    assert paced(phones[1].take_acks(now=1.2, keepalive=2.0)) == [(1, 70)]


# -- undo (docs/protocol.md, "Undo") -------------------------------------------------


def drawn_stroke(host: StandInHost, s: DrawingSession, stroke: int = 1, seq: int = 1) -> int:
    """Draw a whole stroke from `seq`; returns the next seq."""
    send(s, **start(seq, stroke))
    send(s, type="end", seq=seq + 1, stroke=stroke)
    return seq + 2


def test_undo_hides_the_stroke_and_its_ack_waits_for_the_hide():
    host = StandInHost()
    s = session(host)
    seq = drawn_stroke(host, s, stroke=4)
    host.commit()
    assert [a["seq"] for a in s.take_acks(now=1.0, keepalive=2.0)] == [2]
    assert send(s, type="undo", seq=seq, stroke=4) == []
    assert host.hidden == [HiddenStroke("client-one", 3, 4)]
    assert s.take_acks(now=1.1, keepalive=2.0) == [], "the hide is not committed yet"
    host.commit()
    assert [a["seq"] for a in s.take_acks(now=1.2, keepalive=2.0)] == [3]
    # A second press for the same stroke changes nothing and is acknowledged.
    assert send(s, type="undo", seq=4, stroke=4) == [] and len(host.hidden) == 1
    # Points for a stroke taken back are refused: it cannot come back by the back door.
    send(s, type="points", seq=5, stroke=4, points=[[0.3, 0.3]], color=PALETTE[0], width=0.006)
    (error,) = s.take_acks(now=1.3, keepalive=2.0)
    assert (error["code"], error["seq"]) == ("unknown_stroke", 5)
    assert len(host.drawn) == 2


def test_undo_of_a_stroke_never_drawn_is_refused_as_not_yours():
    host = StandInHost()
    s = session(host)
    undo = s.receive(json.dumps({"type": "undo", "seq": 1, "stroke": 9}), None)
    # Not in this process's memory: the consumer asks storage, which knows nothing.
    assert not isinstance(undo, list | Hello)
    assert s.undo(undo, None) == []
    (error,) = s.take_acks(now=1.0, keepalive=2.0)
    assert (error["code"], error["seq"]) == ("not_yours", 1)
    assert host.hidden == []


def test_another_devices_undo_names_its_own_client_and_cannot_reach_the_first():
    host = StandInHost()
    first = session(host, device="d_one", client="client-one")
    drawn_stroke(host, first, stroke=1)
    second = session(host, device="d_two", client="client-two")
    undo = second.receive(json.dumps({"type": "undo", "seq": 1, "stroke": 1}), None)
    assert not isinstance(undo, list | Hello), "client-two never drew stroke 1"
    second.undo(undo, host.recent_strokes("client-two").get(1))
    (error,) = second.take_acks(now=1.0, keepalive=2.0)
    assert (error["code"], error["seq"]) == ("not_yours", 1)
    assert host.hidden == []


def test_undo_is_refused_once_the_stroke_is_more_than_ten_seconds_old(monkeypatch):
    import controller.session as session_module
    from controller.undo import UNDO_GRACE, UNDO_SECONDS

    host = StandInHost()
    s = session(host)
    seq = drawn_stroke(host, s, stroke=1)
    ended = host.recent_strokes("client-one").get(1)
    assert ended is not None
    clock = ended.last_at + UNDO_SECONDS + UNDO_GRACE + 0.5
    monkeypatch.setattr(session_module.time, "time", lambda: clock)
    send(s, type="undo", seq=seq, stroke=1)
    host.commit()
    error = s.take_acks(now=1.0, keepalive=2.0)[0]
    assert (error["code"], error["seq"]) == ("too_late", 3)
    assert host.hidden == []


def test_undo_after_a_reset_is_too_late():
    host = StandInHost()
    s = session(host)
    seq = drawn_stroke(host, s, stroke=1)
    host.exhibit = ExhibitSnapshot(sheet=2, palette=PALETTE, brushes=(0.006,))
    send(s, type="undo", seq=seq, stroke=1)
    host.commit()
    error = s.take_acks(now=1.0, keepalive=2.0)[0]
    assert (error["code"], error["seq"]) == ("too_late", 3)
