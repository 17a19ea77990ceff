"""The district's inspection reminder rule (R16): how many days before the quarter ends the town
supervisor is reminded of the villages not yet inspected, set per district by civil affairs
(1 to 60, default 14) and read by the sweep in one statement for every district."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import NotificationKind, Reminder, ReminderRule
from notifications.rules import DEFAULTS, rule_for
from notifications.sweep import inspection_sql, sweep
from tests.factories import BEIBEI, XIUSHAN, region

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]

QUARTER_END = datetime.date(2026, 12, 31)


def days_before_end(days: int) -> datetime.date:
    return QUARTER_END - datetime.timedelta(days=days)


def set_days(district: str, days: int) -> ReminderRule:
    return ReminderRule.objects.create(
        district=region(district),
        due_soon_days=DEFAULTS.due_soon_days,
        supervisor_after_days=DEFAULTS.supervisor_after_days,
        district_after_days=DEFAULTS.district_after_days,
        digest_threshold=DEFAULTS.digest_threshold,
        inspection_reminder_days=days,
    )


def reminded() -> set[str]:
    """Usernames of the supervisors holding an inspection reminder."""
    return set(
        Reminder.objects.filter(kind=NotificationKind.INSPECTION_DUE).values_list(
            "recipient__username", flat=True
        )
    )


def test_the_default_is_fourteen_days_and_a_district_rule_overrides_it(people):
    assert DEFAULTS.inspection_reminder_days == 14
    assert rule_for(BEIBEI).inspection_reminder_days == 14
    set_days(XIUSHAN, 30)
    assert rule_for(XIUSHAN).inspection_reminder_days == 30
    assert rule_for(BEIBEI).inspection_reminder_days == 14


def test_a_longer_district_rule_reminds_that_districts_supervisors_earlier(people):
    set_days(XIUSHAN, 30)
    sweep(days_before_end(31))
    assert reminded() == set()
    sweep(days_before_end(30))
    # 秀山县 (30 days) is reminded; 北碚区 keeps the default 14 days and is not, yet.
    assert reminded() == {"other_supervisor"}
    sweep(days_before_end(14))
    assert reminded() == {"other_supervisor", "supervisor"}


def test_a_shorter_district_rule_reminds_later(people):
    set_days(BEIBEI, 5)
    sweep(days_before_end(14))
    assert reminded() == {"other_supervisor"}  # 秀山县 on the default
    sweep(days_before_end(6))
    assert reminded() == {"other_supervisor"}
    sweep(days_before_end(5))
    assert reminded() == {"other_supervisor", "supervisor"}
    # Both districts' reminders name the quarter's last day, so a later sweep adds nothing.
    before = Reminder.objects.count()
    sweep(QUARTER_END)
    assert Reminder.objects.count() == before


def test_one_statement_whatever_the_number_of_district_rules(people):
    set_days(BEIBEI, 20)
    set_days(XIUSHAN, 40)
    with CaptureQueriesContext(connection) as ctx:
        sweep(days_before_end(20))
    statements = [q["sql"] for q in ctx.captured_queries if "visits_inspection" in q["sql"]]
    assert len(statements) == 1
    assert reminded() == {"supervisor", "other_supervisor"}


def test_no_statement_when_no_window_can_be_open():
    assert inspection_sql(days_before_end(61)) is None
    assert inspection_sql(days_before_end(60)) is not None


# --- the rule page ----------------------------------------------------------------------------


def form(days) -> dict[str, object]:
    return {
        "due_soon_days": 7,
        "supervisor_after_days": 7,
        "district_after_days": 30,
        "digest_threshold": 5,
        "inspection_reminder_days": days,
    }


@pytest.mark.parametrize("days", [0, -3, 61, 1000, ""])
def test_bad_numbers_of_days_are_refused_with_a_clear_message(people, login, days):
    response = login(people["civil"]).post(
        reverse("notifications:rules"), form(days), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["inspection_reminder_days"]
    if days != "":
        assert errors["inspection_reminder_days"] == ["Enter a number of days from 1 to 60."]
        assert "Enter a number of days from 1 to 60." in response.content.decode()
    assert not ReminderRule.objects.exists()


def test_civil_affairs_set_the_days_and_the_sweep_follows(people, login):
    client = login(people["civil"])
    page = client.get(reverse("notifications:rules")).content.decode()
    assert 'name="inspection_reminder_days"' in page and 'value="14"' in page
    response = client.post(reverse("notifications:rules"), form(60))
    assert response.status_code == 302
    rule = ReminderRule.objects.get()
    assert (rule.district.code, rule.inspection_reminder_days) == (BEIBEI, 60)
    assert 'value="60"' in client.get(reverse("notifications:rules")).content.decode()
    sweep(days_before_end(60))
    assert reminded() == {"supervisor"}


def test_another_districts_staff_cannot_reach_the_rule(people, login):
    url = reverse("notifications:rules_district", args=[region(BEIBEI).pk])
    client = login(people["other_civil"])
    assert client.get(url).status_code == 404
    assert client.post(url, form(30)).status_code == 404
    assert not ReminderRule.objects.exists()
