"""The danger path (issue 15): a visit that found the child in danger leads to the report form
filled from the visit (its date with the time it was logged, the child's address, how it was
found, the findings' notes), editable; the report is linked to the visit, once however often
it is sent; the visit page offers the report until one is filed, then shows it; the API takes
`visit`, scoped."""

from __future__ import annotations

import datetime
import html
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core import clock as app_clock
from reports.models import MandatoryReport
from tests.factories import make_child
from tests.reports.conftest import file
from tests.visits.conftest import registered
from visits.models import Visit

AREAS = ("safety", "guardianship", "schooling", "health", "mental", "living")


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def danger_visit_page(client, child, day=None):
    """Log a danger visit through the page: the answer is the redirect to the report form."""
    day = day or app_clock.today()
    return client.post(
        reverse("visits:create"),
        {"client_uuid": str(uuid.uuid4()), "child": child.pk, "kind": "home_visit",
         "visit_date": day.isoformat(), "seen": "孩子和父亲",
         **dict.fromkeys(AREAS, "fine"), "safety": "concern", "safety_note": "手臂有淤青",
         "problems": "父亲酒后打骂孩子", "danger_found": "on"},
    )  # fmt: skip


def form_values(body: str) -> dict[str, str]:
    """name → value of the form's inputs and textareas (enough for these fields)."""
    values = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body):
        values.setdefault(name, html.unescape(value))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        values[name] = html.unescape(text).strip()
    return values


@pytest.fixture
def child(people):
    return make_child(people["director"])


def test_the_report_form_starts_from_the_danger_visit_and_links_it(people, child, client):
    client.force_login(people["director"])
    response = danger_visit_page(client, child)
    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('reports:create')}?child={child.pk}&visit={visit.pk}"
    body = client.get(response["Location"]).content.decode()
    values = form_values(body)
    logged = timezone.localtime(visit.created_at)
    assert values["found_at"] == f"{visit.visit_date.isoformat()}T{logged:%H:%M}"
    assert values["location"] == child.address
    assert values["visit"] == str(visit.pk) and values["child"] == str(child.pk)
    assert "手臂有淤青" in values["what_seen"] and "父亲酒后打骂孩子" in values["what_seen"]
    assert "入户走访" in values["how_found"] and "孩子和父亲" in values["how_found"]
    assert re.search(r'<input[^>]*name="immediate_danger"[^>]*checked', body)
    assert 'data-testid="from-visit"' in body
    # She edits what she wants and files; sent twice (a retry), one report.
    post = {**values, "situations": ["domestic_violence"], "what_seen": "手臂和背部有淤青"}
    post.pop("immediate_danger", None)
    for _attempt in range(2):
        filed = client.post(response["Location"], post)
        assert filed.status_code == 302, filed.content.decode()[:2000]
    report = MandatoryReport.objects.get()
    assert report.visit == visit and report.child == child
    assert report.what_seen == "手臂和背部有淤青" and report.location == child.address
    assert timezone.localtime(report.found_at).date() == visit.visit_date
    # The case page names the visit; the visit page shows the report, no longer offers one.
    case = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'data-testid="report-visit"' in case
    assert reverse("visits:detail", args=[visit.pk]) in case
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert f'data-report="{report.pk}"' in page
    assert 'data-testid="file-report"' not in page
    # Coming back to the form from the visit says a report was already filed.
    again = client.get(response["Location"]).content.decode()
    assert 'data-testid="already-filed"' in again


def test_a_visit_logged_later_keeps_its_own_date_with_the_time_it_was_logged(people, child, client):
    client.force_login(people["director"])
    registered(child)
    day = app_clock.today() - datetime.timedelta(days=2)
    response = danger_visit_page(client, child, day)
    visit = Visit.objects.get()
    values = form_values(client.get(response["Location"]).content.decode())
    logged = timezone.localtime(visit.created_at)
    assert values["found_at"] == f"{day.isoformat()}T{logged:%H:%M}"


def test_the_visit_page_offers_the_report_while_none_is_filed(people, child, client):
    client.force_login(people["director"])
    danger_visit_page(client, child)
    visit = Visit.objects.get()
    page = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert 'data-testid="file-report"' in page
    assert f"?child={child.pk}&amp;visit={visit.pk}" in page


def test_a_visit_out_of_reach_is_404_on_the_page_and_400_in_the_api(people, child, client):
    client.force_login(people["director"])
    danger_visit_page(client, child)
    visit = Visit.objects.get()
    for who in ("neighbour", "other_director"):
        client.force_login(people[who])
        assert client.get(f"{reverse('reports:create')}?visit={visit.pk}").status_code == 404
        response = api_for(people[who]).post(
            "/api/v1/reports/",
            {"client_uuid": str(uuid.uuid4()), "visit": visit.pk,
             "child_description": "男孩", "situations": ["missing"],
             "found_at": app_clock.now().isoformat()},
            format="json",
        )  # fmt: skip
        assert response.status_code == 400 and "visit" in response.json(), who
    assert MandatoryReport.objects.count() == 0


def test_the_api_links_a_report_to_a_visit_of_the_same_child(people, child, client):
    client.force_login(people["director"])
    danger_visit_page(client, child)
    visit = Visit.objects.get()
    other = make_child(people["director"], name="王小红")
    api = api_for(people["director"])
    body = {"situations": ["domestic_violence"], "found_at": app_clock.now().isoformat(),
            "visit": visit.pk}  # fmt: skip
    wrong = api.post(
        "/api/v1/reports/", {**body, "client_uuid": str(uuid.uuid4()), "child": other.pk},
        format="json",
    )  # fmt: skip
    assert wrong.status_code == 400 and "visit" in wrong.json()
    token = str(uuid.uuid4())
    first = api.post("/api/v1/reports/", {**body, "client_uuid": token}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json()["visit"] == visit.pk and first.json()["child"] == child.pk
    again = api.post("/api/v1/reports/", {**body, "client_uuid": token}, format="json")
    assert again.status_code == 200 and MandatoryReport.objects.count() == 1
    assert api.get(f"/api/v1/reports/{first.json()['id']}/").json()["visit"] == visit.pk
    # A report without a visit stays as it was.
    assert file(people["director"], child).visit is None
