"""The rules of a likely duplicate (children.duplicates) and the registration check."""

import datetime

import pytest
from django.urls import reverse

from children import duplicates
from children.models import Child, NotDuplicate
from tests.children.test_pages import registration_post
from tests.duplicates.conftest import BIRTH, no_id_child
from tests.factories import CHENGUANG, XINGCHENG, ZHIDA, child_input, make_child, make_id, region

pytestmark = pytest.mark.django_db


def found(user, **kwargs):
    kwargs.setdefault("birth_date", BIRTH)
    candidates = duplicates.likely_duplicates(user, duplicates.draft(**kwargs))
    return {c.child.pk: c.reasons for c in candidates}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("张小明", "张晓明", True),  # one character replaced
        ("张小明", "张小", True),  # one left out
        ("欧阳小明", "欧小明", True),
        ("张小明", "李晓明", False),  # two apart
        ("张小明", "张小明", False),  # the same is not "one apart"
    ],
)
def test_one_apart(a, b, expected):
    assert duplicates.one_apart(a, b) is expected


def test_same_birth_date_and_a_name_one_character_apart(people):
    director = people["director"]
    child = no_id_child(director, name="张小明")
    assert found(director, name="张晓敏") == {}  # two characters apart
    reasons = found(director, name="张晓明")[child.pk]
    assert "birth_date" in reasons and "similar_name" in reasons and "pinyin" in reasons
    assert found(director, name="张晓明", birth_date=BIRTH + datetime.timedelta(days=1)) == {}


def test_same_pinyin_other_characters(people):
    director = people["director"]
    child = no_id_child(director, name="王静")
    assert "pinyin" in found(director, name="汪婧")[child.pk]  # wangjing, two characters apart


def test_guardian_phone_with_a_mistyped_birth_date(people):
    director = people["director"]
    child = no_id_child(director, name="李小花", carer_phone="13911112222")
    other_day = BIRTH + datetime.timedelta(days=40)
    assert found(director, name="李小华", birth_date=other_day) == {}
    reasons = found(director, name="李小华", birth_date=other_day, phones=["13911112222"])
    assert {"similar_name", "guardian_phone"} <= set(reasons[child.pk])
    assert "birth_date" not in reasons[child.pk]
    # A parent's phone counts as the guardian's too.
    sibling = no_id_child(
        director, name="赵一", carer_phone="", parents={"father": {"name": "赵父",
        "status": "working_away", "phone": "13722223333", "id_number": "", "missing_since": None,
        "work_province": "", "work_city": ""}},
    )  # fmt: skip
    assert "guardian_phone" in found(director, name="赵二", phones=["13722223333"])[sibling.pk]


def test_two_valid_id_numbers_are_two_children(people):
    director = people["director"]
    child = make_child_with_id(director)
    assert found(director, name="张晓明", id_number=make_id(BIRTH)) == {}
    assert child.pk in found(director, name="张晓明")  # the draft without an ID: shown


def make_child_with_id(director):
    return make_child(director, name="张小明")


def test_a_child_in_another_district_is_never_shown(people):
    other = no_id_child(people["other_director"], CHENGUANG, name="张小明")
    mine = no_id_child(people["director"], name="张小明")
    assert set(found(people["director"], name="张小明")) == {mine.pk}
    assert set(found(people["civil"], name="张小明")) == {mine.pk}
    assert set(found(people["other_civil"], name="张小明")) == {other.pk}
    # Administrators see no children at all.
    assert found(people["sysadmin"], name="张小明") == {}


def test_the_neighbour_sees_only_her_village(people):
    no_id_child(people["director"], name="张小明")
    assert found(people["neighbour"], name="张小明", village_id=region(XINGCHENG).pk) == {}


def test_the_registration_page_lists_candidates_before_saving(people, client):
    director = people["director"]
    existing = no_id_child(director, name="李小花", birth_date=BIRTH)
    client.force_login(director)
    data = registration_post(village=region(ZHIDA).pk, name="李晓花", id_number="")
    response = client.post(reverse("children:create"), data)
    assert response.status_code == 200
    assert Child.objects.count() == 1  # nothing saved
    body = response.content.decode()
    assert 'data-testid="likely-duplicates"' in body
    assert reverse("children:detail", args=[existing.pk]) in body
    # "Not the same child": saved, and the decision recorded.
    response = client.post(reverse("children:create"), {**data, "not_duplicate_of": [existing.pk]})
    assert response.status_code == 302
    new = Child.objects.exclude(pk=existing.pk).get()
    decision = NotDuplicate.objects.get()
    assert {decision.child_id, decision.other_id} == {new.pk, existing.pk}
    assert decision.decided_by == director and decision.context == "registration"
    # The decided pair is not shown again as each other's candidate.
    assert existing.pk not in {
        c.child.pk for c in duplicates.likely_duplicates(director, duplicates.draft_of(new))
    }


def test_the_same_form_sent_again_creates_one_child(people, client):
    director = people["director"]
    existing = no_id_child(director, name="李小花", birth_date=BIRTH)
    client.force_login(director)
    data = registration_post(
        village=region(ZHIDA).pk, name="李晓花", id_number="", not_duplicate_of=[existing.pk]
    )
    assert client.post(reverse("children:create"), data).status_code == 302
    assert client.post(reverse("children:create"), data).status_code == 302
    assert Child.objects.count() == 2


def test_a_batch_is_matched_in_a_fixed_number_of_queries(people, django_assert_max_num_queries):
    director = people["director"]
    for i in range(5):
        no_id_child(director, name=f"张小{'明红刚强勇'[i]}", carer_phone=f"1390000{i:04d}")
    drafts = [
        duplicates.draft_of_input(child_input(ZHIDA, name=f"张晓{c}", id_number=""))
        for c in "明红刚强勇王李赵"
    ]
    with django_assert_max_num_queries(12):
        per_draft = duplicates.likely_duplicates_many(director, drafts)
    assert [len(c) >= 1 for c in per_draft[:5]] == [True] * 5
