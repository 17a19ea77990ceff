"""Households (issue 17, part 1): the shared facts edited once and copied onto every child
with history on each, the guardianship capacity assessment, joining a family at registration
and in the roster import, pages and API, scope, bad input, query counts."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from children import household
from children.models import Child, Parent
from children.models_household import GuardianshipAssessment, Household
from core import clock as app_clock
from tests.children.test_roster import good_row, preview, workbook
from tests.factories import XINGCHENG, ZHIDA, make_child, make_id

D = datetime.date


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def family(people):
    """Three siblings of 志达社区 in one household (the first registered alone, the others
    joining it)."""
    director = people["director"]
    first = make_child(director, name="王大宝", birth_date=D(2012, 5, 1))
    home = household.household_of(by=director, child=first)
    others = [
        make_child(director, name=name, birth_date=born, carer_phone="13900009999")
        for name, born in (("王二宝", D(2014, 6, 2)), ("王小宝", D(2016, 7, 3)))
    ]
    for child in others:
        household.household_join(by=director, child=child, household=home)
    home.refresh_from_db()
    return home, [first, *others]


def test_a_household_is_formed_from_a_child_and_siblings_take_its_facts(people, family):
    home, children = family
    assert home.region_code == ZHIDA
    assert Child.objects.filter(household=home).count() == 3
    for child in children:
        child.refresh_from_db()
        # The sibling registered with another carer's phone now has the household's.
        assert child.carer_phone == home.carer_phone == "13900001111"
        assert child.address == home.address
        assert sorted(child.parents.values_list("relation", flat=True)) == ["father", "mother"]


def test_editing_the_household_changes_every_child_with_history_on_each(people, family):
    home, children = family
    before = {c.pk: c.history.count() for c in children}
    father_before = {c.pk: c.parents.get(relation="father").history.count() for c in children}
    results = household.household_save(
        by=people["director"],
        household=home,
        fields={"carer_name": "王奶奶", "carer_phone": "13911112222", "address": "志达社区5组"},
        parents={
            "father": {**household.household_parents(home)["father"], "phone": "13700003333"},
            "mother": household.household_parents(home)["mother"],
        },
        reason="祖父去世，由祖母照料",
    )
    assert [r.changed for r in results] == [True, True, True]
    home.refresh_from_db()
    assert (home.carer_name, home.carer_phone, home.address) == (
        "王奶奶",
        "13911112222",
        "志达社区5组",
    )
    for child in children:
        child.refresh_from_db()
        assert (child.carer_name, child.carer_phone, child.address) == (
            "王奶奶",
            "13911112222",
            "志达社区5组",
        )
        assert child.history.count() == before[child.pk] + 1
        latest = child.history.latest("history_id")
        assert latest.history_user == people["director"]
        assert latest.history_change_reason == "祖父去世，由祖母照料"
        father = child.parents.get(relation="father")
        assert father.phone == "13700003333"
        assert father.history.count() == father_before[child.pk] + 1


def test_a_parent_left_out_is_removed_from_every_child(people, family):
    home, children = family
    household.household_save(
        by=people["director"],
        household=home,
        fields={},
        parents={"father": household.household_parents(home)["father"]},
    )
    assert not Parent.objects.filter(child__in=children, relation="mother").exists()
    home.refresh_from_db()
    assert set(home.parents) == {"father"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"carer_phone": "12345"}, "carer_phone"),
        ({"guardian_type": "grandparents", "carer_name": ""}, "carer_name"),
        ({"entrustment_signed_on": D(2099, 1, 1)}, "entrustment_signed_on"),
        ({"address": "  "}, "address"),
    ],
)
def test_bad_household_values_save_nothing(people, family, fields, field):
    home, _children = family
    history = Child.history.count()
    with pytest.raises(ValidationError) as exc:
        household.household_save(by=people["director"], household=home, fields=fields)
    assert field in exc.value.message_dict
    assert Child.history.count() == history
    home.refresh_from_db()
    assert home.carer_phone == "13900001111"
    assert set(Child.objects.filter(household=home).values_list("carer_phone", flat=True)) == {
        "13900001111"
    }


def test_a_child_of_another_village_cannot_join(people, family):
    home, _children = family
    civil = people["civil"]
    other = make_child(civil, XINGCHENG, name="外村孩子")
    with pytest.raises(ValidationError) as exc:
        household.household_join(by=civil, child=other, household=home)
    assert "household" in exc.value.message_dict
    assert Child.objects.get(pk=other.pk).household_id is None


# --- The guardianship capacity assessment ------------------------------------------------------

ALL_ADEQUATE = dict.fromkeys(("health", "time", "economy", "upbringing", "home"), "adequate")


@pytest.mark.parametrize(
    ("ratings", "result"),
    [
        (ALL_ADEQUATE, "capable"),
        ({**ALL_ADEQUATE, "economy": "partly"}, "capable"),
        ({**ALL_ADEQUATE, "economy": "partly", "time": "partly"}, "limited"),
        ({**ALL_ADEQUATE, "home": "inadequate"}, "limited"),
        ({**ALL_ADEQUATE, "home": "inadequate", "health": "inadequate"}, "incapable"),
        (dict.fromkeys(ALL_ADEQUATE, "partly"), "limited"),
        ({**dict.fromkeys(ALL_ADEQUATE, "partly"), "time": "inadequate"}, "incapable"),
    ],
)
def test_the_capacity_result_follows_the_ratings(ratings, result):
    assert household.capacity_result(ratings) == result


def test_an_assessment_is_dated_shown_on_each_child_and_stored_once(people, family, client):
    home, children = family
    token = uuid.uuid4()
    values = {
        **ALL_ADEQUATE,
        "time": "inadequate",
        "assessed_on": app_clock.today(),
        "note": "祖父年迈",
    }
    first, created = household.assessment_record(
        by=people["director"], household=home, values=values, client_token=token
    )
    again, created_again = household.assessment_record(
        by=people["director"], household=home, values=values, client_token=token
    )
    assert created and not created_again and again.pk == first.pk
    assert GuardianshipAssessment.objects.count() == 1
    home.refresh_from_db()
    assert (home.capacity_result, home.capacity_assessed_on) == ("limited", app_clock.today())
    client.force_login(people["director"])
    for child in children:
        page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
        assert 'data-testid="capacity-result"' in page
        assert "监护能力较弱" in page


def test_bad_assessments_are_refused_on_the_field(people, family, client):
    home, _children = family
    with pytest.raises(ValidationError) as exc:
        household.assessment_record(
            by=people["director"],
            household=home,
            values={**ALL_ADEQUATE, "health": "great", "assessed_on": D(2099, 1, 1)},
        )
    assert {"health", "assessed_on"} <= set(exc.value.message_dict)
    client.force_login(people["director"])
    response = client.post(
        reverse("children:household_assessment", args=[home.pk]),
        {"client_token": str(uuid.uuid4()), "assessed_on": "2099-01-01", **ALL_ADEQUATE},
    )
    assert response.status_code == 400
    assert 'data-field-error="assessed_on"' in response.content.decode()
    assert not GuardianshipAssessment.objects.exists()


# --- Pages -----------------------------------------------------------------------------------


def test_the_household_page_lists_members_in_a_fixed_number_of_queries(
    people, family, client, django_assert_max_num_queries
):
    home, children = family
    client.force_login(people["director"])
    url = reverse("children:household", args=[home.pk])
    client.get(url)  # warm the session and scope caches
    with django_assert_max_num_queries(14):
        response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert all(f'data-member="{c.pk}"' in page for c in children)
    more = make_child(people["director"], name="王幺妹", birth_date=D(2018, 1, 1))
    household.household_join(by=people["director"], child=more, household=home)
    with django_assert_max_num_queries(14):
        assert f'data-member="{more.pk}"' in client.get(url).content.decode()


def test_the_household_edit_page_changes_every_child(people, family, client):
    home, _children = family
    client.force_login(people["director"])
    url = reverse("children:household_edit", args=[home.pk])
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(carer_name="王奶奶", reason="换人照料")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(Child.objects.filter(household=home).values_list("carer_name", flat=True)) == {
        "王奶奶"
    }
    bad = client.post(url, {**data, "carer_phone": "123"})
    assert bad.status_code == 400
    assert 'data-field-error="carer_phone"' in bad.content.decode()


def test_outsiders_get_404(people, family, client):
    home, _children = family
    for name in ("neighbour", "other_director", "other_civil"):
        client.force_login(people[name])
        for url in (
            reverse("children:household", args=[home.pk]),
            reverse("children:household_edit", args=[home.pk]),
            reverse("children:household_assessment", args=[home.pk]),
        ):
            assert client.get(url).status_code == 404, (name, url)
        api = api_for(people[name])
        assert api.get(f"/api/v1/households/{home.pk}/").status_code == 404
        assert api.patch(f"/api/v1/households/{home.pk}/", {"carer_name": "x"}).status_code == 404
        assert api.get("/api/v1/households/").json()["results"] == []
    for name in ("sysadmin", "secadmin", "auditadmin"):
        client.force_login(people[name])
        assert client.get(reverse("children:household", args=[home.pk])).status_code in (403, 404)


# --- Registration into a family ---------------------------------------------------------------


def _registration_post(client, initial, **extra):
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    data.update(
        {
            "client_token": str(uuid.uuid4()),
            "name": "王三宝",
            "gender": "F",
            "birth_date": "2019-09-09",
            "id_number": make_id(D(2019, 9, 9), "F"),
            "hukou_address": "重庆市北碚区静观镇",
            "hukou_registered": "on",
            "categories": ["rural_left_behind"],
            "schooling": "kindergarten",
            "health": "healthy",
            "ethnicity": "01",
        }
    )
    data.update(extra)
    return client.post(reverse("children:create"), data)


def test_registration_finds_the_family_by_phone_and_joins_it(people, family, client):
    home, _children = family
    client.force_login(people["director"])
    found = client.get(reverse("children:family_find"), {"q": "13800002222"})
    assert f"household={home.pk}" in found.content.decode()
    page = client.get(reverse("children:create"), {"household": home.pk})
    assert 'data-testid="joining-household"' in page.content.decode()
    response = _registration_post(client, page.context["form"].initial, household=home.pk)
    assert response.status_code == 302, response.context["form"].errors
    child = Child.objects.get(name="王三宝")
    assert child.household_id == home.pk
    assert child.carer_phone == home.carer_phone
    assert child.parents.count() == 2


def test_registration_with_a_sibling_forms_the_household(people, client):
    director = people["director"]
    alone = make_child(director, name="赵大", birth_date=D(2013, 1, 1))
    client.force_login(director)
    found = client.get(reverse("children:family_find"), {"q": "张建国"})  # the father's name
    assert f"sibling={alone.pk}" in found.content.decode()
    page = client.get(reverse("children:create"), {"sibling": alone.pk})
    response = _registration_post(client, page.context["form"].initial, sibling=alone.pk)
    assert response.status_code == 302, response.context["form"].errors
    alone.refresh_from_db()
    child = Child.objects.get(name="王三宝")
    assert alone.household_id is not None and child.household_id == alone.household_id


def test_an_outsider_cannot_register_into_a_household(people, family, client):
    home, _children = family
    client.force_login(people["neighbour"])
    assert client.get(reverse("children:create"), {"household": home.pk}).status_code == 404
    client.force_login(people["other_director"])
    found = client.get(reverse("children:family_find"), {"q": "13800002222"})
    assert f"household={home.pk}" not in found.content.decode()


# --- The roster import -----------------------------------------------------------------------


def test_the_roster_dry_run_and_import_attach_new_children_to_the_family(people, family, client):
    home, _children = family
    client.force_login(people["civil"])
    row = good_row(
        name="王四宝",
        id_number=make_id(D(2017, 2, 2), "M"),
        birth_date="2017-02-02",
        carer_phone="13900001111",
        carer_name="王爷爷",
    )
    record = preview(client, workbook([row]))
    assert record.errors == []
    assert any("王大宝" in w["message"] for w in record.warnings), record.warnings
    assert not Child.objects.filter(name="王四宝").exists()  # a dry run saves nothing
    response = client.post(reverse("children:import_commit", args=[record.pk]))
    assert response.status_code == 302
    child = Child.objects.get(name="王四宝")
    assert child.household_id == home.pk
    assert child.carer_name == home.carer_name  # the household's facts, not the row's


# --- API --------------------------------------------------------------------------------------


def test_the_api_reads_updates_and_assesses_a_household(
    people, family, django_assert_max_num_queries
):
    home, _children = family
    api = api_for(people["director"])
    api.get("/api/v1/households/")
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/households/", {"q": "13800002222"}).json()
    assert [h["id"] for h in listed["results"]] == [home.pk]
    assert len(listed["results"][0]["members"]) == 3
    read = api.get(f"/api/v1/households/{home.pk}/").json()
    assert {p["relation"] for p in read["parents"]} == {"father", "mother"}

    bad = api.patch(
        f"/api/v1/households/{home.pk}/",
        {"carer_phone": "123", "guardian_type": "x"},
        format="json",
    )
    assert bad.status_code == 400
    assert {"carer_phone", "guardian_type"} & set(bad.json())
    ok = api.patch(f"/api/v1/households/{home.pk}/", {"carer_name": "王奶奶"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert set(Child.objects.filter(household=home).values_list("carer_name", flat=True)) == {
        "王奶奶"
    }

    token = str(uuid.uuid4())
    body = {**ALL_ADEQUATE, "assessed_on": app_clock.today().isoformat(), "client_token": token}
    first = api.post(f"/api/v1/households/{home.pk}/assessments/", body, format="json")
    again = api.post(f"/api/v1/households/{home.pk}/assessments/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["result"] == "capable"
    assert GuardianshipAssessment.objects.count() == 1
    refused = api.post(
        f"/api/v1/households/{home.pk}/assessments/", {"assessed_on": "x"}, format="json"
    )
    assert refused.status_code == 400 and "assessed_on" in refused.json()


def test_the_api_joins_a_registered_child(people, family):
    home, _children = family
    director = people["director"]
    child = make_child(director, name="王五宝", birth_date=D(2020, 2, 2), carer_phone="13900007777")
    response = api_for(director).post(
        f"/api/v1/households/{home.pk}/members/", {"child": child.pk}, format="json"
    )
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.household_id == home.pk and child.carer_phone == home.carer_phone
    outsider = api_for(people["neighbour"]).post(
        f"/api/v1/households/{home.pk}/members/", {"child": child.pk}, format="json"
    )
    assert outsider.status_code == 404


def test_household_models_are_unrelated_to_other_villages(people, family):
    assert Household.objects.visible_to(people["neighbour"]).count() == 0
    assert Household.objects.visible_to(people["director"]).count() == 1
