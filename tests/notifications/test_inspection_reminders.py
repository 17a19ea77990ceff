"""Village inspection reminders (R16): the town supervisor is reminded, from 14 days before the
quarter's last day, of each village of the town not inspected this quarter."""

from __future__ import annotations

import datetime

import pytest

from notifications.delivery import deliver_in_app
from notifications.models import EscalationLevel, Notification, NotificationKind, Reminder
from notifications.rules import INSPECTION_REMINDER_DAYS
from notifications.sweep import sweep
from org.models import Region
from tests.factories import JINGGUAN, RONGXI, ZHIDA, region
from visits.models import Inspection

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

QUARTER_END = datetime.date(2026, 12, 31)
DAY_MINUS_14 = QUARTER_END - datetime.timedelta(days=INSPECTION_REMINDER_DAYS)


def town_villages(town: str) -> set[int]:
    return set(
        Region.objects.filter(level="village", code__startswith=town[:9]).values_list(
            "pk", flat=True
        )
    )


def inspection_keys(**filters):
    return set(
        Reminder.objects.filter(kind=NotificationKind.INSPECTION_DUE, **filters).values_list(
            "village_id", "due_date", "recipient__username", "level"
        )
    )


def inspect(village_code: str, by, day: datetime.date) -> None:
    quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    village = region(village_code)
    Inspection.objects.create(
        village=village, region_code=village.code, supervisor=by, inspected_on=day, quarter=quarter
    )


def test_fourteen_days_is_the_default():
    assert INSPECTION_REMINDER_DAYS == 14


def test_the_supervisor_is_reminded_on_day_minus_14_not_before(people):
    sweep(DAY_MINUS_14 - datetime.timedelta(days=1))
    assert not Reminder.objects.filter(kind=NotificationKind.INSPECTION_DUE).exists()

    sweep(DAY_MINUS_14)
    villages = town_villages(JINGGUAN)
    assert villages  # 静观镇 has villages
    assert inspection_keys(recipient=people["supervisor"]) == {
        (pk, QUARTER_END, "supervisor", EscalationLevel.SUPERVISOR) for pk in villages
    }
    assert not Reminder.objects.filter(
        kind=NotificationKind.INSPECTION_DUE, child__isnull=False
    ).exists()


def test_an_inspected_village_is_not_reminded(people):
    inspect(ZHIDA, people["supervisor"], datetime.date(2026, 10, 15))
    sweep(DAY_MINUS_14)
    reminded = {key[0] for key in inspection_keys(recipient=people["supervisor"])}
    assert region(ZHIDA).pk not in reminded
    assert reminded == town_villages(JINGGUAN) - {region(ZHIDA).pk}


def test_last_quarters_inspection_does_not_count(people):
    inspect(ZHIDA, people["supervisor"], datetime.date(2026, 9, 30))
    sweep(DAY_MINUS_14)
    assert region(ZHIDA).pk in {key[0] for key in inspection_keys()}


def test_not_twice_across_two_sweeps(people):
    first = sweep(DAY_MINUS_14)
    again = sweep(DAY_MINUS_14)
    later = sweep(DAY_MINUS_14 + datetime.timedelta(days=3))  # same quarter: same key
    assert first.created == Reminder.objects.count() > 0
    assert again.created == later.created == 0


def test_not_to_another_towns_supervisor(people):
    sweep(DAY_MINUS_14)
    mine = {key[0] for key in inspection_keys(recipient=people["supervisor"])}
    theirs = {key[0] for key in inspection_keys(recipient=people["other_supervisor"])}
    assert theirs == town_villages(RONGXI)
    assert not mine & theirs
    for name in ("director", "civil", "neighbour", "other_director", "other_civil"):
        assert not Reminder.objects.filter(recipient=people[name]).exists()


def test_the_reminder_reaches_the_inbox(people):
    sweep(DAY_MINUS_14)
    deliver_in_app(threshold=1000)
    zhida = Notification.objects.get(recipient=people["supervisor"], title__contains="志达")
    assert zhida.kind == NotificationKind.INSPECTION_DUE
    assert zhida.child_id is None
    assert zhida.link == "/visits/inspections/"
    assert "2026-12-31" in zhida.body
