"""The API: /api/v1/service-providers/ and /api/v1/referrals/ with their actions; 400 with
field errors and nothing saved, a retry stored once, 404 out of reach, fixed query counts."""

import uuid

import pytest

from providers.models import ReferralStatus, ServiceProvider, ServiceReferral
from tests.providers.conftest import refer

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_civil_affairs_register_and_change_a_provider(people, regions, client):
    client.force_login(people["civil"])
    created = client.post(
        "/api/v1/service-providers/",
        {"name": "北碚区残联康复站", "kind": "mass_organisation", "services": ["medical"],
         "areas": ["500109110000"]},
        content_type=JSON,
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["district"] == "500109000000" and data["areas"] == ["500109110000"]
    changed = client.patch(
        f"/api/v1/service-providers/{data['id']}/", {"contact_phone": "13912340000"},
        content_type=JSON,
    )  # fmt: skip
    assert changed.status_code == 200, changed.json()
    assert changed.json()["contact_phone"] == "13912340000"
    assert changed.json()["areas"] == ["500109110000"]  # kept


def test_bad_provider_input_is_a_400_with_field_errors(people, regions, client):
    client.force_login(people["civil"])
    response = client.post(
        "/api/v1/service-providers/",
        {"name": "某机构", "kind": "school", "services": [], "areas": ["500241104000"]},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert {"services", "areas"} <= set(response.json())
    assert not ServiceProvider.objects.exists()


def test_only_civil_affairs_write_the_registry(people, registry, client):
    client.force_login(people["director"])
    response = client.post(
        "/api/v1/service-providers/",
        {"name": "x", "kind": "school", "services": ["education"]},
        content_type=JSON,
    )
    assert response.status_code == 403
    patch = client.patch(
        f"/api/v1/service-providers/{registry['agency'].pk}/", {"name": "y"}, content_type=JSON
    )
    assert patch.status_code == 403


def test_a_referral_through_the_api_is_stored_once(people, registry, staff, kids, client):
    client.force_login(people["director"])
    body = {
        "client_uuid": str(uuid.uuid4()), "child": kids["zhida"].pk,
        "provider": registry["agency"].pk, "service": "psychological",
        "reason": "情绪低落", "consent": "protection",
    }  # fmt: skip
    first = client.post("/api/v1/referrals/", body, content_type=JSON)
    assert first.status_code == 201, first.json()
    again = client.post("/api/v1/referrals/", body, content_type=JSON)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert ServiceReferral.objects.count() == 1
    assert first.json()["child_fields"]["name"] == "王小红"


def test_bad_referral_input_is_a_400_with_field_errors(people, registry, staff, kids, client):
    client.force_login(people["director"])
    bad = client.post(
        "/api/v1/referrals/",
        {"client_uuid": str(uuid.uuid4()), "child": kids["zhida"].pk,
         "provider": registry["agency"].pk, "service": "medical", "reason": "x",
         "consent": "guardian"},
        content_type=JSON,
    )  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()) == {"service", "consent_on"}
    outsider = client.post(
        "/api/v1/referrals/",
        {"client_uuid": str(uuid.uuid4()), "child": kids["chenguang"].pk,
         "provider": registry["school"].pk, "service": "education", "reason": "x",
         "consent": "protection"},
        content_type=JSON,
    )  # fmt: skip
    assert outsider.status_code == 400 and "child" in outsider.json()
    assert not ServiceReferral.objects.exists()


def test_the_providers_staff_answer_through_the_api(people, referral, staff, client):
    client.force_login(staff["agency_staff"])
    url = f"/api/v1/referrals/{referral.pk}/"
    assert client.post(url + "decide/", {"accept": False}, content_type=JSON).status_code == 400
    accepted = client.post(url + "decide/", {"accept": True}, content_type=JSON)
    assert accepted.status_code == 200 and accepted.json()["status"] == ReferralStatus.ACCEPTED
    assert client.post(url + "withdraw/", {"note": "x"}, content_type=JSON).status_code == 403
    done = client.post(url + "outcome/", {"outcome": "partly"}, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == ReferralStatus.COMPLETED
    assert client.get(url).status_code == 404  # closed: out of reach
    client.force_login(staff["school_staff"])
    assert client.post(url + "decide/", {"accept": True}, content_type=JSON).status_code == 404


def test_the_referral_list_keeps_its_query_count(
    people, registry, staff, kids, client, django_assert_max_num_queries
):
    refer(people["director"], kids["zhida"], registry["agency"])
    client.force_login(people["supervisor"])
    client.get("/api/v1/referrals/")
    with django_assert_max_num_queries(12) as captured:
        client.get("/api/v1/referrals/")
    few = len(captured)
    for _n in range(6):
        refer(people["director"], kids["zhida"], registry["agency"])
    with django_assert_max_num_queries(few):
        response = client.get("/api/v1/referrals/", {"status": "open"})
    assert response.json()["count"] == 7
    client.force_login(staff["agency_staff"])
    client.get("/api/v1/referrals/")
    with django_assert_max_num_queries(few):
        assert client.get("/api/v1/referrals/").json()["count"] == 7
    client.force_login(people["civil"])
    client.get("/api/v1/service-providers/")
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/service-providers/").json()["count"] == 2
