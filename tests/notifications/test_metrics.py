"""The sweep's and the deliveries' figures (core.metrics), recorded where they happen."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from notifications.delivery import deliver_external, deliver_in_app
from notifications.models import Channel, Delivery, Reminder
from notifications.sweep import sweep
from notifications.tasks import send_reminders

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_inspection_reminders(villages_inspected):
    """Only the children's reminders (test_inspection_reminders.py has the villages')."""


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_sweep_run_counts_its_rows_and_its_time(people, child_due, sms):
    child_due(3)
    child_due(None, visit_days=-1)
    rows, runs = value("carecase_sweep_rows_total"), value("carecase_sweep_duration_seconds_count")
    result = send_reminders()
    created = Reminder.objects.count()
    assert created == result["reminders_created"] == 2
    assert value("carecase_sweep_rows_total") - rows == created
    assert value("carecase_sweep_duration_seconds_count") - runs == 1
    # A second run creates nothing and counts nothing more, but its time.
    send_reminders()
    assert value("carecase_sweep_rows_total") - rows == created
    assert value("carecase_sweep_duration_seconds_count") - runs == 2


def test_deliveries_are_counted_by_channel_and_outcome(people, child_due, today, sms):
    child_due(-1)
    sweep(today)
    in_app = value("carecase_deliveries_total", channel="in_app", outcome="sent")
    sent = value("carecase_deliveries_total", channel="sms", outcome="sent")
    retry = value("carecase_deliveries_total", channel="sms", outcome="retry")
    deliver_in_app()
    assert value("carecase_deliveries_total", channel="in_app", outcome="sent") - in_app == 1
    sms.failures = 1
    deliver_external()
    assert value("carecase_deliveries_total", channel="sms", outcome="retry") - retry == 1
    assert value("carecase_deliveries_total", channel="sms", outcome="sent") == sent
    deliver_external(Delivery.objects.get(channel=Channel.SMS).next_attempt_at)
    assert value("carecase_deliveries_total", channel="sms", outcome="sent") - sent == 1
    assert len(sms.sent) == 1
