"""The API of one child, one record: candidates, the registration's 409, the merge, the list."""

import pytest
from rest_framework.test import APIClient

from children.models import Child, NotDuplicate
from duplicates.models import ChildMerge, DuplicateList
from tests.duplicates.conftest import BIRTH, add_records, no_id_child
from tests.factories import BEIBEI, CHENGUANG, ZHIDA

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def registration(**overrides):
    body = {
        "name": "张晓明",
        "gender": "M",
        "ethnicity": "01",
        "id_number": "",
        "birth_date": BIRTH.isoformat(),
        "hukou_registered": True,
        "hukou_address": "重庆市北碚区静观镇",
        "address": "志达社区3组",
        "village": ZHIDA,
        "categories": ["rural_left_behind"],
        "guardian_type": "grandparents",
        "carer_name": "张大爷",
        "carer_relation": "祖父",
        "carer_phone": "13900001111",
        "carer_capacity": "capable",
        "guardianship_quality": "good",
        "schooling": "primary",
        "health": "healthy",
    }
    body.update(overrides)
    return body


def test_registration_answers_409_with_the_candidates_then_saves(people):
    existing = no_id_child(people["director"], name="张小明")
    client = api(people["director"])
    response = client.post("/api/v1/children/", registration(), format="json")
    assert response.status_code == 409, response.data
    assert [c["id"] for c in response.data["likely_duplicates"]] == [existing.pk]
    assert "similar_name" in response.data["likely_duplicates"][0]["reasons"]
    assert Child.objects.count() == 1
    response = client.post(
        "/api/v1/children/", registration(not_duplicate_of=[existing.pk]), format="json"
    )
    assert response.status_code == 201
    assert "not_duplicate_of" not in response.data
    assert NotDuplicate.objects.get().context == "api"


def test_candidates_of_a_child_and_of_a_draft(people):
    a = no_id_child(people["director"], name="张小明")
    b = no_id_child(people["director"], name="张晓明")
    far = no_id_child(people["other_director"], CHENGUANG, name="张小明")
    client = api(people["director"])
    response = client.get(f"/api/v1/children/{a.pk}/duplicates/")
    assert response.status_code == 200 and [c["id"] for c in response.data] == [b.pk]
    assert client.get(f"/api/v1/children/{far.pk}/duplicates/").status_code == 404
    check = client.post(
        "/api/v1/children/duplicate-check/",
        {"name": "张小明", "birth_date": BIRTH.isoformat()},
        format="json",
    )
    assert check.status_code == 200 and {c["id"] for c in check.data} == {a.pk, b.pk}
    bad = client.post("/api/v1/children/duplicate-check/", {"birth_date": "x"}, format="json")
    assert bad.status_code == 400 and set(bad.data) == {"name", "birth_date"}


def test_merge_through_the_api(people):
    a = no_id_child(people["director"], name="张小明")
    b = no_id_child(people["director"], name="张晓明", carer_phone="13900009999")
    add_records(people["director"], b)
    body = {"survivor": a.pk, "merged": b.pk, "choices": {"carer_phone": "merged"}}
    url = "/api/v1/duplicates/merges/"
    assert api(people["director"]).post(url, body, format="json").status_code == 403
    assert api(people["other_civil"]).post(url, body, format="json").status_code == 404
    bad = api(people["civil"]).post(
        "/api/v1/duplicates/merges/", {**body, "choices": {"carer_phone": "x"}}, format="json"
    )
    assert bad.status_code == 400 and "choices" in bad.data
    response = api(people["civil"]).post("/api/v1/duplicates/merges/", body, format="json")
    assert response.status_code == 201
    assert response.data["moved"]["moved"]["visits.visit"] == 1
    record = ChildMerge.objects.get()
    assert (record.survivor_id, record.merged_id) == (a.pk, b.pk)
    a.refresh_from_db()
    assert a.carer_phone == "13900009999"


def test_the_list_through_the_api(people, django_capture_on_commit_callbacks):
    no_id_child(people["director"], name="张小明")
    no_id_child(people["director"], name="张晓明")
    client = api(people["civil"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/duplicates/lists/", {"district": BEIBEI}, format="json")
    assert response.status_code == 202
    listing = DuplicateList.objects.get()
    detail = client.get(f"/api/v1/duplicates/lists/{listing.pk}/")
    assert detail.data["status"] == "done" and detail.data["pair_count"] == 1
    pairs = client.get(f"/api/v1/duplicates/lists/{listing.pk}/pairs/")
    assert pairs.status_code == 200 and len(pairs.data["results"]) == 1
    other = api(people["other_civil"])
    assert other.get(f"/api/v1/duplicates/lists/{listing.pk}/").status_code == 404
    assert api(people["director"]).get("/api/v1/duplicates/lists/").status_code == 403
