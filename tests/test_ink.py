"""Per-phone ink buckets, the message-rate window and the admission line."""

from controller.admission import Admission
from controller.ink import InkLedger, MessageRate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_segment_is_charged_whole_or_not_at_all():
    clock = Clock()
    ledger = InkLedger(rate=10, burst=20, clock=clock)
    assert ledger.spend("d1", 15) == (True, 5)
    assert ledger.spend("d1", 6) == (False, 5)  # not half of it
    assert ledger.spend("d1", 5) == (True, 0)


def test_ink_refills_at_its_rate_up_to_the_burst():
    clock = Clock()
    ledger = InkLedger(rate=10, burst=20, clock=clock)
    ledger.spend("d1", 20)
    clock.now += 0.5
    assert ledger.level("d1") == 5
    clock.now += 100
    assert ledger.level("d1") == 20


def test_ink_is_per_device_and_survives_a_new_connection():
    clock = Clock()
    ledger = InkLedger(rate=10, burst=20, clock=clock)
    ledger.spend("d1", 20)
    # A reconnect or a second tab asks the ledger again for the same device.
    assert ledger.level("d1") == 0
    assert ledger.level("d2") == 20


def test_retune_applies_new_limits_to_every_phone():
    clock = Clock()
    ledger = InkLedger(rate=10, burst=20, clock=clock)
    ledger.spend("d1", 5)
    ledger.retune(rate=1, burst=8)
    assert ledger.level("d1") == 8
    ledger.spend("d1", 8)
    clock.now += 1
    assert ledger.level("d1") == 1


def test_the_ledger_forgets_the_longest_idle_device_first():
    ledger = InkLedger(rate=10, burst=20, clock=Clock(), max_devices=2)
    ledger.spend("a", 1)
    ledger.spend("b", 1)
    ledger.spend("a", 1)
    ledger.spend("c", 1)
    assert set(ledger._buckets) == {"a", "c"}


def test_message_rate_allows_the_limit_per_second():
    rate = MessageRate(limit=3)
    assert [rate.allow(10.0) for _ in range(4)] == [True, True, True, False]
    assert rate.allow(11.0)


def test_admission_lets_the_next_in_line_in_when_a_place_frees():
    admission = Admission(capacity=2)
    assert admission.join("s1", "d1") == 0
    assert admission.join("s2", "d2") == 0
    assert admission.join("s3", "d3") == 1
    assert admission.join("s4", "d4") == 2
    assert admission.join("s1b", "d1") == 0, "a second tab shares its phone's place"
    admission.leave("s2", "d2")
    assert admission.promote() == ["s3"]
    assert admission.admitted("s3", "d3")
    assert admission.waiting() == [("s4", 1)]
    admission.leave("s4", "d4")
    assert admission.waiting() == []


def test_admission_counts_phones_that_drew_recently():
    clock = Clock()
    admission = Admission(capacity=5, clock=clock)
    admission.join("s1", "d1")
    admission.touch("d1")
    assert admission.drawing_count() == 1
    clock.now += 10
    assert admission.drawing_count() == 0


def test_an_idle_phone_yields_its_place_only_while_others_wait():
    clock = Clock()
    admission = Admission(capacity=1, clock=clock)
    admission.join("s1", "d1")
    clock.now += 60
    assert admission.yield_idle(30) == [], "nobody waits: the idle phone keeps its place"
    assert admission.join("s2", "d2") == 1
    clock.now += 1
    admission.touch("d1")
    assert admission.yield_idle(30) == [], "it drew just now"
    clock.now += 31
    assert admission.yield_idle(30) == ["s1"]
    assert admission.promote() == ["s2"]
    assert admission.waiting() == [("s1", 1)]
