import datetime

import pytest
from rest_framework.test import APIClient

from org import tokens
from org.models import Assignment, Region, User
from tests.factories import CHENGUANG, XINXINGLU, ZHIDA


@pytest.fixture
def api(people):
    client = APIClient()
    client.force_authenticate(people["civil"])
    return client


def test_token_authentication(people):
    _row, secret = tokens.token_create(user=people["supervisor"], name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    response = client.get("/api/v1/regions/", {"level": "village"})
    assert response.status_code == 200
    assert all(r["code"].startswith("500109110") for r in response.json()["results"])
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    assert client.get("/api/v1/regions/").status_code == 401


def test_obtain_token_with_password(people):
    client = APIClient()
    response = client.post(
        "/api/v1/token/",
        {"username": "director", "password": "Test-pass-2026", "device": "手机"},
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 200 and response.json()["token"]
    assert response.json()["name"] == "手机" and response.json()["expiry"]


def test_region_filters_and_bad_filters(api):
    response = api.get("/api/v1/regions/", {"code_prefix": "500109110", "level": "village"})
    assert response.status_code == 200
    assert response.json()["count"] == Region.objects.filter(parent__code="500109110000").count()
    response = api.get("/api/v1/regions/", {"code_prefix": "50x"})
    assert response.status_code == 400 and "code_prefix" in response.json()
    response = api.get("/api/v1/regions/", {"parent": "abc"})
    assert response.status_code == 400 and "parent" in response.json()


def test_create_staff_and_assign_then_end(api, people):
    response = api.post(
        "/api/v1/staff/",
        {"username": "api_new", "real_name": "接口新人", "phone": "13911112222"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["managing_district_code"] == "500109000000"
    assert len(body["initial_password"]) >= 12
    staff_id = body["id"]
    village = Region.objects.get(code=XINXINGLU)
    response = api.post(
        "/api/v1/assignments/",
        {
            "user": staff_id,
            "region": village.pk,
            "role": "child_director",
            "start_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["active"] is True
    assignment_id = response.json()["id"]
    response = api.post(
        f"/api/v1/assignments/{assignment_id}/end/", {"end_reason": "调离"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert Assignment.objects.filter(pk=assignment_id).exists()  # history kept


def test_bad_input_is_400_with_field_errors(api, people):
    response = api.post("/api/v1/staff/", {"username": "", "phone": "123"}, format="json")
    assert response.status_code == 400
    assert {"username", "real_name", "phone"} <= set(response.json())

    director = people["director"]
    town = Region.objects.get(code="500109110000")
    response = api.post(
        "/api/v1/assignments/",
        {
            "user": director.pk,
            "region": town.pk,
            "role": "child_director",
            "start_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "region" in response.json()

    far = Region.objects.get(code=CHENGUANG)  # another district: not even selectable
    response = api.post(
        "/api/v1/assignments/",
        {
            "user": director.pk,
            "region": far.pk,
            "role": "child_director",
            "start_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "region" in response.json()

    response = api.post(
        "/api/v1/assignments/",
        {
            "user": people["other_director"].pk,
            "region": Region.objects.get(code=ZHIDA).pk,
            "role": "child_director",
            "start_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "user" in response.json()

    response = api.post(
        "/api/v1/assignments/",
        {
            "user": director.pk,
            "region": town.pk,
            "role": "system_admin",
            "start_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "role" in response.json()
    assignment = Assignment.objects.get(user=director)
    response = api.post(f"/api/v1/assignments/{assignment.pk}/end/", {}, format="json")
    assert response.status_code == 400 and "end_reason" in response.json()


def test_staff_endpoints_are_for_civil_affairs_only(people):
    client = APIClient()
    client.force_authenticate(people["supervisor"])
    assert client.get("/api/v1/staff/").status_code == 403
    response = client.post(
        "/api/v1/assignments/",
        {
            "user": people["director"].pk,
            "region": Region.objects.get(code=ZHIDA).pk,
            "role": "child_director",
            "start_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 403


def test_staff_list_is_scoped_and_query_count_is_constant(
    api, people, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/staff/")
    usernames = {s["username"] for s in response.json()["results"]}
    assert "director" in usernames and "other_director" not in usernames
    for i in range(10):
        User.objects.create(
            username=f"bulk{i}",
            real_name=f"批量{i}",
            managing_district=people["civil"].managing_district,
        )
    with django_assert_max_num_queries(6):
        api.get("/api/v1/staff/")


def test_active_filter(api, people):
    assignment = Assignment.objects.get(user=people["neighbour"])
    assignment.end_date = datetime.date(2026, 2, 1)
    assignment.save()
    active = api.get("/api/v1/assignments/", {"active": "true"}).json()
    ended = api.get("/api/v1/assignments/", {"active": "false"}).json()
    assert assignment.pk not in [a["id"] for a in active["results"]]
    assert [a["id"] for a in ended["results"]] == [assignment.pk]


def test_schema_and_docs_are_served_locally(people, client):
    client.force_login(people["civil"])
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/regions/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
