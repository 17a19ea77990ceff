"""/api/v1/activities/: scoped (404 outside), created once per client id, 400 with field
errors and nothing saved, only the children the caller may see, the year's summary, fixed
query counts, and the schema."""

import uuid

import pytest
from rest_framework.test import APIClient

from activities.models import Activity
from core import clock
from tests.activities.conftest import record
from tests.factories import JINGGUAN, ZHIDA, region

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def items(body):
    return body["results"] if isinstance(body, dict) and "results" in body else body


def payload(kids, **overrides):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "region": region(ZHIDA).pk,
        "kind": "safety",
        "topics": ["bullying"],
        "title": "防欺凌主题班会",
        "held_on": clock.today().isoformat(),
        "place": "志达社区",
        "children": [c.pk for c in kids],
    }
    data.update(overrides)
    return data


def test_create_is_idempotent_and_lists_the_children(people, kids):
    client = api(people["director"])
    data = payload(kids["zhida"])
    response = client.post("/api/v1/activities/", data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["children_count"] == 5 and {c["name"] for c in body["children"]} == {
        c.name for c in kids["zhida"]
    }
    again = client.post("/api/v1/activities/", data, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Activity.objects.count() == 1


def test_bad_input_is_a_400_on_the_field_and_nothing_is_saved(people, kids):
    client = api(people["supervisor"])
    response = client.post(
        "/api/v1/activities/", payload([kids["zhida"][0], kids["xingcheng"]]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["children"] == ["周星不在活动的组织区域内。"]
    response = api(people["director"]).post(
        "/api/v1/activities/", payload([kids["xiushan"]]), format="json"
    )
    assert response.status_code == 400 and "吴秀" not in str(response.json())
    response = api(people["director"]).post(
        "/api/v1/activities/", payload([], region=region(JINGGUAN).pk), format="json"
    )
    assert response.status_code == 400 and "region" in response.json()
    response = api(people["director"]).post(
        "/api/v1/activities/", payload([], kind="party"), format="json"
    )
    assert response.status_code == 400 and "kind" in response.json()
    assert not Activity.objects.exists()


def test_outsiders_get_404_and_see_no_child(people, kids):
    town = record(
        people["supervisor"],
        [kids["zhida"][0], kids["xingcheng"]],
        area_code=JINGGUAN,
        kind="reading",
        topics=[],
    )
    url = f"/api/v1/activities/{town.pk}/"
    for name in ("director", "neighbour", "other_supervisor", "sysadmin"):
        assert api(people[name]).get(url).status_code == 404, name
    assert items(api(people["neighbour"]).get("/api/v1/activities/").json()) == []
    body = api(people["civil"]).get(url).json()
    assert body["children_count"] == 2 and len(body["children"]) == 2


def test_the_list_takes_a_fixed_number_of_queries(people, kids, django_assert_max_num_queries):
    client = api(people["supervisor"])
    record(people["director"], kids["zhida"][:2])
    client.get("/api/v1/activities/")
    with django_assert_max_num_queries(12) as first:
        client.get("/api/v1/activities/")
    for n in range(5):
        record(people["director"], kids["zhida"][n:], title=f"活动{n}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get("/api/v1/activities/", {"kind": "safety"}).json()
    assert len(items(body)) == 6


def test_the_summary(people, kids, django_assert_max_num_queries):
    record(people["director"], kids["zhida"][:2])
    with django_assert_max_num_queries(10):
        body = api(people["supervisor"]).get("/api/v1/activities/summary/").json()
    assert body["total"] == 1 and body["by_kind"]["safety"] == 1
    assert body["children_without_count"] == 4
    assert [v["code"] for v in body["villages_without_safety"]].count(ZHIDA) == 0
    assert api(people["sysadmin"]).get("/api/v1/activities/summary/").status_code == 404


def test_documented_in_schema(people):
    schema = api(people["civil"]).get("/api/schema/").content.decode()
    assert "/api/v1/activities/" in schema and "/api/v1/activities/summary/" in schema
