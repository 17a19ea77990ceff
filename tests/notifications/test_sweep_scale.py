"""The sweep at scale: one statement per rule group whatever the number of children, the
same rows whether it runs in one transaction or shared between connections, and two sweeps
at once creating each reminder once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from notifications.models import EscalationLevel, Reminder, ReminderRule
from notifications.sweep import sweep
from tests.factories import BEIBEI, CHENGUANG, region

pytestmark = pytest.mark.django_db


def rows():
    return set(
        Reminder.objects.values_list("child_id", "kind", "due_date", "recipient_id", "level")
    )


def population(child_due, count=12):
    """Children spread over due soon, overdue, 7+ and 30+ days overdue, in both districts,
    with 北碚区 under its own rule."""
    ReminderRule.objects.create(
        district=region(BEIBEI),
        due_soon_days=3,
        supervisor_after_days=5,
        district_after_days=20,
        digest_threshold=5,
    )
    offsets = [5, 2, 0, -1, -6, -8, -21, -35]
    for i in range(count):
        days = offsets[i % len(offsets)]
        child_due(days, visit_days=offsets[(i + 3) % len(offsets)])
        child_due(days, village=CHENGUANG, id_number=None)


def test_the_number_of_statements_does_not_grow_with_the_children(
    people, child_due, today, django_assert_max_num_queries
):
    population(child_due, count=2)
    with django_assert_max_num_queries(12) as few:
        sweep(today, parallel=1)
    Reminder.objects.all().delete()
    population_size = 20
    for i in range(population_size):
        child_due(-2 * i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        sweep(today, parallel=1)
    assert Reminder.objects.filter(level=EscalationLevel.DISTRICT).exists()


@pytest.mark.django_db(transaction=True)
def test_shared_between_connections_it_creates_the_same_rows(people, child_due, today):
    if connection.vendor != "postgresql":
        pytest.skip("the parallel sweep runs on PostgreSQL (DATABASE_URL)")
    population(child_due)
    serial = sweep(today, parallel=1)
    expected = rows()
    assert serial.created == len(expected) > 0
    Reminder.objects.all().delete()
    shared = sweep(today, parallel=3)
    assert shared.created == len(expected)
    assert rows() == expected
    assert sweep(today, parallel=2).created == 0
    assert sweep(today, parallel=1).created == 0
    assert rows() == expected


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_create_each_reminder_once(people, child_due, today):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent sweeps are tested on PostgreSQL (DATABASE_URL)")
    population(child_due)
    expected = sweep(today, parallel=1).created
    Reminder.objects.all().delete()
    barrier = threading.Barrier(3)
    created: list[int] = []
    errors: list[BaseException] = []

    def worker(parallel: int) -> None:
        try:
            barrier.wait()
            created.append(sweep(today, parallel=parallel).created)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (2, 2, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(created) == expected == Reminder.objects.count()
    assert len(rows()) == expected


def test_a_unique_violation_falls_back_to_on_conflict(people, child_due, today, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the plain INSERT … WHERE NOT EXISTS runs on PostgreSQL (DATABASE_URL)")
    from notifications import sweep as module

    population(child_due, count=4)
    first = sweep(today, parallel=1).created
    assert first > 0
    # A row the NOT EXISTS did not see (as if written outside the sweep's lock): the plain
    # INSERT hits the dedupe key, and the share is redone with ON CONFLICT DO NOTHING.
    blind = module._INSERT_NEW.split(" WHERE NOT EXISTS")[0] + " ORDER BY s.id"
    monkeypatch.setattr(module, "_INSERT_NEW", blind)
    assert sweep(today, parallel=1).created == 0
    assert Reminder.objects.count() == first
