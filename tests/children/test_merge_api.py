"""Editing a child from an older version (issue 14, children.merge): PATCH with
`base_version` applies the fields nobody else changed and answers 409 with the others."""

import datetime

import pytest
from rest_framework.test import APIClient

from children.models import Child
from tests.factories import CHENGUANG, ZHIDA, make_child, make_id

BIRTH = datetime.date(2015, 3, 8)


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(child):
    return f"/api/v1/children/{child.pk}/"


@pytest.fixture
def child(people):
    return make_child(people["director"], ZHIDA, name="张小明")


def version_of(client, child):
    response = client.get(url(child))
    assert response.status_code == 200, response.json()
    return response.json()["version"]


def test_the_issue_scenario(people, child):
    """Civil affairs changes the carer's phone; the director, from the old version, changes
    the same phone and the school: the school is applied, the phone offered side by side;
    her choice, sent from the new version, is applied and recorded in history."""
    director, civil = api_for(people["director"]), api_for(people["civil"])
    cached = version_of(director, child)

    office = civil.patch(url(child), {"carer_phone": "13911112222"}, format="json")
    assert office.status_code == 200, office.json()
    assert office.json()["version"] != cached

    phone = director.patch(
        url(child),
        {"base_version": cached, "carer_phone": "13933334444", "school_name": "静观镇中学"},
        format="json",
    )
    assert phone.status_code == 409, phone.json()
    body = phone.json()
    assert body["detail"]
    assert body["applied"] == ["school_name"]
    conflict = body["conflicts"]["carer_phone"]
    assert conflict["yours"] == "13933334444"
    assert conflict["theirs"] == "13911112222"
    assert conflict["base"] == "13900001111"
    assert conflict["changed_by"] == people["civil"].real_name
    assert datetime.datetime.fromisoformat(conflict["changed_at"])
    assert set(body["conflicts"]) == {"carer_phone"}
    child.refresh_from_db()
    assert (child.school_name, child.carer_phone) == ("静观镇中学", "13911112222")
    assert body["version"] == version_of(director, child)

    chosen = director.patch(
        url(child), {"base_version": body["version"], "carer_phone": "13933334444"}, format="json"
    )
    assert chosen.status_code == 200, chosen.json()
    assert chosen.json()["carer_phone"] == "13933334444"
    assert chosen.json()["version"] > body["version"]
    latest = Child.history.filter(id=child.pk).order_by("-history_id").first()
    assert latest.carer_phone == "13933334444"
    assert latest.history_user == people["director"]
    assert latest.history_id == chosen.json()["version"]


def test_no_conflict_applies_everything(people, child):
    director = api_for(people["director"])
    cached = version_of(director, child)
    api_for(people["civil"]).patch(url(child), {"grade": "六年级"}, format="json")
    response = director.patch(
        url(child),
        {"base_version": cached, "carer_phone": "13933334444", "school_name": "静观镇中学"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    child.refresh_from_db()
    assert (child.carer_phone, child.school_name, child.grade) == (
        "13933334444",
        "静观镇中学",
        "六年级",
    )
    assert sorted(response.json()["applied"]) == ["carer_phone", "school_name"]


def test_the_same_value_on_both_sides_is_no_conflict(people, child):
    director = api_for(people["director"])
    cached = version_of(director, child)
    api_for(people["civil"]).patch(url(child), {"carer_phone": "13933334444"}, format="json")
    response = director.patch(
        url(child), {"base_version": cached, "carer_phone": "13933334444"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["carer_phone"] == "13933334444"


def test_a_field_the_phone_left_alone_keeps_the_servers_value(people, child):
    """The phone sends its whole form: a field at its base value does not undo the
    server's change."""
    director = api_for(people["director"])
    cached = version_of(director, child)
    api_for(people["civil"]).patch(url(child), {"carer_phone": "13911112222"}, format="json")
    response = director.patch(
        url(child),
        {"base_version": cached, "carer_phone": "13900001111", "school_name": "静观镇中学"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["kept"] == ["carer_phone"]
    child.refresh_from_db()
    assert (child.carer_phone, child.school_name) == ("13911112222", "静观镇中学")


def test_bad_input_from_a_base_version_saves_nothing(people, child):
    director = api_for(people["director"])
    cached = version_of(director, child)
    before = Child.history.filter(id=child.pk).count()
    response = director.patch(
        url(child),
        {"base_version": cached, "carer_phone": "12", "school_name": "静观镇中学"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"carer_phone"}
    child.refresh_from_db()
    assert child.school_name == "静观镇中心小学"
    assert Child.history.filter(id=child.pk).count() == before


def test_a_bad_value_is_refused_even_in_a_conflicting_field(people, child):
    director = api_for(people["director"])
    cached = version_of(director, child)
    api_for(people["civil"]).patch(url(child), {"carer_phone": "13911112222"}, format="json")
    response = director.patch(
        url(child),
        {"base_version": cached, "carer_phone": "12", "school_name": "静观镇中学"},
        format="json",
    )
    assert response.status_code == 400
    assert "carer_phone" in response.json()
    child.refresh_from_db()
    assert child.school_name == "静观镇中心小学"


def test_an_unknown_base_version_is_a_400(people, child):
    other = make_child(people["director"], ZHIDA, name="王小虎", id_number=make_id(BIRTH, "M"))
    director = api_for(people["director"])
    for version in (version_of(director, other), 10**9):
        response = director.patch(
            url(child), {"base_version": version, "school_name": "静观镇中学"}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()) == ["base_version"]
    child.refresh_from_db()
    assert child.school_name == "静观镇中心小学"


def test_outside_the_scope_is_a_404(people, child):
    cached = version_of(api_for(people["director"]), child)
    for name in ("other_director", "other_civil", "neighbour"):
        response = api_for(people[name]).patch(
            url(child), {"base_version": cached, "school_name": "某中学"}, format="json"
        )
        assert response.status_code == 404, name
    elsewhere = make_child(
        people["other_civil"],
        CHENGUANG,
        name="杨小兰",
        gender="F",
        id_number=make_id(BIRTH, "F", area="500241"),
    )
    response = api_for(people["director"]).patch(
        url(elsewhere), {"base_version": 1, "school_name": "某中学"}, format="json"
    )
    assert response.status_code == 404


def test_without_base_version_the_last_write_wins_as_before(people, child):
    director = api_for(people["director"])
    api_for(people["civil"]).patch(url(child), {"carer_phone": "13911112222"}, format="json")
    response = director.patch(url(child), {"carer_phone": "13933334444"}, format="json")
    assert response.status_code == 200
    assert response.json()["carer_phone"] == "13933334444"
    assert "applied" not in response.json()


def test_categories_and_village_merge_too(people, child):
    director = api_for(people["director"])
    cached = version_of(director, child)
    api_for(people["civil"]).patch(
        url(child), {"categories": ["rural_left_behind", "poverty"]}, format="json"
    )
    response = director.patch(
        url(child), {"base_version": cached, "categories": ["single_parent"]}, format="json"
    )
    assert response.status_code == 409, response.json()
    conflict = response.json()["conflicts"]["categories"]
    assert conflict["base"] == ["rural_left_behind"]
    assert conflict["theirs"] == sorted(["rural_left_behind", "poverty"])
    assert conflict["yours"] == ["single_parent"]
