"""Linking a report about an unregistered child to an archive, and explicit sharing of a case
with a named person outside its region (django-guardian)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from casefile.timeline import timeline
from reports import sharing, workflow
from reports.models import MandatoryReport, ReportStep, StepKind
from tests.factories import CHENGUANG, ZHIDA, make_child, make_user, region
from tests.reports.conftest import file


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def unregistered(people, by="director"):
    return file(
        people[by],
        child=None,
        child_description="男孩，约8岁，穿蓝色外套",
        village=region(ZHIDA),
        location="志达社区村口",
    )


# --- Linking to an archive -------------------------------------------------------------------


def test_a_report_is_linked_to_the_childs_archive_by_an_appended_step(people, child):
    report = unregistered(people)
    before = list(ReportStep.objects.filter(report=report).values_list("pk", "what"))
    assert [e for e in timeline(child, viewer=people["civil"]) if e.kind == "report"] == []
    step = workflow.report_link_child(by=people["supervisor"], report=report, child=child)
    assert step.kind == StepKind.LINK and child.name in step.what
    report.refresh_from_db()
    assert report.child_id == child.pk
    assert report.child_description == "男孩，约8岁，穿蓝色外套"  # what was filed stays
    after = list(ReportStep.objects.filter(report=report).values_list("pk", "what"))
    assert after[: len(before)] == before and len(after) == len(before) + 1
    entries = [e for e in timeline(child, viewer=people["civil"]) if e.kind == "report"]
    assert len(entries) == len(after)


def test_linking_twice_or_to_a_child_out_of_scope_is_refused(people, child):
    report = unregistered(people)
    elsewhere = make_child(people["other_director"], CHENGUANG, id_number=None)
    with pytest.raises(ValidationError) as refused:
        workflow.report_link_child(by=people["supervisor"], report=report, child=elsewhere)
    assert "child" in refused.value.message_dict
    workflow.report_link_child(by=people["supervisor"], report=report, child=child)
    with pytest.raises(ValidationError) as twice:
        workflow.report_link_child(by=people["supervisor"], report=report, child=child)
    assert "child" in twice.value.message_dict
    registered = file(people["director"], child)
    with pytest.raises(ValidationError):
        workflow.report_link_child(by=people["civil"], report=registered, child=child)
    assert ReportStep.objects.filter(kind=StepKind.LINK).count() == 1


def test_the_case_page_links_with_the_picker(people, child, login):
    report = unregistered(people)
    client = login(people["director"])
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'data-testid="link-form"' in page and "data-picker" in page
    assert '<select name="child"' not in page
    response = client.post(reverse("reports:link", args=[report.pk]), {"child": child.pk})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.child_id == child.pk
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'data-testid="link-form"' not in page
    archive = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert 'data-kind="report"' in archive


def test_the_page_refuses_a_child_out_of_scope_and_a_report_out_of_scope(people, child, login):
    report = unregistered(people)
    elsewhere = make_child(people["other_director"], CHENGUANG, id_number=None)
    client = login(people["director"])
    client.post(reverse("reports:link", args=[report.pk]), {"child": elsewhere.pk})
    report.refresh_from_db()
    assert report.child_id is None
    outsider = login(people["other_director"])
    response = outsider.post(reverse("reports:link", args=[report.pk]), {"child": elsewhere.pk})
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.child_id is None


def test_the_api_links_once_and_only_in_scope(people, child):
    report = unregistered(people)
    elsewhere = make_child(people["other_director"], CHENGUANG, id_number=None)
    url = f"/api/v1/reports/{report.pk}/link/"
    assert api_for(people["other_civil"]).post(url, {"child": elsewhere.pk}).status_code == 404
    refused = api_for(people["civil"]).post(url, {"child": elsewhere.pk}, format="json")
    assert refused.status_code == 400 and "child" in refused.json()
    done = api_for(people["civil"]).post(url, {"child": child.pk}, format="json")
    assert done.status_code == 200 and done.json()["child"] == child.pk
    again = api_for(people["civil"]).post(url, {"child": child.pk}, format="json")
    assert again.status_code == 400 and "child" in again.json()


# --- Explicit sharing ------------------------------------------------------------------------


def test_district_staff_share_a_case_with_a_named_person_in_another_district(people, child):
    report = file(people["director"], child)
    outsider = people["other_civil"]
    assert not MandatoryReport.objects.visible_to(outsider).filter(pk=report.pk).exists()
    step = sharing.report_share(
        by=people["civil"], report=report, grantee=outsider, reason="秀山县救助站收留了孩子"
    )
    assert step.kind == StepKind.SHARE and "秀山县救助站收留了孩子" in step.what
    fresh = type(outsider).objects.get(pk=outsider.pk)
    assert MandatoryReport.objects.visible_to(fresh).filter(pk=report.pk).exists()
    assert sharing.shared_with(report) == [outsider]
    sharing.report_unshare(by=people["centre"], report=report, grantee=outsider, reason="已返回")
    fresh = type(outsider).objects.get(pk=outsider.pk)
    assert not MandatoryReport.objects.visible_to(fresh).filter(pk=report.pk).exists()
    kinds = list(ReportStep.objects.filter(report=report).values_list("kind", flat=True))
    assert kinds[-2:] == [StepKind.SHARE, StepKind.UNSHARE]


def test_the_grantee_sees_the_case_page_api_and_open_cases_but_not_the_reporter(
    people, child, login
):
    report = file(people["director"], child)
    outsider = people["other_civil"]
    detail = reverse("reports:detail", args=[report.pk])
    assert login(outsider).get(detail).status_code == 404
    assert api_for(outsider).get(f"/api/v1/reports/{report.pk}/").status_code == 404
    sharing.report_share(by=people["civil"], report=report, grantee=outsider, reason="协助")
    page = login(outsider).get(detail)
    assert page.status_code == 200
    body = page.content.decode()
    reporter_name = people["director"].real_name
    assert reporter_name not in body  # not district staff of this district
    listing = login(outsider).get(reverse("reports:list")).content.decode()
    assert detail in listing
    api = api_for(outsider)
    data = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert data["id"] == report.pk and data["reporter"] is None
    assert [r["id"] for r in api.get("/api/v1/reports/").json()["results"]] == [report.pk]
    steps = api.get(f"/api/v1/reports/{report.pk}/steps/").json()
    assert next(s for s in steps if s["kind"] == StepKind.REPORT)["by"] is None
    # The district's own staff still see the reporter.
    assert api_for(people["civil"]).get(f"/api/v1/reports/{report.pk}/").json()["reporter"] == (
        people["director"].username
    )
    # A protection centre of another district holding the child: not the reporter either.
    far_centre = make_user("protection_centre", "500241000000", username="far_centre")
    sharing.report_share(by=people["centre"], report=report, grantee=far_centre, reason="接收")
    assert api_for(far_centre).get(f"/api/v1/reports/{report.pk}/").json()["reporter"] is None


def test_sharing_is_refused_with_reasons(people, child):
    report = file(people["director"], child)
    with pytest.raises(PermissionDenied):
        sharing.report_share(
            by=people["supervisor"], report=report, grantee=people["other_civil"], reason="x"
        )
    with pytest.raises(PermissionDenied):
        sharing.report_share(
            by=people["other_civil"], report=report, grantee=people["other_civil"], reason="x"
        )
    with pytest.raises(ValidationError) as no_reason:
        sharing.report_share(
            by=people["civil"], report=report, grantee=people["other_civil"], reason=" "
        )
    assert "reason" in no_reason.value.message_dict
    for grantee in (people["nobody"], people["sysadmin"], people["supervisor"]):
        with pytest.raises(ValidationError) as refused:
            sharing.report_share(by=people["civil"], report=report, grantee=grantee, reason="x")
        assert "grantee" in refused.value.message_dict
    with pytest.raises(ValidationError):
        sharing.report_unshare(by=people["civil"], report=report, grantee=people["other_civil"])
    assert sharing.shared_with(report) == []
    assert not ReportStep.objects.filter(kind=StepKind.SHARE).exists()


def test_the_share_page_shares_and_revokes(people, child, login):
    report = file(people["director"], child)
    client = login(people["civil"])
    url = reverse("reports:share", args=[report.pk])
    page = client.get(url)
    assert page.status_code == 200 and "data-picker" in page.content.decode()
    found = client.get(reverse("reports:share_people", args=[report.pk]), {"q": "other_ci"})
    assert f'data-pick="{people["other_civil"].pk}"' in found.content.decode()
    assert (
        f'data-pick="{people["nobody"].pk}"'
        not in client.get(
            reverse("reports:share_people", args=[report.pk]), {"q": "nobody"}
        ).content.decode()
    )
    missing = client.post(url, {"grantee": people["other_civil"].pk, "reason": ""})
    assert missing.status_code == 400
    assert 'data-field-error="reason"' in missing.content.decode()
    done = client.post(url, {"grantee": people["other_civil"].pk, "reason": "协助"})
    assert done.status_code == 302
    body = client.get(url).content.decode()
    assert 'data-grantee="other_civil"' in body
    revoke = reverse("reports:revoke", args=[report.pk, people["other_civil"].pk])
    assert client.post(revoke, {"reason": "结束"}).status_code == 302
    assert sharing.shared_with(report) == []


@pytest.mark.parametrize("who", ["supervisor", "director", "other_civil", "nobody"])
def test_the_share_page_is_a_404_for_those_who_may_not_share(people, child, login, who):
    report = file(people["director"], child)
    client = login(people[who])
    assert client.get(reverse("reports:share", args=[report.pk])).status_code == 404
    assert client.get(reverse("reports:share_people", args=[report.pk])).status_code == 404
    url = f"/api/v1/reports/{report.pk}/share/"
    payload = {"user": "other_civil", "reason": "x"}
    assert api_for(people[who]).post(url, payload).status_code in (403, 404)
    assert sharing.shared_with(report) == []


def test_the_api_shares_and_unshares_by_username(people, child):
    report = file(people["director"], child)
    api = api_for(people["centre"])
    url = f"/api/v1/reports/{report.pk}/share/"
    assert api.post(url, {"user": "other_civil"}, format="json").status_code == 400
    created = api.post(url, {"user": "other_civil", "reason": "协助"}, format="json")
    assert created.status_code == 201 and created.json()["kind"] == StepKind.SHARE
    assert api_for(people["other_civil"]).get(f"/api/v1/reports/{report.pk}/").status_code == 200
    unshared = api.post(
        f"/api/v1/reports/{report.pk}/unshare/", {"user": "other_civil"}, format="json"
    )
    assert unshared.status_code == 201
    fresh = type(people["other_civil"]).objects.get(pk=people["other_civil"].pk)  # a new request
    assert api_for(fresh).get(f"/api/v1/reports/{report.pk}/").status_code == 404
    again = api.post(
        f"/api/v1/reports/{report.pk}/unshare/", {"user": "other_civil"}, format="json"
    )
    # The service's refusal comes back under the API's own field name.
    assert again.status_code == 400 and set(again.json()) == {"user"}
