"""Mandatory reports (R17) and their closed loop (R18): filing (the certification-gate
bypass, idempotency, alerts), append-only steps and stage order, pages and API, scope, bad
input and query counts."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import clock as app_clock
from notifications.models import Delivery, Notification
from reports import filing, workflow
from reports.models import MandatoryReport, ReportStep, Stage, StepKind
from tests.factories import CHENGUANG, ZHIDA, make_child, make_user, region
from tests.reports.conftest import file, report_input
from visits.models import Visit

HOUR = datetime.timedelta(hours=1)


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def step(user, report, kind=StepKind.STAGE, stage="", what="做了处置", **extra):
    return workflow.report_add_step(
        by=user,
        report=report,
        data=workflow.StepInput(kind=kind, stage=stage, what=what, **extra),
    )


# --- Filing ----------------------------------------------------------------------------------


def test_an_uncertified_director_files_a_report_but_cannot_make_other_writes(
    people, uncertified, child
):
    director = uncertified["director"]
    report = file(director, child)
    assert report.stage == Stage.REPORTED
    assert report.region_code == ZHIDA
    assert report.steps.get().kind == StepKind.REPORT
    assert report.next_due_at == report.created_at + datetime.timedelta(hours=24)
    with pytest.raises(PermissionDenied):
        step(director, report, stage=Stage.EMERGENCY_RESPONSE)
    assert report.steps.count() == 1


def test_an_uncertified_director_files_through_the_page_and_the_api(uncertified, child, client):
    director = uncertified["director"]
    client.force_login(director)
    now = timezone.localtime()
    response = client.post(
        reverse("reports:create"),
        {
            "client_uuid": str(uuid.uuid4()),
            "child": child.pk,
            "situations": ["missing", "alone_unguarded"],
            "found_at": (now - HOUR).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    report = MandatoryReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report.pk])
    assert report.situations == ["missing", "alone_unguarded"]
    response = api_for(director).post(
        "/api/v1/reports/",
        {"client_uuid": str(uuid.uuid4()), "child": child.pk, "situations": ["missing"],
         "found_at": (now - HOUR).isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    response = api_for(director).post(
        f"/api/v1/reports/{report.pk}/steps/",
        {"kind": "stage", "stage": "emergency_response", "what": "安置"},
        format="json",
    )
    assert response.status_code == 403


def test_an_unregistered_child_is_reported_with_a_description_and_village(people):
    report = file(
        people["civil"], None, child_description="约8岁男孩，独自在桥下", village=region(ZHIDA)
    )
    assert report.child is None
    assert report.region_code == ZHIDA
    assert "约8岁男孩" in report.child_label


def test_filing_is_idempotent_on_client_uuid(people, child):
    token = uuid.uuid4()
    first = file(people["director"], child, client_uuid=token)
    again, created = filing.report_file(
        by=people["director"], data=report_input(child), client_uuid=token
    )
    assert (again.pk, created) == (first.pk, False)
    assert MandatoryReport.objects.count() == 1
    api = api_for(people["director"])
    payload = {"client_uuid": str(uuid.uuid4()), "child": child.pk, "situations": ["missing"],
               "found_at": (app_clock.now() - HOUR).isoformat()}  # fmt: skip
    assert api.post("/api/v1/reports/", payload, format="json").status_code == 201
    second = api.post("/api/v1/reports/", payload, format="json")
    assert second.status_code == 200
    assert MandatoryReport.objects.count() == 2


def test_alerts_go_to_the_supervisor_civil_affairs_and_the_protection_centre(
    people, child, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = file(people["director"], child)
    assert len(callbacks) == 1
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"supervisor", "civil", "centre"}
    link = reverse("reports:detail", args=[report.pk])
    assert set(Notification.objects.values_list("link", flat=True)) == {link}
    phones = {people[name].phone for name in ("supervisor", "civil", "centre")}
    assert {phone for phone, _text in sms.sent} == phones
    assert not any(people[n].phone in dict(sms.sent) for n in ("other_civil", "other_supervisor"))
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_alerts_are_not_sent_before_the_transaction_commits(
    people, child, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        file(people["director"], child)
    assert Notification.objects.count() == 3  # written with the report
    assert sms.sent == []  # sent only on commit


def test_another_districts_report_alerts_that_district(
    people, sms, django_capture_on_commit_callbacks
):
    child = make_child(people["other_director"], CHENGUANG, id_number=None)
    with django_capture_on_commit_callbacks(execute=True):
        file(people["other_director"], child)
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"other_supervisor", "other_civil"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"situations": []}, "situations"),
        ({"situations": ["not_a_code"]}, "situations"),
        ({"found_at": None}, "found_at"),
        ({"found_at": app_clock.now() + datetime.timedelta(days=1), "police_reported_at": None},
         "found_at"),
        ({"police_reported_at": app_clock.now() - datetime.timedelta(days=2)},
         "police_reported_at"),
        ({"police_reported_at": app_clock.now() + datetime.timedelta(days=1)},
         "police_reported_at"),
    ],
)  # fmt: skip
def test_bad_reports_are_refused_with_field_errors(people, child, extra, field):
    with pytest.raises(ValidationError) as exc:
        file(people["director"], child, **extra)
    assert field in exc.value.message_dict
    assert MandatoryReport.objects.count() == 0
    assert Notification.objects.count() == 0


def test_unregistered_child_needs_a_description_and_a_village_in_scope(people):
    with pytest.raises(ValidationError) as exc:
        file(people["director"], None)
    assert {"child_description", "village"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        file(people["director"], None, child_description="女孩", village=region(CHENGUANG))
    assert "village" in exc.value.message_dict


def test_a_child_out_of_scope_cannot_be_reported_by_a_neighbour(people, child):
    with pytest.raises(ValidationError) as exc:
        file(people["neighbour"], child)
    assert "child" in exc.value.message_dict


def test_admin_roles_and_people_without_assignment_cannot_file(people, child):
    for who in ("sysadmin", "nobody"):
        with pytest.raises(PermissionDenied):
            file(people[who], child)


def test_the_form_shows_field_errors(people, child, client):
    client.force_login(people["director"])
    response = client.post(
        reverse("reports:create") + f"?child={child.pk}",
        {"client_uuid": str(uuid.uuid4()), "child": child.pk},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field-error="situations"' in body
    assert 'data-field-error="found_at"' in body
    response = api_for(people["director"]).post(
        "/api/v1/reports/",
        {"client_uuid": str(uuid.uuid4()), "child": child.pk, "situations": []},
        format="json",
    )
    assert response.status_code == 400
    assert {"situations", "found_at"} <= set(response.json())


# --- Steps: append-only, stage order ---------------------------------------------------------


def test_stages_follow_their_order(people, child):
    report = file(people["director"], child)
    with pytest.raises(ValidationError) as exc:
        step(people["director"], report, stage=Stage.ASSESSMENT)
    assert "stage" in exc.value.message_dict
    step(people["director"], report, stage=Stage.EMERGENCY_RESPONSE, child_location="祖母家")
    report.refresh_from_db()
    assert report.stage == Stage.EMERGENCY_RESPONSE
    assert report.acknowledged_at is not None
    assert report.next_due_at == report.created_at + datetime.timedelta(days=7)
    step(people["supervisor"], report, stage=Stage.ASSESSMENT)
    step(people["supervisor"], report, stage=Stage.ASSISTANCE_PLAN)
    with pytest.raises(PermissionDenied):  # closing: supervisor or district staff
        step(people["director"], report, stage=Stage.CLOSED, what="已妥善安置")
    with pytest.raises(ValidationError) as exc:
        step(people["civil"], report, stage=Stage.CLOSED, what="  ")
    assert "what" in exc.value.message_dict
    step(people["civil"], report, stage=Stage.CLOSED, what="已妥善安置")
    report.refresh_from_db()
    assert (report.stage, report.next_due_at) == (Stage.CLOSED, None)
    with pytest.raises(ValidationError):
        step(people["director"], report, kind=StepKind.PROGRESS)
    step(people["civil"], report, kind=StepKind.REOPEN, what="再次发现受伤")
    report.refresh_from_db()
    assert report.stage == Stage.ASSESSMENT
    assert report.steps.count() == 6


def test_a_correction_is_a_new_step_referencing_the_old(people, child):
    report = file(people["director"], child)
    first = step(people["director"], report, stage=Stage.EMERGENCY_RESPONSE, what="送往医院")
    fix = step(people["director"], report, kind=StepKind.CORRECTION, what="送往镇卫生院",
               corrects=first)  # fmt: skip
    first.refresh_from_db()
    assert first.what == "送往医院"
    assert (fix.corrects_id, fix.stage) == (first.pk, Stage.EMERGENCY_RESPONSE)
    with pytest.raises(ValidationError):
        step(people["director"], report, kind=StepKind.CORRECTION, what="x")


def test_steps_cannot_be_updated_or_deleted(people, child):
    report = file(people["director"], child)
    first = report.steps.get()
    first.what = "改写"
    with pytest.raises(PermissionError):
        first.save()
    with pytest.raises(PermissionError):
        first.delete()
    with pytest.raises(PermissionError):
        ReportStep.objects.filter(pk=first.pk).update(what="改写")
    with pytest.raises(PermissionError):
        ReportStep.objects.filter(pk=first.pk).delete()
    # Below the ORM, the database refuses too (a trigger).
    with (
        pytest.raises((DatabaseError, IntegrityError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE reports_reportstep SET what = 'x' WHERE id = %s", [first.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM reports_reportstep WHERE id = %s", [first.pk])
    assert ReportStep.objects.get(pk=first.pk).what != "改写"


def test_the_api_has_no_route_to_change_a_step(people, child):
    report = file(people["director"], child)
    api = api_for(people["director"])
    url = f"/api/v1/reports/{report.pk}/steps/"
    assert api.put(url, {}, format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert api.patch(f"/api/v1/reports/{report.pk}/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/reports/{report.pk}/").status_code == 405
    response = api.post(
        url, {"kind": "stage", "stage": "assessment", "what": "评估"}, format="json"
    )
    assert response.status_code == 400
    assert "stage" in response.json()
    response = api.post(url, {"kind": "stage", "stage": "emergency_response", "what": "安置"},
                        format="json")  # fmt: skip
    assert response.status_code == 201
    assert len(api.get(url).json()) == 2


# --- Pages: case page, open-cases list, home -------------------------------------------------


def test_the_case_page_shows_the_timeline_and_the_next_step(people, child, client):
    report = file(people["director"], child)
    client.force_login(people["supervisor"])
    response = client.get(reverse("reports:detail", args=[report.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="step"') == 1
    assert 'data-testid="next-step"' in body
    response = client.post(
        reverse("reports:detail", args=[report.pk]),
        {"kind": "stage", "stage": "emergency_response", "what": "责令父母返回",
         "next_step": "评估", "child_location": "祖父母家"},
    )  # fmt: skip
    assert response.status_code == 302
    response = client.get(reverse("reports:detail", args=[report.pk]))
    assert response.content.decode().count('data-testid="step"') == 2


def test_the_case_page_refuses_a_step_out_of_order_with_the_reason(people, child, client):
    report = file(people["director"], child)
    client.force_login(people["director"])
    response = client.post(
        reverse("reports:detail", args=[report.pk]),
        {"kind": "stage", "stage": "closed", "what": "x"},
    )
    assert response.status_code == 400
    assert 'data-field-error="stage"' in response.content.decode()


@pytest.mark.parametrize("who", ["neighbour", "other_civil", "other_director", "nobody"])
def test_out_of_scope_is_a_404_on_the_page_and_the_api(people, child, client, who):
    report = file(people["director"], child)
    client.force_login(people[who])
    assert client.get(reverse("reports:detail", args=[report.pk])).status_code == 404
    api = api_for(people[who])
    assert api.get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert api.post(f"/api/v1/reports/{report.pk}/steps/", {"kind": "progress", "what": "x"},
                    format="json").status_code == 404  # fmt: skip
    assert api.get("/api/v1/reports/").json()["count"] == 0


@pytest.mark.parametrize("who", ["director", "supervisor", "civil", "centre"])
def test_everyone_in_scope_sees_the_case(people, child, client, who):
    report = file(people["director"], child)
    client.force_login(people[who])
    assert client.get(reverse("reports:detail", args=[report.pk])).status_code == 200
    assert api_for(people[who]).get("/api/v1/reports/").json()["count"] == 1


def test_the_list_puts_unacknowledged_first_and_overdue_in_red(people, child, client):
    acknowledged = file(people["director"], child)
    step(people["supervisor"], acknowledged, kind=StepKind.ACKNOWLEDGE, what="")
    MandatoryReport.objects.filter(pk=acknowledged.pk).update(next_due_at=app_clock.now() - HOUR)
    fresh = file(people["director"], child)
    client.force_login(people["supervisor"])
    response = client.get(reverse("reports:list"))
    body = response.content.decode()
    cases = list(response.context["page"])
    assert [c.pk for c in cases] == [fresh.pk, acknowledged.pk]
    assert body.count('data-testid="overdue"') == 1
    assert "list-group-item-danger" in body
    assert body.count('data-testid="unacknowledged"') == 1
    with pytest.raises(ValidationError):
        step(people["supervisor"], acknowledged, kind=StepKind.ACKNOWLEDGE, what="")


def test_the_home_page_shows_unacknowledged_reports_first(people, child, client):
    report = file(people["director"], child)
    client.force_login(people["civil"])
    body = client.get(reverse("home")).content.decode()
    assert 'data-testid="unacknowledged-reports"' in body
    assert reverse("reports:detail", args=[report.pk]) in body
    step(people["civil"], report, kind=StepKind.ACKNOWLEDGE, what="")
    body = client.get(reverse("home")).content.decode()
    assert 'data-testid="unacknowledged-reports"' not in body


def test_a_visit_with_danger_found_leads_to_the_report_form(people, child, client):
    client.force_login(people["director"])
    response = client.post(
        reverse("visits:create"),
        {"client_uuid": str(uuid.uuid4()), "child": child.pk, "kind": "in_person",
         "visit_date": app_clock.today().isoformat(), "danger_found": "on",
         **dict.fromkeys(("safety", "guardianship", "schooling", "health", "mental", "living"),
                         "fine")},
    )  # fmt: skip
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert response["Location"] == f"{reverse('reports:create')}?child={child.pk}&visit={visit.pk}"
    form = client.get(response["Location"])
    assert form.status_code == 200
    assert f'name="child" value="{child.pk}"' in form.content.decode()


def test_query_counts_do_not_grow(people, client, child, django_assert_max_num_queries):
    client.force_login(people["civil"])
    report = file(people["director"], child)
    for _i in range(2):
        step(people["civil"], report, kind=StepKind.PROGRESS, what="跟进")
    client.get(reverse("reports:list"))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(12) as small_list:
        client.get(reverse("reports:list"))
    with django_assert_max_num_queries(16) as small_case:
        client.get(reverse("reports:detail", args=[report.pk]))
    for _i in range(5):
        other = file(people["director"], child)
        step(people["civil"], other, kind=StepKind.PROGRESS, what="跟进")
        step(people["civil"], report, kind=StepKind.PROGRESS, what="跟进")
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        client.get(reverse("reports:list"))
    with django_assert_max_num_queries(len(small_case.captured_queries)):
        client.get(reverse("reports:detail", args=[report.pk]))


def test_a_district_user_reports_and_the_api_filters_by_stage(people, child):
    report = file(people["centre"], child)
    step(people["centre"], report, stage=Stage.EMERGENCY_RESPONSE)
    file(people["centre"], child)
    api = api_for(people["supervisor"])
    data = api.get("/api/v1/reports/?stage=emergency_response").json()
    assert [r["id"] for r in data["results"]] == [report.pk]


def test_a_report_of_an_unknown_user_in_another_district(people):
    outsider = make_user(username="outsider")
    with pytest.raises(PermissionDenied):
        file(outsider, None, child_description="男孩", village=region(ZHIDA))


@pytest.mark.parametrize(
    ("who", "shown"),
    [("director", True), ("civil", True), ("centre", True), ("supervisor", False)],
)
def test_the_reporters_identity_is_shown_to_district_staff_only(people, child, client, who, shown):
    report = file(people["director"], child)
    client.force_login(people[who])
    body = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert ('data-testid="step-by"' in body) is shown
    api = api_for(people[who])
    assert (api.get(f"/api/v1/reports/{report.pk}/").json()["reporter"] == "director") is shown
    steps = api.get(f"/api/v1/reports/{report.pk}/steps/").json()
    assert (steps[0]["by"] == "director") is shown
