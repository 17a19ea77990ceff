"""The reminder chain through a real Celery worker and Redis (CI sets REDIS_URL)."""

from __future__ import annotations

import datetime

import pytest

from carecase.celery import app
from children.models import Child
from core import clock as app_clock
from notifications.models import Notification, Reminder
from notifications.tasks import send_reminders
from tests.factories import make_child


@pytest.mark.django_db
def test_the_task_runs_the_chain_in_process(people, sms, villages_inspected):
    child = make_child(people["director"])
    Child.objects.filter(pk=child.pk).update(
        next_home_visit_due=app_clock.today() - datetime.timedelta(days=31)
    )
    result = send_reminders.delay().get(timeout=10)
    assert result["reminders_created"] == 3
    assert result["notifications"] == 3
    assert len(sms.sent) == 3


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_reminders_through_redis(
    people, sms, villages_inspected, redis_celery
):
    from celery.contrib.testing.worker import start_worker

    child = make_child(people["director"])
    Child.objects.filter(pk=child.pk).update(
        next_contact_due=app_clock.today() - datetime.timedelta(days=8)
    )
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = send_reminders.apply_async().get(timeout=60)
    assert result["reminders_created"] == 2
    assert Reminder.objects.filter(status="sent").count() == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "director",
        "supervisor",
    }
    assert len(sms.sent) == 2
