"""A follow-up item added to a saved visit, from its page or the API: the visit's author or the
child's director; scoped; bad input refused with nothing saved."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from children.models import Child
from tests.factories import make_child
from tests.visits.conftest import registered
from tests.visits.test_work_items import _with_follow_ups, api_for
from visits.models import FollowUp

D = datetime.date
OUTSIDERS = ("neighbour", "other_director", "other_supervisor", "other_civil", "nobody")


@pytest.fixture
def visit(people):
    child = registered(make_child(people["director"]))
    return _with_follow_ups(people["director"], child)  # on 2026-01-05, no items


def test_the_director_adds_a_follow_up_from_the_visit_page(people, visit, login):
    client = login(people["director"])
    url = reverse("visits:detail", args=[visit.pk])
    body = client.get(url).content.decode()
    assert f'action="{reverse("visits:follow_up_add", args=[visit.pk])}"' in body
    response = client.post(
        reverse("visits:follow_up_add", args=[visit.pk]),
        {"text": "三天后回访", "due_on": "2026-01-08", "urgent": "on"},
    )
    assert response.status_code == 302 and response["Location"] == url
    item = FollowUp.objects.get()
    assert (item.visit, item.text, item.due_on, item.urgent) == (
        visit,
        "三天后回访",
        D(2026, 1, 8),
        True,
    )
    body = client.get(url).content.decode()
    assert "三天后回访" in body and f'data-follow-up="{item.pk}"' in body
    assert item.history.get().history_user == people["director"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "", "due_on": "2026-01-08"}, "text", "This field is required."),
        ({"text": "x", "due_on": ""}, "due_on", "This field is required."),
        ({"text": "x", "due_on": "2026-02-31"}, "due_on", "Give a date as YYYY-MM-DD."),
        (
            {"text": "x", "due_on": "2026-01-04"},
            "due_on",
            "A follow-up cannot be due before the visit.",
        ),
        ({"text": "x" * 301, "due_on": "2026-01-08"}, "text", "300"),
    ],
)
def test_bad_input_gets_a_message_on_the_field(people, visit, login, data, field, message):
    client = login(people["director"])
    response = client.post(
        reverse("visits:follow_up_add", args=[visit.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["follow_up_form"].errors[field])
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not FollowUp.objects.exists()


def test_closed_archive_gets_no_new_item(people, visit, login):
    Child.objects.filter(pk=visit.child_id).update(status="closed")
    response = login(people["director"]).post(
        reverse("visits:follow_up_add", args=[visit.pk]),
        {"text": "x", "due_on": "2026-01-08"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "This archive is closed" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_out_of_scope_is_404_and_others_are_refused(people, uncertified, visit, login):
    url = reverse("visits:follow_up_add", args=[visit.pk])
    api_url = f"/api/v1/visits/{visit.pk}/follow-ups/"
    data = {"text": "x", "due_on": "2026-01-08"}
    for who in OUTSIDERS:
        assert login(people[who]).post(url, data).status_code == 404, who
        assert api_for(people[who]).post(api_url, data, format="json").status_code == 404, who
    for user in (people["supervisor"], people["civil"], uncertified["director"]):
        assert login(user).post(url, data).status_code == 403
        assert api_for(user).post(api_url, data, format="json").status_code == 403
        assert (
            'data-testid="add-follow-up"'
            not in login(user).get(reverse("visits:detail", args=[visit.pk])).content.decode()
        )
    assert login(people["director"]).get(url).status_code == 405
    assert not FollowUp.objects.exists()


def test_api_adds_a_follow_up(people, visit):
    api = api_for(people["director"])
    url = f"/api/v1/visits/{visit.pk}/follow-ups/"
    bad = api.post(url, {"text": "回访", "due_on": "2026-01-01"}, format="json")
    assert bad.status_code == 400 and "due_on" in bad.json()
    bad = api.post(url, {"due_on": "2026-01-08"}, format="json")
    assert bad.status_code == 400 and "text" in bad.json()
    assert not FollowUp.objects.exists()
    response = api.post(url, {"text": "回访", "due_on": "2026-01-08"}, format="json")
    assert response.status_code == 201
    assert response.json()["text"] == "回访" and response.json()["done"] is False
    detail = api.get(f"/api/v1/visits/{visit.pk}/").json()
    assert [f["text"] for f in detail["follow_ups"]] == ["回访"]
