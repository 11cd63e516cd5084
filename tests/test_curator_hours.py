"""Opening hours with a test clock: which transition is due, what an opening and a
closing do, exactly once per transition with concurrent callers, and the admin."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from core.exhibit import exhibit_snapshot_load
from core.models import Exhibit, Sheet
from core.sheets import sheet_current
from projector import hours, moderation
from projector.hours import CLOSE, OPEN, hours_due, hours_next, hours_tick
from projector.models import ClosedDay, OpeningHours, ScheduleState
from tests.test_curator_admin import draw

pytestmark = [
    pytest.mark.database,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

MONDAY = date(2030, 3, 4)  # a Monday; TIME_ZONE is UTC in the tests


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=UTC)


def open_weekdays(*weekdays: int, opens=time(10), closes=time(18)) -> None:
    for weekday in weekdays:
        OpeningHours.objects.update_or_create(
            weekday=weekday, defaults={"is_open": True, "opens": opens, "closes": closes}
        )


@pytest.fixture
def announced(monkeypatch):
    calls: list[tuple[dict, ...]] = []
    monkeypatch.setattr(
        moderation, "announce", lambda *messages, **details: calls.append(messages) or True
    )
    return calls


@pytest.mark.django_db
def test_the_migration_makes_seven_closed_days_and_the_state_row():
    assert [row.weekday for row in OpeningHours.objects.all()] == list(range(7))
    assert not OpeningHours.objects.filter(is_open=True).exists()
    assert ScheduleState.objects.filter(pk=1).exists()
    assert hours_due(at(MONDAY, 12)) is None and hours_next(at(MONDAY, 12)) is None
    assert hours_tick(at(MONDAY, 12)) is None


@pytest.mark.django_db
def test_due_and_next_follow_the_week_and_closed_days():
    open_weekdays(0, 2)  # Monday and Wednesday
    ClosedDay.objects.create(date=MONDAY + timedelta(days=2), note="installing")
    assert hours_due(at(MONDAY, 9)).at == at(MONDAY - timedelta(days=5), 18)  # last Wednesday
    assert hours_due(at(MONDAY, 10)) == hours.Transition(OPEN, at(MONDAY, 10))
    assert hours_due(at(MONDAY, 17, 59)).kind == OPEN
    assert hours_due(at(MONDAY, 18)).kind == CLOSE
    # Wednesday is a closed day: after Monday's closing comes next Monday's opening.
    assert hours_next(at(MONDAY, 18)) == hours.Transition(OPEN, at(MONDAY + timedelta(7), 10))
    assert "reset" in hours_next(at(MONDAY, 9)).label


@pytest.mark.django_db
def test_an_opening_resets_and_resumes_a_closing_pauses_each_once(announced):
    open_weekdays(0)
    archived = sheet_current()
    # The first tick only records where the schedule stands: nothing is reset.
    assert hours_tick(at(MONDAY, 9)) is None
    assert sheet_current().pk == archived.pk
    assert ScheduleState.objects.get().last_kind == CLOSE

    moderation.exhibit_pause(paused=True)
    draw(archived, "d_alice", "alice")
    applied = hours_tick(at(MONDAY, 10, 0, 5))
    assert applied == hours.Transition(OPEN, at(MONDAY, 10))
    new = sheet_current()
    assert new.pk != archived.pk
    archived.refresh_from_db()
    assert archived.ended_at is not None and archived.segments.count() == 6
    assert not Exhibit.load().paused and not Exhibit.load().closed
    assert hours_tick(at(MONDAY, 10, 0, 20)) is None, "once"
    assert hours_tick(at(MONDAY, 17)) is None
    assert sheet_current().pk == new.pk

    applied = hours_tick(at(MONDAY, 18, 0, 1))
    assert applied.kind == CLOSE
    exhibit = Exhibit.load()
    assert exhibit.paused and exhibit.closed
    wall = exhibit_snapshot_load().for_wall()
    assert wall["closed"] is True and wall["closed_message"] == exhibit.closed_message
    assert hours_tick(at(MONDAY, 18, 5)) is None
    assert sheet_current().pk == new.pk, "a closing keeps the picture"
    # The curator resumes by hand in the evening: the closing message goes too, and
    # the schedule does not pause it again.
    moderation.exhibit_pause(paused=False)
    assert not Exhibit.load().closed
    assert hours_tick(at(MONDAY, 19)) is None and not Exhibit.load().paused


@pytest.mark.django_db
def test_a_late_tick_applies_only_the_latest_transition(announced):
    open_weekdays(0, 1)
    hours_tick(at(MONDAY, 9))  # the baseline
    before = Sheet.objects.count()
    # The server was down from Monday 9:00 to Tuesday 11:00: one opening (Tuesday's).
    applied = hours_tick(at(MONDAY + timedelta(days=1), 11))
    assert applied == hours.Transition(OPEN, at(MONDAY + timedelta(days=1), 10))
    assert Sheet.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_reset_exactly_once(announced):
    if connection.vendor == "sqlite":
        pytest.skip("threads on the in-memory test database; see the two-process test")
    open_weekdays(0)
    hours_tick(at(MONDAY, 9))
    before = Sheet.objects.count()
    callers = 4
    barrier = threading.Barrier(callers)
    results: list = []

    def caller() -> None:
        try:
            barrier.wait(10)
            results.append(hours_tick(at(MONDAY, 10, 0, 3)))
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == callers
    assert [r for r in results if r is not None] == [hours.Transition(OPEN, at(MONDAY, 10))]
    assert Sheet.objects.count() == before + 1


@pytest.mark.django_db
def test_hours_admin_edits_the_week_in_place(admin_client):
    url = reverse("admin:projector_openinghours_changelist")
    page = admin_client.get(url).content.decode()
    assert "No day is open yet" in page and "Monday" in page and "Sunday" in page
    rows = list(OpeningHours.objects.order_by("weekday"))
    data = {
        "form-TOTAL_FORMS": "7",
        "form-INITIAL_FORMS": "7",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-opens"] = "10:00"
        data[f"form-{i}-closes"] = "18:00"
        if i < 5:
            data[f"form-{i}-is_open"] = "on"
    data["form-4-closes"] = "09:00"  # Friday closes before it opens
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "must close after it opens" in response.content.decode()
    data["form-4-closes"] = "22:00"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert OpeningHours.objects.filter(is_open=True).count() == 5
    assert OpeningHours.objects.get(weekday=4).closes == time(22)
    page = admin_client.get(url).content.decode()
    assert "Next:" in page
    assert "Next:" in admin_client.get(reverse("admin:index")).content.decode()
    ClosedDay.objects.create(date=date.today() + timedelta(days=1), note="holiday")
    assert "holiday" in admin_client.get(url).content.decode()
