"""The closed loop beyond filing: reports in the child's archive timeline, escalation of
overdue steps, and the R19 threshold flags."""

from __future__ import annotations

import datetime

import pytest
from guardian.shortcuts import assign_perm

from casefile.timeline import timeline
from core import clock as app_clock
from reports import escalation, selectors, workflow
from reports.models import Stage, StepKind
from tests.reports.conftest import file

HOUR = datetime.timedelta(hours=1)


def step(user, report, kind=StepKind.STAGE, stage="", what="做了处置", **extra):
    return workflow.report_add_step(
        by=user, report=report, data=workflow.StepInput(kind=kind, stage=stage, what=what, **extra)
    )


def report_entries(child, viewer):
    return [e for e in timeline(child, viewer=viewer) if e.kind == "report"]


# --- The archive timeline --------------------------------------------------------------------


def test_a_report_and_its_steps_join_the_childs_timeline(people, child):
    report = file(people["director"], child)
    step(people["supervisor"], report, stage=Stage.EMERGENCY_RESPONSE, what="安置到亲属家")
    entries = report_entries(child, people["civil"])
    assert len(entries) == 2
    assert all(e.link.endswith(f"/{report.pk}/") for e in entries)
    assert any("安置到亲属家" in e.detail for e in entries)
    assert timeline(child) == [e for e in timeline(child) if e.kind != "report"]


def test_the_reporter_is_hidden_in_the_timeline_from_a_supervisor(people, child):
    file(people["director"], child)
    director_name = people["director"].real_name or people["director"].username
    (seen_by_supervisor,) = report_entries(child, people["supervisor"])
    assert seen_by_supervisor.who == "—"
    (seen_by_civil,) = report_entries(child, people["civil"])
    assert seen_by_civil.who == director_name


def test_only_a_viewer_who_may_see_the_report_sees_it_in_the_timeline(people, child, client):
    report = file(people["director"], child)
    outsider = people["other_director"]
    assign_perm("view_child", outsider, child)  # the archive is shared, not the report
    assert report_entries(child, outsider) == []
    client.force_login(outsider)
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert 'data-kind="report"' not in page
    assign_perm("view_mandatoryreport", outsider, report)
    assert len(report_entries(child, outsider)) == 1


@pytest.mark.parametrize("who", ["director", "supervisor", "civil", "centre"])
def test_the_archive_page_shows_the_report_to_those_in_scope(people, child, client, who):
    file(people["director"], child)
    client.force_login(people[who])
    page = client.get(f"/children/{child.pk}/").content.decode()
    assert 'data-kind="report"' in page


# --- Escalation of overdue steps -------------------------------------------------------------


def overdue_notes(user):
    from notifications.models import Notification

    return list(
        Notification.objects.filter(recipient=user, link__startswith="/reports/").exclude(
            pk__in=_filing_alerts()
        )
    )


_FILING: set[int] = set()


def _filing_alerts():
    return _FILING


def test_an_overdue_step_escalates_to_the_supervisor_then_the_district_once(people, child):
    from notifications.models import EscalationLevel, Notification
    from reports.models import ReportEscalation

    report = file(people["director"], child)
    _FILING.clear()
    _FILING.update(Notification.objects.values_list("pk", flat=True))
    due = report.next_due_at
    assert escalation.report_escalate_overdue(now=due - HOUR) == 0
    assert escalation.report_escalate_overdue(now=due + HOUR) == 1
    assert len(overdue_notes(people["supervisor"])) == 1
    assert overdue_notes(people["civil"]) == []
    assert escalation.report_escalate_overdue(now=due + 2 * HOUR) == 0  # never twice
    assert escalation.report_escalate_overdue(now=due + 25 * HOUR) == 2
    assert len(overdue_notes(people["civil"])) == 1
    assert len(overdue_notes(people["centre"])) == 1
    assert escalation.report_escalate_overdue(now=due + 26 * HOUR) == 0
    assert len(overdue_notes(people["supervisor"])) == 1
    assert overdue_notes(people["other_civil"]) == []
    assert ReportEscalation.objects.filter(level=EscalationLevel.DISTRICT).count() == 2


def test_the_delay_is_configurable_and_a_recorded_step_stops_escalation(people, child, settings):
    settings.REPORT_ESCALATION_DELAY_HOURS = 2
    report = file(people["director"], child)
    due = report.next_due_at
    assert escalation.report_escalate_overdue(now=due + 3 * HOUR) == 3
    step(people["supervisor"], report, stage=Stage.EMERGENCY_RESPONSE)
    assert escalation.report_escalate_overdue(now=due + 4 * HOUR) == 0


def test_the_hourly_task_is_scheduled_and_idempotent(people, child, settings):
    from reports.tasks import escalate_overdue_reports

    entry = settings.CELERY_BEAT_SCHEDULE["reports-escalate-overdue"]
    assert entry["task"] == "reports.tasks.escalate_overdue_reports"
    report = file(people["director"], child)
    MandatoryReportModel = type(report)
    MandatoryReportModel.objects.filter(pk=report.pk).update(
        next_due_at=report.next_due_at - 48 * HOUR
    )
    assert escalate_overdue_reports()["escalations"] == 3
    assert escalate_overdue_reports()["escalations"] == 0


# --- R19 thresholds --------------------------------------------------------------------------


def _parent_missing(child, months_ago, today):
    from children.models import Parent
    from tests.clock import add_months

    since = add_months(today, -months_ago)
    parent = child.parents.first()
    if parent is None:
        return Parent.objects.create(
            child=child, relation="father", name="父亲", status="missing", missing_since=since
        )
    type(parent).objects.filter(pk=parent.pk).update(status="missing", missing_since=since)
    return parent


def codes(report, today):
    return [f.code for f in selectors.r19_flags([report], today=today)[report.pk]]


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (5, []),
        (7, [selectors.FLAG_TELL_CIVIL_AFFAIRS]),
        (11, [selectors.FLAG_TELL_CIVIL_AFFAIRS]),
        (13, [selectors.FLAG_TELL_CIVIL_AFFAIRS, selectors.FLAG_REVOCATION]),
    ],
)
def test_a_missing_parent_reaches_the_r19_thresholds(people, child, months, expected):

    today = app_clock.today()
    report = file(people["director"], child)
    _parent_missing(child, months, today)
    assert codes(report, today) == expected


@pytest.mark.parametrize(("months", "flagged"), [(5, False), (6, True), (7, True)])
def test_a_guardian_refusing_for_six_months_may_lead_to_revocation(people, child, months, flagged):
    from django.utils import timezone

    from tests.clock import add_months

    report = file(
        people["director"],
        child,
        found_at=app_clock.now() - datetime.timedelta(days=400),
        police_reported_at=None,
    )
    today = app_clock.today()
    began = add_months(today, -months)
    step(
        people["supervisor"],
        report,
        kind=StepKind.REFUSAL,
        what="监护人拒不履行监护职责",
        done_at=timezone.make_aware(datetime.datetime.combine(began, datetime.time(12))),
    )
    assert (selectors.FLAG_REVOCATION in codes(report, today)) is flagged


def test_the_flags_show_on_the_case_page_and_the_open_cases_list(people, child, client):
    from django.urls import reverse

    report = file(people["director"], child)
    _parent_missing(child, 13, app_clock.today())
    client.force_login(people["civil"])
    case = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert case.count('data-testid="r19-flag"') == 2
    listing = client.get(reverse("reports:list")).content.decode()
    assert f'data-flag="{selectors.FLAG_REVOCATION}"' in listing
    assert f'data-flag="{selectors.FLAG_TELL_CIVIL_AFFAIRS}"' in listing
