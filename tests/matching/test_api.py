"""/api/v1/findings/: the caller's scope, filters, closing with an outcome (400 keyed as in the
schema), 404 outside, and the schema."""

import pytest
from rest_framework.test import APIClient

from matching.models import Finding, RuleCode

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_is_scoped_and_filtered(people, imported):
    body = api(people["supervisor"]).get("/api/v1/findings/").json()
    rules = (
        sorted(f["rule"] for f in body["results"])
        if isinstance(body, dict)
        else sorted(f["rule"] for f in body)
    )
    assert rules == [RuleCode.DROPOUT, RuleCode.NOT_IN_ARCHIVE]
    body = api(people["director"]).get("/api/v1/findings/", {"rule": "dropout"}).json()
    items = body["results"] if isinstance(body, dict) else body
    assert [f["rule"] for f in items] == [RuleCode.DROPOUT]
    assert "*" in items[0]["id_masked"]
    for name in ("other_supervisor", "other_civil", "sysadmin"):
        body = api(people[name]).get("/api/v1/findings/").json()
        assert (body["results"] if isinstance(body, dict) else body) == []
    assert api(people["director"]).get("/api/v1/findings/", {"rule": "x"}).status_code == 400


def test_close_needs_an_outcome_and_a_reason(people, imported):
    finding = Finding.objects.get(rule=RuleCode.DROPOUT)
    url = f"/api/v1/findings/{finding.pk}/close/"
    client = api(people["director"])
    response = client.post(url, {}, format="json")
    assert response.status_code == 400 and "outcome" in response.json()
    response = client.post(url, {"outcome": "not_applicable"}, format="json")
    assert response.status_code == 400 and "done_note" in response.json()
    response = client.post(url, {"outcome": "not_applicable", "done_note": "已复学"}, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == "not_applicable"
    assert api(people["other_director"]).post(url, {}, format="json").status_code == 404
    # The town's supervisor sees the finding but closes none.
    other = Finding.objects.get(rule=RuleCode.NOT_IN_ARCHIVE)
    response = api(people["supervisor"]).post(
        f"/api/v1/findings/{other.pk}/close/",
        {"outcome": "referred", "done_note": "镇政府"},
        format="json",
    )
    assert response.status_code == 403


def test_documented_in_schema(people):
    client = APIClient()
    client.force_authenticate(people["civil"])
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/findings/{id}/close/" in schema and "outcome_link" in schema
