"""Issue 15, item 8: the director hears of the rectification items her supervisor adds for
her village and of the acknowledgement of her mandatory report; nobody else does."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from core import clock as app_clock
from notifications.models import Notification, NotificationKind
from reports import workflow
from tests.factories import XINGCHENG, ZHIDA, make_child, region
from tests.reports.conftest import file
from visits import inspections

pytestmark = pytest.mark.django_db


def _inspect(people, code, items):
    today = app_clock.today()
    inspection, _created = inspections.inspection_record(
        by=people["supervisor"],
        village=region(code),
        inspected_on=today,
        checklist={},
        rectifications=[
            inspections.RectificationInput(text, today + datetime.timedelta(days=days))
            for text, days in items
        ],
    )
    return inspection


def test_the_villages_director_is_told_of_rectification_items(people):
    inspection = _inspect(people, ZHIDA, [("补齐入户走访记录", 14), ("更新联系电话", 7)])
    notes = Notification.objects.filter(kind=NotificationKind.RECTIFICATION)
    assert [n.recipient for n in notes] == [people["director"]]
    note = notes.get()
    assert "志达社区" in note.title
    assert "补齐入户走访记录" in note.body and "更新联系电话" in note.body
    due = app_clock.today() + datetime.timedelta(days=14)
    assert f"{due.year}年{due.month}月{due.day}日" in note.body
    assert note.link == reverse("visits:inspection_detail", args=[inspection.pk])


def test_another_villages_director_is_not_told(people):
    _inspect(people, XINGCHENG, [("补齐档案", 10)])
    recipients = set(
        Notification.objects.filter(kind=NotificationKind.RECTIFICATION).values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"neighbour"}  # 兴城社区's director, not 志达社区's


def test_an_inspection_without_items_tells_nobody(people):
    _inspect(people, ZHIDA, [])
    assert not Notification.objects.filter(kind=NotificationKind.RECTIFICATION).exists()


def test_the_reporter_is_told_when_her_report_is_acknowledged(people):
    report = file(people["director"], make_child(people["director"]))
    workflow.report_add_step(
        by=people["supervisor"],
        report=report,
        data=workflow.StepInput(kind="acknowledge", what=""),
    )
    notes = Notification.objects.filter(kind=NotificationKind.REPORT_ACKNOWLEDGED)
    assert [n.recipient for n in notes] == [people["director"]]
    assert notes.get().link == reverse("reports:detail", args=[report.pk])
    # Later steps do not repeat it.
    workflow.report_add_step(
        by=people["supervisor"],
        report=report,
        data=workflow.StepInput(kind="progress", what="已联系派出所"),
    )
    assert notes.count() == 1


def test_acting_on_a_report_acknowledges_it_and_tells_the_reporter(people):
    report = file(people["neighbour"], make_child(people["neighbour"], XINGCHENG))
    workflow.report_add_step(
        by=people["supervisor"],
        report=report,
        data=workflow.StepInput(kind="progress", what="已到现场"),
    )
    recipients = list(
        Notification.objects.filter(kind=NotificationKind.REPORT_ACKNOWLEDGED).values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == ["neighbour"]


def test_acknowledging_ones_own_report_tells_nobody(people):
    report = file(people["supervisor"], make_child(people["director"]))
    workflow.report_add_step(
        by=people["supervisor"], report=report, data=workflow.StepInput(kind="acknowledge", what="")
    )
    assert not Notification.objects.filter(kind=NotificationKind.REPORT_ACKNOWLEDGED).exists()
