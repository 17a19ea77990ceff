"""In-app delivery on PostgreSQL writes a batch in one statement (notifications.delivery_sql):
the same titles, bodies, links, children, kinds and email/SMS copies as the Python path, digests
still for people above their threshold, and a statement count that does not grow with the
reminders. On SQLite the Python path runs and the same expectations hold."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import clock as app_clock
from notifications import delivery
from notifications.delivery import _Links, _reminder_text, _titles, deliver_in_app
from notifications.models import Channel, Delivery, Notification, Reminder, SendStatus
from notifications.sweep import sweep
from tests.factories import ZHIDA, region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_inspection_reminders(villages_inspected):
    """Children's reminders here; one inspection reminder is made by hand below."""


def expected(reminders: list[Reminder], today: datetime.date) -> set[tuple]:
    """What the Python path writes for each reminder (the reference)."""
    links, titles = _Links(), _titles()
    rows = set()
    for r in reminders:
        title, body = _reminder_text(r, today, titles)
        link = links.inspections if r.child_id is None else links.child(r.child_id)
        rows.add((r.recipient_id, r.kind, title, body, link, r.child_id))
    return rows


def written() -> set[tuple]:
    return set(
        Notification.objects.values_list(
            "recipient_id", "kind", "title", "body", "link", "child_id"
        )
    )


def test_the_statement_writes_what_the_python_path_writes(people, child_due, today, sms):
    people["director"].email = "d@example.org"
    people["director"].save()
    people["supervisor"].phone = ""
    people["supervisor"].save()
    child_due(3)  # due soon
    child_due(0)  # due today
    child_due(-1)  # one day late: the singular sentence
    child_due(-9)  # many days: the plural one (and the supervisor's)
    child_due(None, visit_days=-2)  # a home visit overdue
    sweep(today)
    Reminder.objects.create(
        village=region(ZHIDA),
        kind="inspection_due",
        due_date=today + datetime.timedelta(days=20),
        recipient=people["supervisor"],
        level=0,
    )
    reminders = list(Reminder.objects.select_related("child__village", "village"))
    assert len(reminders) >= 7
    want = expected(reminders, timezone.localdate(app_clock.now()))
    result = deliver_in_app(threshold=100)
    assert result.reminders == len(reminders) == result.notifications
    assert written() == want
    # Each reminder sent and pointing at its notification, one per reminder.
    rows = Reminder.objects.values_list("status", "notification_id", "claim_token")
    assert {status for status, _n, _t in rows} == {SendStatus.SENT}
    assert len({n for _s, n, _t in rows}) == len(reminders)
    assert {t for _s, _n, t in rows} == {None}
    # Copies: the director's email and SMS, the supervisor's none (no email, no phone).
    copies = set(Delivery.objects.values_list("notification__recipient_id", "channel", "address"))
    director = people["director"]
    assert copies == {
        (director.pk, Channel.EMAIL, "d@example.org"),
        (director.pk, Channel.SMS, director.phone),
    }
    assert Delivery.objects.filter(notification__recipient=director).count() == 2 * (
        Notification.objects.filter(recipient=director).count()
    )
    assert set(Delivery.objects.values_list("status", "attempts")) == {(SendStatus.PENDING, 0)}


def test_digests_still_go_to_people_above_their_threshold(people, child_due, today):
    for _ in range(4):
        child_due(-2)
    sweep(today)  # the director: four; the supervisor: none yet (two days late)
    child_due(-9)  # the director's fifth and the supervisor's first
    sweep(today)
    result = deliver_in_app(threshold=3)
    assert result.reminders == 6
    assert list(
        Notification.objects.filter(recipient=people["director"]).values_list("kind", flat=True)
    ) == ["digest"]
    assert Notification.objects.get(recipient=people["supervisor"]).kind == "contact_overdue"


def test_statements_do_not_grow_with_the_reminders(people, child_due, today):
    def delivered(children: int) -> int:
        for _ in range(children):
            child_due(-9)
        sweep(today)
        with CaptureQueriesContext(connection) as queries:
            deliver_in_app(threshold=1000)
        return len(queries)

    few = delivered(2)
    many = delivered(20)
    assert Notification.objects.count() == Reminder.objects.count() == 44
    if connection.vendor == "postgresql":
        assert many == few
        assert few <= 16  # counts, users, claim, the claimed per person, the statement, ...


def test_a_failing_statement_falls_back_to_the_python_path(people, child_due, today, monkeypatch):
    child_due(-9)
    sweep(today)

    def broken(*args, **kwargs):
        from django.db import DatabaseError

        raise DatabaseError("boom")

    monkeypatch.setattr(delivery.delivery_sql, "write_singles", broken)
    result = deliver_in_app(threshold=100)
    assert result.reminders == Reminder.objects.count() == Notification.objects.count() == 2
