"""One home visit for a household (issue 17, part 1): one visit per child with the shared
findings and each child's own, every child's due dates moved, a retry stored once, counted
per child; the page and the API; scope and bad input."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from children import household
from children.models import Child
from core import clock as app_clock
from tests.factories import XINGCHENG, make_child
from tests.visits.conftest import registered, visit_values
from visits import selectors, services
from visits.models import Visit

D = datetime.date
AREAS = ("safety", "guardianship", "schooling", "health", "mental", "living")


@pytest.fixture
def siblings(people):
    director = people["director"]
    first = registered(make_child(director, name="王大宝", birth_date=D(2012, 5, 1)))
    home = household.household_of(by=director, child=first)
    children = [first]
    for name, born in (("王二宝", D(2014, 6, 2)), ("王小宝", D(2016, 7, 3))):
        child = registered(make_child(director, name=name, birth_date=born))
        household.household_join(by=director, child=child, household=home)
        children.append(child)
    for child in children:
        child.refresh_from_db()
    return children


def _record(user, child, others, token=None, **extra):
    today = app_clock.today()
    return services.visit_record(
        by=user,
        child=child,
        values=visit_values("home_visit", today, **extra),
        client_uuid=token or uuid.uuid4(),
        today=today,
        siblings=[services.SiblingInput(child=c) for c in others],
    )


def test_one_household_visit_makes_a_visit_per_child_and_moves_each_due_date(people, siblings):
    director = people["director"]
    today = app_clock.today()
    before = {c.pk: c.next_home_visit_due for c in siblings}
    visit, created = services.visit_record(
        by=director,
        child=siblings[0],
        values=visit_values("home_visit", today, problems="屋顶漏雨"),
        client_uuid=uuid.uuid4(),
        today=today,
        child_note="大宝成绩下降",
        siblings=[
            services.SiblingInput(child=siblings[1], concerns=("mental",), note="二宝情绪低落"),
            services.SiblingInput(child=siblings[2]),
        ],
    )
    assert created
    visits = {v.child_id: v for v in Visit.objects.filter(household_uuid=visit.household_uuid)}
    assert set(visits) == {c.pk for c in siblings}
    assert all(v.problems == "屋顶漏雨" and v.kind == "home_visit" for v in visits.values())
    assert visits[siblings[0].pk].child_note == "大宝成绩下降"
    assert (visits[siblings[1].pk].mental, visits[siblings[1].pk].child_note) == (
        "concern",
        "二宝情绪低落",
    )
    assert visits[siblings[2].pk].mental == "fine"
    for child in siblings:
        child.refresh_from_db()
        assert before[child.pk] is not None and before[child.pk] <= today  # overdue before
        assert child.next_home_visit_due > today  # each child's date moved by the visit


def test_a_retried_household_visit_is_stored_once(people, siblings):
    token = uuid.uuid4()
    first, created = _record(people["director"], siblings[0], siblings[1:], token)
    again, created_again = _record(people["director"], siblings[0], siblings[1:], token)
    assert created and not created_again and again.pk == first.pk
    assert Visit.objects.count() == 3
    assert sorted(Visit.objects.values_list("child_id", flat=True)) == sorted(
        c.pk for c in siblings
    )


def test_each_child_counts_in_compliance(people, siblings):
    village = siblings[0].village
    today = app_clock.today()
    (before,) = selectors.compliance([village], today)
    assert (before["total"], before["home_visited"]) == (3, 0)
    _record(people["director"], siblings[0], siblings[1:])
    (after,) = selectors.compliance([village], today)
    # One household visit: three children visited at home and contacted (the one rule).
    assert (after["total"], after["home_visited"], after["contacted"]) == (3, 3, 3)


@pytest.mark.parametrize("bad", ["stranger", "outsider", "twice"])
def test_a_sibling_outside_the_household_saves_nothing(people, siblings, bad):
    director = people["director"]
    if bad == "stranger":
        others = [registered(make_child(director, name="李四", carer_phone="13900005555"))]
    elif bad == "outsider":
        others = [registered(make_child(people["civil"], XINGCHENG, name="外村"))]
    else:
        others = [siblings[1], siblings[1]]
    with pytest.raises(ValidationError) as exc:
        _record(director, siblings[0], others)
    assert "siblings" in exc.value.message_dict
    assert not Visit.objects.exists()


def test_a_closed_sibling_saves_nothing(people, siblings):
    Child.objects.filter(pk=siblings[2].pk).update(status="closed")
    siblings[2].refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        _record(people["director"], siblings[0], siblings[1:])
    assert "siblings" in exc.value.message_dict
    assert not Visit.objects.exists()


def form_data(child, **extra):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "child": child.pk,
        "kind": "home_visit",
        "visit_date": app_clock.today().isoformat(),
        "seen": "孩子和祖母",
        **dict.fromkeys(AREAS, "fine"),
    }
    data.update(extra)
    return data


def test_the_visit_form_offers_the_siblings_ticked_and_stores_each(people, siblings, client):
    client.force_login(people["director"])
    url = f"{reverse('visits:create')}?child={siblings[0].pk}"
    page = client.get(url)
    form = page.context["form"]
    assert form.initial.get("also_siblings", form.fields["also_siblings"].initial) is True
    assert [s.pk for s in form.siblings] == [c.pk for c in siblings[1:]]
    data = form_data(
        siblings[0],
        also_siblings="on",
        **{f"sibling_{siblings[1].pk}": "on", f"sibling_{siblings[1].pk}_note": "二宝咳嗽"},
    )  # the third sibling unticked
    response = client.post(url, data)
    assert response.status_code == 302
    assert sorted(Visit.objects.values_list("child_id", flat=True)) == sorted(
        [siblings[0].pk, siblings[1].pk]
    )
    assert Visit.objects.get(child=siblings[1]).child_note == "二宝咳嗽"
    visit = Visit.objects.get(child=siblings[0])
    detail = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert 'data-testid="household-visits"' in detail and siblings[1].name in detail
    again = client.post(url, data)  # the same form sent again
    assert again.status_code == 302 and Visit.objects.count() == 2


def test_unticking_also_for_siblings_logs_one_visit(people, siblings, client):
    client.force_login(people["director"])
    response = client.post(reverse("visits:create"), form_data(siblings[0]))
    assert response.status_code == 302
    assert Visit.objects.count() == 1 and Visit.objects.get().household_uuid is None


def test_the_api_logs_a_household_visit_once_and_lists_it_in_fixed_queries(
    people, siblings, django_assert_max_num_queries
):
    api = APIClient()
    api.force_authenticate(people["director"])
    body = {
        "client_uuid": str(uuid.uuid4()),
        "child": siblings[0].pk,
        "kind": "home_visit",
        "visit_date": app_clock.today().isoformat(),
        "seen": "祖母",
        "siblings": [{"child": siblings[1].pk, "concerns": ["health"]}, {"child": siblings[2].pk}],
    }
    first = api.post("/api/v1/visits/", body, format="json")
    again = api.post("/api/v1/visits/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200), first.json()
    assert {v["child"] for v in first.json()["household_visits"]} == {
        siblings[1].pk,
        siblings[2].pk,
    }
    assert Visit.objects.count() == 3
    assert Visit.objects.get(child=siblings[1]).health == "concern"
    api.get("/api/v1/visits/")
    with django_assert_max_num_queries(10):
        listed = api.get("/api/v1/visits/").json()["results"]
    assert len(listed) == 3 and all(len(v["household_visits"]) == 2 for v in listed)

    bad = api.post(
        "/api/v1/visits/",
        {
            **body,
            "client_uuid": str(uuid.uuid4()),
            "siblings": [{"child": siblings[1].pk, "concerns": ["x"]}],
        },
        format="json",
    )
    assert bad.status_code == 400 and "siblings" in bad.json()
    assert Visit.objects.count() == 3


def test_an_outsider_cannot_name_the_siblings(people, siblings):
    api = APIClient()
    api.force_authenticate(people["neighbour"])
    response = api.post(
        "/api/v1/visits/",
        {
            "client_uuid": str(uuid.uuid4()),
            "child": siblings[0].pk,
            "kind": "home_visit",
            "visit_date": app_clock.today().isoformat(),
            "seen": "祖母",
            "siblings": [{"child": siblings[1].pk}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()
