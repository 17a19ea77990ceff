"""The search-as-you-type child picker (children/picker.py) used by the report and visit forms:
at most 20 children in scope, by name, pinyin, initials or ID number; a constant number of
queries; never a child out of scope; the server still validates the chosen id."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from children.models import Child
from children.picker import PICKER_LIMIT
from core import clock as app_clock
from reports.models import MandatoryReport
from tests.factories import CHENGUANG, XINGCHENG, make_child, make_id
from visits.models import Visit

PICKER = "/children/picker/"


def picked(response) -> set[int]:
    import re

    return {int(pk) for pk in re.findall(r'data-pick="(\d+)"', response.content.decode())}


def many(user, count, village, name="王小" + "明"):
    made = []
    for i in range(count):
        birth = datetime.date(2012, 1, 1) + datetime.timedelta(days=i)
        made.append(
            make_child(user, village, name=name, birth_date=birth, id_number=make_id(birth))
        )
    return made


def test_the_picker_finds_children_in_scope_by_name_pinyin_initials_and_id(people, login):
    child = make_child(people["director"], name="陈小雨")
    other = make_child(people["director"], name="李四", id_number=None)
    client = login(people["director"])
    for text in ("陈小", "chenx", "cxy", child.id_number):
        assert picked(client.get(PICKER, {"q": text})) == {child.pk}, text
    assert picked(client.get(PICKER, {"q": ""})) == {child.pk, other.pk}
    assert "陈小雨" in client.get(PICKER, {"q": "cxy"}).content.decode()


def test_children_out_of_scope_never_appear(people, login):
    mine = make_child(people["director"], name="陈小雨")
    far = make_child(people["other_director"], CHENGUANG, name="陈小雨", id_number=None)
    near = make_child(people["neighbour"], XINGCHENG, name="陈小雨", id_number=None)
    assert picked(login(people["director"]).get(PICKER, {"q": "陈小雨"})) == {mine.pk}
    assert picked(login(people["supervisor"]).get(PICKER, {"q": "cxy"})) == {mine.pk, near.pk}
    assert picked(login(people["other_civil"]).get(PICKER, {"q": "陈"})) == {far.pk}
    assert picked(login(people["nobody"]).get(PICKER, {"q": "陈"})) == set()
    assert picked(login(people["sysadmin"]).get(PICKER, {"q": "陈"})) == set()
    # By exact ID number too.
    assert picked(login(people["director"]).get(PICKER, {"q": far.id_number})) == set()


def test_at_most_twenty_and_a_constant_number_of_queries(
    people, login, django_assert_max_num_queries
):
    many(people["director"], 3, "500109110004")
    client = login(people["civil"])
    client.get(PICKER, {"q": "wxm"})  # warm the caches (content types, session)
    with django_assert_max_num_queries(10) as few:
        assert len(picked(client.get(PICKER, {"q": "wxm"}))) == 3
    many(people["director"], PICKER_LIMIT + 5, "500109110004")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(PICKER, {"q": "wxm"})
    assert len(picked(response)) == PICKER_LIMIT


def test_the_visit_picker_lists_active_children_only(people, login):
    child = make_child(people["director"], name="陈小雨")
    closed = make_child(people["director"], name="陈小雪", id_number=None)
    Child.objects.filter(pk=closed.pk).update(status="closed")
    client = login(people["director"])
    assert picked(client.get(PICKER, {"q": "陈小", "active": "1"})) == {child.pk}
    assert picked(client.get(PICKER, {"q": "陈小"})) == {child.pk, closed.pk}


@pytest.mark.parametrize("url", ["reports:create", "visits:create"])
def test_the_forms_use_the_picker_not_a_list_of_every_child(people, login, url, child):
    many(people["director"], 3, "500109110004")
    body = login(people["director"]).get(reverse(url)).content.decode()
    assert "data-picker" in body and 'hx-get="/children/picker/' in body
    assert "<select" not in body.split('name="child"')[0][-200:]  # no <select> for the child
    assert "王小明" not in body  # children are listed only as the user searches
    preset = login(people["director"]).get(reverse(url), {"child": child.pk})
    assert f'name="child" value="{child.pk}"' in preset.content.decode()


def test_a_chosen_child_out_of_scope_is_refused_by_the_server(people, login, child):
    far = make_child(people["other_director"], CHENGUANG, id_number=None)
    client = login(people["director"])
    now = timezone.localtime()
    response = client.post(
        reverse("reports:create"),
        {
            "client_uuid": str(uuid.uuid4()),
            "child": far.pk,
            "situations": ["missing"],
            "found_at": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    assert 'data-field-error="child"' in response.content.decode()
    assert not MandatoryReport.objects.exists()
    visit = client.post(
        reverse("visits:create"),
        {
            "client_uuid": str(uuid.uuid4()),
            "child": far.pk,
            "kind": "phone",
            "visit_date": app_clock.today().isoformat(),
        },
    )
    assert visit.status_code in (200, 400)
    assert 'data-field-error="child"' in visit.content.decode()
    assert not Visit.objects.exists()


def test_a_chosen_child_is_shown_by_name_after_an_error(people, login, child):
    client = login(people["director"])
    response = client.post(
        reverse("reports:create"),
        {"client_uuid": str(uuid.uuid4()), "child": child.pk, "situations": []},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert f'name="child" id="id_child" value="{child.pk}"' in body
    assert f'value="{child.name}"' in body  # the search box shows the chosen child
