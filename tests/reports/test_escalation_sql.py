"""Escalation in one statement (PostgreSQL, reports.escalation_sql): the same escalation keys,
notification texts, links, children and SMS copies as the ORM path, for a registered child, an
unregistered one described in free text, a step with and without a stated next step; once per
key; a fixed number of queries however many cases."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from notifications.models import Delivery, Notification
from reports import escalation
from reports.models import MandatoryReport, ReportEscalation
from tests.factories import ZHIDA, make_child, region
from tests.reports.conftest import file

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


class Undo(Exception):
    pass


def outcome() -> tuple[set, set, set]:
    keys = set(
        ReportEscalation.objects.values_list("report_id", "deadline", "recipient_id", "level")
    )
    notes = set(
        Notification.objects.filter(kind="report_overdue").values_list(
            "recipient_id", "title", "body", "link", "child_id"
        )
    )
    copies = set(
        Delivery.objects.filter(notification__kind="report_overdue").values_list(
            "notification__recipient_id", "channel", "address", "status"
        )
    )
    return keys, notes, copies


def run(path, now) -> tuple[int, tuple[set, set, set]]:
    """Run one path and undo what it wrote."""
    got: list = []
    try:
        with transaction.atomic():
            got.append(path(now))
            got.append(outcome())
            raise Undo
    except Undo:
        pass
    return got[0], got[1]


@pytest.fixture
def cases(people):
    director = people["director"]
    named = file(director, make_child(director, name="王小明"))
    described = file(
        director, None, village=region(ZHIDA), child_description="一名约八岁的男孩\n穿红色上衣"
    )
    MandatoryReport.objects.filter(pk=described.pk).update(next_step="")  # the stage's label
    people["centre"].phone = ""  # no SMS copy for the protection centre
    people["centre"].save()
    return [named, described]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize("hours", [1, 25])  # the supervisor only; then the district too
def test_one_statement_writes_what_the_orm_path_writes(people, cases, hours):
    now = max(r.next_due_at for r in MandatoryReport.objects.all()) + hours * HOUR
    statement = run(escalation._escalate_in_one_statement, now)
    orm = run(escalation._escalate_in_python, now)
    assert statement == orm
    count, (keys, notes, _copies) = statement
    assert count == len(notes) == len(keys) == (2 if hours == 1 else 6)
    assert any("王小明" in title for _r, title, *_ in notes)
    assert any("一名约八岁的男孩" in title and "穿红色" not in title for _r, title, *_ in notes)


def test_once_per_key_and_the_rest_later(people, cases):
    due = max(r.next_due_at for r in MandatoryReport.objects.all())
    assert escalation.report_escalate_overdue(now=due + HOUR) == 2
    assert escalation.report_escalate_overdue(now=due + 2 * HOUR) == 0
    # Civil affairs and the protection centre of the district, for each case.
    assert escalation.report_escalate_overdue(now=due + 25 * HOUR) == 4
    assert escalation.report_escalate_overdue(now=due + 26 * HOUR) == 0
    assert Notification.objects.filter(kind="report_overdue").count() == 6


def test_a_key_left_without_a_notification_gets_one(people, cases):
    due = max(r.next_due_at for r in MandatoryReport.objects.all())
    escalation.report_escalate_overdue(now=due + HOUR)
    first = ReportEscalation.objects.first()
    Notification.objects.filter(pk=first.notification_id).delete()  # SET_NULL: left behind
    assert escalation.report_escalate_overdue(now=due + 2 * HOUR) == 1
    first.refresh_from_db()
    assert first.notification_id is not None


def test_queries_do_not_grow_with_the_cases(people):
    director = people["director"]

    def escalated(n: int) -> int:
        for i in range(n):
            file(director, make_child(director, name=f"案例{i}"))
        now = max(r.next_due_at for r in MandatoryReport.objects.all()) + 25 * HOUR
        with CaptureQueriesContext(connection) as queries:
            escalation.report_escalate_overdue(now=now)
        return len(queries)

    assert escalated(1) == escalated(6)
