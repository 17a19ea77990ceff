"""The reminder sweep: levels, scope, dedupe, digests, channels, retries, concurrency."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, connections

from children.models import Child
from core import clock as app_clock
from notifications.delivery import backoff, claim, deliver_external, deliver_in_app
from notifications.models import (
    Channel,
    Delivery,
    EscalationLevel,
    Notification,
    Reminder,
    ReminderRule,
    SendStatus,
)
from notifications.rules import MAX_ATTEMPTS
from notifications.sweep import sweep
from tests.factories import BEIBEI, CHENGUANG, region

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


@pytest.fixture(autouse=True)
def _no_inspection_reminders(villages_inspected):
    """These tests are about the children's reminders (inspection reminders: see
    test_inspection_reminders.py)."""


def keys(**filters):
    return set(
        Reminder.objects.filter(**filters).values_list(
            "child_id", "kind", "recipient__username", "level"
        )
    )


def test_director_is_reminded_when_due_soon_and_when_overdue(people, child_due, today):
    soon = child_due(3)
    overdue = child_due(None, visit_days=-1)
    later = child_due(8)  # outside the 7-day window
    sweep(today)
    assert keys() == {
        (soon.pk, "contact_due_soon", "director", EscalationLevel.DIRECTOR),
        (overdue.pk, "visit_overdue", "director", EscalationLevel.DIRECTOR),
    }
    assert not Reminder.objects.filter(child=later).exists()


def test_due_today_is_due_soon_and_overdue_from_the_day_after(people, child_due, today):
    due_today = child_due(0)
    due_yesterday = child_due(-1)
    sweep(today)
    assert Reminder.objects.get(child=due_today).kind == "contact_due_soon"
    assert Reminder.objects.get(child=due_yesterday).kind == "contact_overdue"


def test_supervisor_is_told_at_seven_days_overdue(people, child_due, today):
    six = child_due(-6)
    seven = child_due(-7)
    sweep(today)
    assert keys(level=EscalationLevel.SUPERVISOR) == {
        (seven.pk, "contact_overdue", "supervisor", EscalationLevel.SUPERVISOR)
    }
    assert keys(child=six) == {(six.pk, "contact_overdue", "director", 0)}


def test_district_civil_affairs_is_told_at_thirty_days_overdue(people, child_due, today):
    child_due(-29)
    thirty = child_due(None, visit_days=-30)
    sweep(today)
    assert keys(level=EscalationLevel.DISTRICT) == {
        (thirty.pk, "visit_overdue", "civil", EscalationLevel.DISTRICT)
    }
    assert {r[2] for r in keys(child=thirty)} == {"director", "supervisor", "civil"}


def test_recipients_are_scoped_to_the_childs_village_town_and_district(people, child_due, today):
    here = child_due(-40)
    there = child_due(-40, village=CHENGUANG, id_number=None)
    sweep(today)
    assert {r[2] for r in keys(child=here)} == {"director", "supervisor", "civil"}
    assert {r[2] for r in keys(child=there)} == {
        "other_director",
        "other_supervisor",
        "other_civil",
    }
    # The neighbouring village's director, the protection centre and the admins get nothing.
    for name in ("neighbour", "centre", "sysadmin", "nobody"):
        assert not Reminder.objects.filter(recipient=people[name]).exists()


def test_closed_children_and_ended_assignments_get_nothing(people, child_due, today):
    closed = child_due(-3)
    Child.objects.filter(pk=closed.pk).update(status="closed")
    people["supervisor"].assignments.update(end_date=today)
    child_due(-10)
    sweep(today)
    assert not Reminder.objects.filter(child=closed).exists()
    assert not Reminder.objects.filter(recipient=people["supervisor"]).exists()


def test_a_district_rule_overrides_the_defaults(people, child_due, today):
    ReminderRule.objects.create(
        district=region(BEIBEI),
        due_soon_days=2,
        supervisor_after_days=3,
        district_after_days=10,
        digest_threshold=5,
    )
    child_due(3)  # beyond the 2-day window
    late = child_due(-3)
    other = child_due(-3, village=CHENGUANG, id_number=None)  # 秀山县 keeps the defaults
    sweep(today)
    assert not Reminder.objects.filter(kind="contact_due_soon").exists()
    assert {r[2] for r in keys(child=late)} == {"director", "supervisor"}
    assert {r[2] for r in keys(child=other)} == {"other_director"}


def test_two_sweeps_and_two_deliveries_send_nothing_twice(people, child_due, today, sms):
    people["director"].email = "director@example.org"
    people["director"].save()
    child_due(-8)
    first = sweep(today)
    deliver_in_app()
    deliver_external()
    second = sweep(today)
    deliver_in_app()
    deliver_external()
    assert first.created == 2  # director and supervisor
    assert second.created == 0
    assert Reminder.objects.count() == 2
    assert Notification.objects.count() == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {SendStatus.SENT}
    assert len(sms.sent) == 2  # one text each to the director and the supervisor
    assert len(mail.outbox) == 1  # only the director has an email address
    assert mail.outbox[0].to == ["director@example.org"]


def test_the_python_insert_path_dedupes_the_same_way(people, child_due, today):
    child_due(-8)
    assert sweep(today, via_python=True).created == 2
    assert sweep(today, via_python=True).created == 0
    assert sweep(today).created == 0


def test_more_reminders_than_the_threshold_become_one_digest(people, child_due, today, sms):
    for _ in range(5):
        child_due(-2)
    child_due(-8)  # the director's sixth; the supervisor's only one: a message of its own
    sweep(today)
    result = deliver_in_app()
    assert result.reminders == 7
    digest = Notification.objects.get(recipient=people["director"])
    assert digest.kind == "digest"
    assert "6" in digest.title
    assert digest.body.count("\n") == 5
    assert Reminder.objects.filter(notification=digest).count() == 6
    single = Notification.objects.get(recipient=people["supervisor"])
    assert single.kind == "contact_overdue"
    assert single.link == f"/children/{single.child_id}/"
    deliver_external()
    assert sorted(phone for phone, _ in sms.sent) == sorted(
        [people["director"].phone, people["supervisor"].phone]
    )


def test_at_the_threshold_each_reminder_is_its_own_message(people, child_due, today):
    for _ in range(5):
        child_due(-2)
    sweep(today)
    deliver_in_app()
    assert Notification.objects.filter(recipient=people["director"], kind="digest").count() == 0
    assert Notification.objects.filter(recipient=people["director"]).count() == 5


def test_the_recording_sms_fake_received_the_texts(people, child_due, today, sms):
    child = child_due(-1)
    sweep(today)
    deliver_in_app()
    deliver_external()
    assert len(sms.sent) == 1
    phone, text = sms.sent[0]
    assert phone == people["director"].phone
    assert child.name in text


def test_failed_sends_retry_with_backoff_then_fail(people, child_due, today, sms):
    child_due(-1)
    sweep(today)
    deliver_in_app()
    now = app_clock.now()
    sms.failures = 1
    deliver_external(now)
    delivery = Delivery.objects.get(channel=Channel.SMS)
    assert delivery.status == SendStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == now + backoff(1)
    assert "unavailable" in delivery.last_error
    deliver_external(now + datetime.timedelta(seconds=1))  # not yet due: nothing happens
    assert sms.sent == []
    deliver_external(delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == SendStatus.SENT
    assert len(sms.sent) == 1

    # A provider that keeps failing: failed after MAX_ATTEMPTS, each wait twice the last.
    assert backoff(2) == 2 * backoff(1)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=SendStatus.PENDING, attempts=0, next_attempt_at=None
    )
    sms.failures = 100
    moment = now
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deliver_external(moment)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if delivery.next_attempt_at:
            moment = delivery.next_attempt_at
    assert delivery.status == SendStatus.FAILED
    assert delivery.next_attempt_at is None
    deliver_external(moment + datetime.timedelta(days=30))
    delivery.refresh_from_db()
    assert delivery.attempts == MAX_ATTEMPTS


def test_a_failing_in_app_write_is_retried(people, child_due, today, monkeypatch):
    from notifications import delivery as module

    child_due(-1)
    sweep(today)

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    def broken_statement(*args, **kwargs):
        from django.db import DatabaseError

        raise DatabaseError("database hiccup")

    monkeypatch.setattr(module, "_write", broken)
    # PostgreSQL writes the batch in one statement first; it fails too, and falls back.
    monkeypatch.setattr(module.delivery_sql, "write_singles", broken_statement)
    now = app_clock.now()
    assert deliver_in_app(now).reminders == 0
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (SendStatus.PENDING, 1)
    assert reminder.next_attempt_at == now + backoff(1)
    monkeypatch.undo()
    assert deliver_in_app(reminder.next_attempt_at).reminders == 1
    assert Notification.objects.count() == 1


def test_a_claimed_row_is_not_claimed_again(people, child_due, today):
    child_due(-1)
    sweep(today)
    now = app_clock.now()
    assert claim(Reminder.objects.all(), now, 10) is not None
    assert claim(Reminder.objects.all(), now, 10) is None
    # ...unless the claim went stale (the worker died).
    later = now + datetime.timedelta(hours=1)
    assert claim(Reminder.objects.all(), later, 10) is not None


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claimers_never_deliver_twice(people, child_due, today, sms):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claiming is tested on PostgreSQL (DATABASE_URL)")
    for days in range(-12, -2):
        child_due(days)
    sweep(today)
    total = Reminder.objects.count()
    assert total == 10 + 6  # ten for the director, six escalated to the supervisor
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            deliver_in_app(threshold=1000, batch=1)
            deliver_external(batch=1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert Notification.objects.count() == total
    assert Reminder.objects.filter(status=SendStatus.SENT).count() == total
    assert len(sms.sent) == total
    assert len(set(sms.sent)) == total
