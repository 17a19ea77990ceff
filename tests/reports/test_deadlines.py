"""Per-district deadlines and escalation delay (ReportDeadlineRule, /reports/rules/), and the
SMS copies of escalations."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import translation

from notifications.models import Delivery, Notification
from reports import escalation, workflow
from reports.models import ReportDeadlineRule, ReportEscalation, Stage, StepKind
from tests.factories import BEIBEI, CHENGUANG, XIUSHAN, make_child, region
from tests.reports.conftest import file

pytestmark = pytest.mark.calendar

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def step(user, report, kind=StepKind.STAGE, stage="", what="做了处置", **extra):
    return workflow.report_add_step(
        by=user, report=report, data=workflow.StepInput(kind=kind, stage=stage, what=what, **extra)
    )


def set_rule(code=BEIBEI, **values):
    fields = {
        "emergency_response_hours": 24,
        "assessment_days": 7,
        "assistance_plan_days": 14,
        "escalation_delay_hours": 24,
    }
    fields.update(values)
    rule, _created = ReportDeadlineRule.objects.update_or_create(
        district=region(code), defaults=fields
    )
    return rule


# --- The rule --------------------------------------------------------------------------------


def test_without_a_rule_the_defaults_apply(people, child, settings):
    settings.REPORT_ESCALATION_DELAY_HOURS = 5
    rule = workflow.deadline_rule(child.region_code)
    assert (rule.emergency_response_hours, rule.assessment_days, rule.assistance_plan_days) == (
        24,
        7,
        14,
    )
    assert rule.escalation_delay == 5 * HOUR
    report = file(people["director"], child)
    assert report.next_due_at == report.created_at + 24 * HOUR


def test_a_district_rule_sets_the_deadlines_of_its_reports_only(people, child):
    set_rule(emergency_response_hours=6, assessment_days=3, assistance_plan_days=10)
    report = file(people["director"], child)
    assert report.next_due_at == report.created_at + 6 * HOUR
    step(people["supervisor"], report, stage=Stage.EMERGENCY_RESPONSE)
    report.refresh_from_db()
    assert report.next_due_at == report.created_at + 3 * DAY
    step(people["supervisor"], report, stage=Stage.ASSESSMENT)
    report.refresh_from_db()
    assert report.next_due_at == report.created_at + 10 * DAY
    elsewhere = make_child(people["other_director"], CHENGUANG, id_number=None)
    other = file(people["other_director"], elsewhere)
    assert other.next_due_at == other.created_at + 24 * HOUR


def test_a_rule_change_keeps_the_deadlines_already_given_to_open_cases(people, child):
    report = file(people["director"], child)
    first_due = report.next_due_at
    set_rule(emergency_response_hours=2, assessment_days=2)
    report.refresh_from_db()
    assert report.next_due_at == first_due  # recorded on the report step: not moved
    step(people["supervisor"], report, stage=Stage.EMERGENCY_RESPONSE)
    report.refresh_from_db()
    assert report.next_due_at == report.created_at + 2 * DAY  # the next deadline: new rule


def test_the_district_escalation_delay_applies_to_that_districts_cases(people, child):
    set_rule(escalation_delay_hours=2)
    report = file(people["director"], child)
    elsewhere = make_child(people["other_director"], CHENGUANG, id_number=None)
    other = file(people["other_director"], elsewhere)
    filed = set(Notification.objects.values_list("pk", flat=True))
    due = report.next_due_at
    # 3 hours late: 北碚区 (2-hour delay) reaches its district; 秀山县 (24 hours) does not.
    escalation.report_escalate_overdue(now=max(due, other.next_due_at) + 3 * HOUR)
    alerted = set(
        Notification.objects.exclude(pk__in=filed).values_list("recipient__username", flat=True)
    )
    assert alerted == {"supervisor", "civil", "centre", "other_supervisor"}


def test_civil_affairs_edits_the_rule_of_their_district(people, login):
    client = login(people["civil"])
    url = reverse("reports:rules")
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="emergency_response_hours"' in body and 'value="24"' in body
    response = client.post(
        url,
        {
            "emergency_response_hours": 12,
            "assessment_days": 5,
            "assistance_plan_days": 12,
            "escalation_delay_hours": 6,
        },
    )
    assert response.status_code == 302
    rule = ReportDeadlineRule.objects.get(district=region(BEIBEI))
    assert (rule.emergency_response_hours, rule.escalation_delay_hours) == (12, 6)
    assert rule.updated_by == people["civil"]


@pytest.mark.parametrize("bad", ["0", "-3"])
def test_zero_or_negative_numbers_are_refused_with_a_clear_message(people, login, bad, settings):
    client = login(people["civil"])
    response = client.post(
        reverse("reports:rules"),
        {
            "emergency_response_hours": bad,
            "assessment_days": 7,
            "assistance_plan_days": 14,
            "escalation_delay_hours": bad,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count('data-field-error="emergency_response_hours"') == 1
    assert 'data-field-error="escalation_delay_hours"' in body
    with translation.override(settings.LANGUAGE_CODE):
        message = translation.gettext(
            "Enter a number of at least 1: zero or negative is not allowed."
        )
    assert message in body
    assert not ReportDeadlineRule.objects.exists()


def test_deadlines_out_of_order_are_refused(people, login):
    response = login(people["civil"]).post(
        reverse("reports:rules"),
        {
            "emergency_response_hours": 24,
            "assessment_days": 7,
            "assistance_plan_days": 3,
            "escalation_delay_hours": 24,
        },
    )
    assert response.status_code == 400
    assert 'data-field-error="assistance_plan_days"' in response.content.decode()


@pytest.mark.parametrize("who", ["supervisor", "director", "centre", "sysadmin", "nobody"])
def test_only_district_civil_affairs_open_the_rule_page(people, login, who):
    assert login(people[who]).get(reverse("reports:rules")).status_code == 404


def test_another_districts_rule_is_out_of_reach(people, login):
    url = reverse("reports:rules_district", args=[region(BEIBEI).pk])
    assert login(people["other_civil"]).get(url).status_code == 404
    own = reverse("reports:rules_district", args=[region(XIUSHAN).pk])
    assert login(people["other_civil"]).get(own).status_code == 200


# --- SMS copies of escalations ---------------------------------------------------------------


def test_escalations_are_sent_by_sms_on_commit_and_never_twice(
    people, child, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = file(people["director"], child)
    sms.reset()
    due = report.next_due_at
    with django_capture_on_commit_callbacks(execute=False) as pending:
        assert escalation.report_escalate_overdue(now=due + HOUR) == 1
    assert sms.sent == []  # not before the commit
    for callback in pending:
        callback()
    assert [phone for phone, _text in sms.sent] == [people["supervisor"].phone]
    assert child.name in sms.sent[0][1]
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.report_escalate_overdue(now=due + 2 * HOUR) == 0
    assert len(sms.sent) == 1  # a second run sends nothing again
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.report_escalate_overdue(now=due + 25 * HOUR) == 2
    assert sorted(phone for phone, _text in sms.sent[1:]) == sorted(
        [people["civil"].phone, people["centre"].phone]
    )
    with django_capture_on_commit_callbacks(execute=True):
        escalation.report_escalate_overdue(now=due + 26 * HOUR)
    assert len(sms.sent) == 3
    escalation_notes = ReportEscalation.objects.values_list("notification_id", flat=True)
    assert Delivery.objects.filter(notification_id__in=escalation_notes).count() == 3
    assert set(
        Delivery.objects.filter(notification_id__in=escalation_notes).values_list(
            "status", flat=True
        )
    ) == {"sent"}


def test_the_hourly_task_sends_the_escalation_sms_once(people, child, sms):
    from reports.models import MandatoryReport
    from reports.tasks import escalate_overdue_reports

    report = file(people["director"], child)
    sms.reset()
    MandatoryReport.objects.filter(pk=report.pk).update(next_due_at=report.next_due_at - 48 * HOUR)
    escalate_overdue_reports()
    escalate_overdue_reports()
    # The filing alerts (written with the report, still pending here) and the escalations:
    # each of the three gets two messages, whatever the number of runs.
    counts = Counter(phone for phone, _text in sms.sent)
    assert counts == {people[n].phone: 2 for n in ("supervisor", "civil", "centre")}
    assert Delivery.objects.filter(status="pending").count() == 0
