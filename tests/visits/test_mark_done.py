"""Marking follow-up items (visit page) and rectification items (inspection page) done: with a
date and a note, POST only with CSRF, scoped, idempotent, through htmx or a plain form; and the
rectification API (/api/v1/rectifications/)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from core import clock as app_clock
from tests.factories import CHENGUANG, XINGCHENG, ZHIDA, make_child, region
from tests.signin import Client
from tests.visits.conftest import registered
from tests.visits.test_work_items import _inspection, _queries, _with_follow_ups, api_for
from visits.models import FollowUp, Rectification

D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}
OUTSIDERS = ("neighbour", "other_director", "other_supervisor", "other_civil", "nobody")


def today():
    return app_clock.today()


@pytest.fixture
def child(people):
    return registered(make_child(people["director"]))


@pytest.fixture
def visit(people, child):
    return _with_follow_ups(people["director"], child, D(2026, 2, 1), D(2026, 3, 1))


@pytest.fixture
def inspection(people):
    return _inspection(people["supervisor"], ZHIDA, D(2026, 2, 1), D(2026, 3, 1))


def done_url(item):
    name = "follow_up_done" if isinstance(item, FollowUp) else "rectification_done"
    return reverse(f"visits:{name}", args=[item.pk])


# --- follow-up items on the visit page --------------------------------------------------------


def test_the_director_marks_a_follow_up_done_from_the_visit_page(people, visit, login):
    client = login(people["director"])
    page_url = reverse("visits:detail", args=[visit.pk])
    first, second = visit.follow_ups.order_by("due_on")
    body = client.get(page_url).content.decode()
    assert f'action="{done_url(first)}"' in body and f'action="{done_url(second)}"' in body
    assert f'hx-post="{done_url(first)}"' in body and 'name="csrfmiddlewaretoken"' in body
    response = client.post(
        done_url(first), {"done_on": "2026-02-03", "done_note": "已联系学校", "next": page_url}
    )
    assert response.status_code == 302 and response["Location"] == page_url
    first.refresh_from_db()
    assert (first.done, first.done_on, first.done_note, first.done_by) == (
        True,
        D(2026, 2, 3),
        "已联系学校",
        people["director"],
    )
    body = client.get(page_url).content.decode()
    assert f'action="{done_url(first)}"' not in body  # done: no button any more
    assert f'action="{done_url(second)}"' in body
    assert "已联系学校" in body and f'data-follow-up="{first.pk}"' in body
    assert first.history.filter(history_user=people["director"], done=True).count() == 1


def test_marking_done_twice_is_marking_done_once(people, visit, login):
    item = visit.follow_ups.order_by("due_on").first()
    client = login(people["director"])
    client.post(done_url(item), {"done_on": "2026-02-03", "done_note": "第一次"})
    again = client.post(done_url(item), {"done_on": "2026-02-09", "done_note": "第二次"})
    assert again.status_code == 302
    item.refresh_from_db()
    assert (item.done_on, item.done_note) == (D(2026, 2, 3), "第一次")
    assert item.history.filter(done=True).count() == 1
    api = api_for(people["director"]).post(
        f"/api/v1/follow-ups/{item.pk}/done/", {"done_note": "第三次"}, format="json"
    )
    assert api.status_code == 200 and api.json()["done_note"] == "第一次"


def test_htmx_gets_the_row_back(people, visit, login):
    item = visit.follow_ups.order_by("due_on").first()
    client = login(people["director"])
    response = client.post(done_url(item), {"done_note": "已解决"}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<li") and f'data-follow-up="{item.pk}"' in body
    assert 'data-done="1"' in body and "已解决" in body and "<html" not in body
    item.refresh_from_db()
    assert item.done and item.done_on == today()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"done_on": "2026-13-45"}, "Give a date as YYYY-MM-DD."),
        ({"done_on": "2099-01-01"}, "This date cannot be in the future."),
        ({"done_on": "2026-01-04"}, "An item cannot be done before it was set (2026-01-05)."),
        ({"done_note": "x" * 301}, "300"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(people, visit, login, data, message):
    item = visit.follow_ups.order_by("due_on").first()
    client = login(people["director"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the English msgids
    page_url = reverse("visits:detail", args=[visit.pk])
    response = client.post(done_url(item), {**data, "next": page_url}, follow=True)
    assert response.redirect_chain[-1][0] == page_url
    assert message in response.content.decode()
    htmx = client.post(done_url(item), data, **HTMX)
    assert htmx.status_code == 200
    assert message in htmx.content.decode() and 'data-done="0"' in htmx.content.decode()
    assert 'data-field-error="done"' in htmx.content.decode()
    item.refresh_from_db()
    assert not item.done and item.done_on is None and item.done_note == ""


def test_post_only_with_csrf_and_no_open_redirect(people, visit, login):
    item = visit.follow_ups.order_by("due_on").first()
    client = login(people["director"])
    assert client.get(done_url(item)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["director"])
    assert strict.post(done_url(item), {"done_note": "x"}).status_code == 403
    item.refresh_from_db()
    assert not item.done
    response = client.post(done_url(item), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("visits:my_work")


def test_follow_ups_out_of_scope_are_404_and_others_see_no_button(people, visit, login):
    item = visit.follow_ups.order_by("due_on").first()
    page_url = reverse("visits:detail", args=[visit.pk])
    for who in OUTSIDERS:
        client = login(people[who])
        assert client.get(page_url).status_code == 404, who
        assert client.post(done_url(item), {"done_note": "x"}).status_code == 404, who
        assert client.post(done_url(item), **HTMX).status_code == 404, who
        api = api_for(people[who]).post(f"/api/v1/follow-ups/{item.pk}/done/", {})
        assert api.status_code == 404, who
    # The town supervisor reads the visit but does not close its items.
    client = login(people["supervisor"])
    body = client.get(page_url).content.decode()
    assert "Mark done" not in body and 'name="done_note"' not in body
    assert client.post(done_url(item)).status_code == 403
    item.refresh_from_db()
    assert not item.done


def test_visit_page_query_count_does_not_grow_with_items(people, child, login):
    director = people["director"]
    client = login(director)
    visit = _with_follow_ups(director, child, D(2026, 2, 1))
    url = reverse("visits:detail", args=[visit.pk])
    _queries(client, url)
    before = _queries(client, url)
    more = _with_follow_ups(director, child, *[D(2026, 2, day) for day in range(1, 9)])
    for item in more.follow_ups.all()[:4]:
        client.post(done_url(item), {"done_note": "好"})
    url = reverse("visits:detail", args=[more.pk])
    assert _queries(client, url) == before


# --- rectification items on the inspection page -----------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "director"])
def test_supervisor_or_the_villages_director_marks_a_rectification_done(
    people, inspection, login, who
):
    client = login(people[who])
    page_url = reverse("visits:inspection_detail", args=[inspection.pk])
    item = inspection.rectifications.order_by("due_on").first()
    body = client.get(page_url).content.decode()
    assert f'action="{done_url(item)}"' in body and f'hx-post="{done_url(item)}"' in body
    response = client.post(
        done_url(item), {"done_on": "2026-01-20", "done_note": "已整改", "next": page_url}
    )
    assert response.status_code == 302 and response["Location"] == page_url
    item.refresh_from_db()
    assert (item.done, item.done_on, item.done_note, item.done_by) == (
        True,
        D(2026, 1, 20),
        "已整改",
        people[who],
    )
    body = client.get(page_url).content.decode()
    assert f'action="{done_url(item)}"' not in body and "已整改" in body
    again = client.post(done_url(item), {"done_on": "2026-01-25", "done_note": "再次"}, **HTMX)
    assert again.status_code == 200 and 'data-done="1"' in again.content.decode()
    item.refresh_from_db()
    assert (item.done_on, item.done_note) == (D(2026, 1, 20), "已整改")


def test_rectifications_out_of_scope_and_refusals(people, uncertified, inspection, login):
    item = inspection.rectifications.order_by("due_on").first()
    page_url = reverse("visits:inspection_detail", args=[inspection.pk])
    for who in OUTSIDERS:
        client = login(people[who])
        assert client.get(page_url).status_code == 404, who
        assert client.post(done_url(item)).status_code == 404, who
    client = login(people["civil"])  # reads it, does not close it
    assert 'name="done_note"' not in client.get(page_url).content.decode()
    assert client.post(done_url(item)).status_code == 403
    client = login(uncertified["director"])  # the training gate
    assert 'name="done_note"' not in client.get(page_url).content.decode()
    assert client.post(done_url(item)).status_code == 403
    bad = login(people["director"]).post(
        done_url(item), {"done_on": "2026-01-01"}, HTTP_ACCEPT_LANGUAGE="en", **HTMX
    )
    assert "An item cannot be done before it was set (2026-01-05)." in bad.content.decode()
    item.refresh_from_db()
    assert not item.done


def test_the_director_sees_the_villages_open_rectifications(people, inspection, login):
    _inspection(people["supervisor"], XINGCHENG, D(2026, 2, 1))
    body = login(people["director"]).get(reverse("visits:inspections")).content.decode()
    mine = inspection.rectifications.order_by("due_on").first()
    theirs = Rectification.objects.get(inspection__region_code=XINGCHENG)
    assert f'data-rectification="{mine.pk}"' in body
    assert f'data-rectification="{theirs.pk}"' not in body
    assert f'action="{done_url(mine)}"' in body and 'name="in_list" value="1"' in body
    row = login(people["director"]).post(done_url(mine), {"in_list": "1"}, **HTMX)
    assert region(ZHIDA).name in row.content.decode()  # the list's row names the village


def test_inspection_page_query_count_does_not_grow_with_items(people, login):
    supervisor = people["supervisor"]
    client = login(supervisor)
    small = _inspection(supervisor, ZHIDA, D(2026, 2, 1))
    url = reverse("visits:inspection_detail", args=[small.pk])
    _queries(client, url)
    before = _queries(client, url)
    big = _inspection(supervisor, ZHIDA, *[D(2026, 2, day) for day in range(1, 9)])
    for item in big.rectifications.all()[:4]:
        client.post(done_url(item), {"done_note": "好"})
    assert _queries(client, reverse("visits:inspection_detail", args=[big.pk])) == before


# --- the rectification API --------------------------------------------------------------------


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def items(people, inspection):
    """ZHIDA: due 2026-02-01 and 2026-03-01 (both overdue today); XINGCHENG: one due in a
    month; CHENGUANG (another district): one."""
    later = today() + datetime.timedelta(days=30)
    _inspection(people["supervisor"], XINGCHENG, later)
    _inspection(people["other_supervisor"], CHENGUANG, D(2026, 2, 1))
    return {
        "zhida": set(inspection.rectifications.values_list("pk", flat=True)),
        "xingcheng": set(
            Rectification.objects.filter(inspection__region_code=XINGCHENG).values_list(
                "pk", flat=True
            )
        ),
        "chenguang": set(
            Rectification.objects.filter(inspection__region_code=CHENGUANG).values_list(
                "pk", flat=True
            )
        ),
    }


def test_api_lists_rectifications_in_scope_only(people, items):
    url = "/api/v1/rectifications/"
    ours = items["zhida"] | items["xingcheng"]
    assert ids(api_for(people["supervisor"]).get(url)) == ours
    assert ids(api_for(people["civil"]).get(url)) == ours
    assert ids(api_for(people["director"]).get(url)) == items["zhida"]
    assert ids(api_for(people["neighbour"]).get(url)) == items["xingcheng"]
    assert ids(api_for(people["other_supervisor"]).get(url)) == items["chenguang"]
    assert ids(api_for(people["nobody"]).get(url)) == set()
    row = api_for(people["director"]).get(url).json()["results"][0]
    assert row["village_code"] == ZHIDA and row["overdue"] is True and row["done"] is False
    some = next(iter(items["zhida"]))
    for who in ("neighbour", "other_supervisor", "other_civil", "nobody"):
        assert api_for(people[who]).get(f"{url}{some}/").status_code == 404, who


def test_api_filters(people, items):
    api = api_for(people["civil"])
    url = "/api/v1/rectifications/"
    assert ids(api.get(url, {"village": ZHIDA})) == items["zhida"]
    assert ids(api.get(url, {"town": ZHIDA[:9] + "000"})) == items["zhida"] | items["xingcheng"]
    assert ids(api.get(url, {"town": CHENGUANG[:9] + "000"})) == set()  # not ours: empty
    assert ids(api.get(url, {"overdue": "true"})) == items["zhida"]
    assert ids(api.get(url, {"due_before": "2026-02-02"})) == {
        Rectification.objects.get(inspection__region_code=ZHIDA, due_on=D(2026, 2, 1)).pk
    }
    first = min(items["zhida"])
    api_for(people["supervisor"]).post(f"{url}{first}/done/", {}, format="json")
    assert ids(api.get(url, {"open": "true"})) == (items["zhida"] | items["xingcheng"]) - {first}
    assert ids(api.get(url, {"open": "false"})) == {first}
    assert ids(api.get(url, {"overdue": "true"})) == items["zhida"] - {first}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"village": "abc"}, "village"),
        ({"town": "5001091100"}, "town"),
        ({"due_before": "2026-02-30"}, "due_before"),
        ({"open": "maybe"}, "open"),
    ],
)
def test_api_bad_filters_are_400(people, items, params, field):
    response = api_for(people["civil"]).get("/api/v1/rectifications/", params)
    assert response.status_code == 400 and field in response.json()


def test_api_marks_a_rectification_done(people, uncertified, items):
    item = min(items["zhida"])
    url = f"/api/v1/rectifications/{item}/done/"
    for who in ("neighbour", "other_supervisor", "other_civil", "nobody"):
        assert api_for(people[who]).post(url, {}, format="json").status_code == 404, who
    assert api_for(people["civil"]).post(url, {}, format="json").status_code == 403
    assert api_for(uncertified["supervisor"]).post(url, {}, format="json").status_code == 403
    api = api_for(people["director"])
    assert api.get(url).status_code == 405
    bad = api.post(url, {"done_on": "2099-01-01"}, format="json")
    assert bad.status_code == 400 and "done_on" in bad.json()
    bad = api.post(url, {"done_note": "x" * 301}, format="json")
    assert bad.status_code == 400 and "done_note" in bad.json()
    assert not Rectification.objects.get(pk=item).done
    response = api.post(url, {"done_on": "2026-01-20", "done_note": "已整改"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["done_on"], body["done_note"], body["done_by"]) == (
        True,
        "2026-01-20",
        "已整改",
        "director",
    )
    again = api_for(people["supervisor"]).post(url, {"done_note": "再次"}, format="json")
    assert again.status_code == 200 and again.json()["done_note"] == "已整改"


def test_api_list_query_count_does_not_grow(people, items, django_assert_max_num_queries):
    api = api_for(people["civil"])
    url = "/api/v1/rectifications/"
    api.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        api.get(url)
    for village in (ZHIDA, XINGCHENG):
        _inspection(people["supervisor"], village, *[D(2026, 2, day) for day in range(1, 6)])
    Rectification.objects.filter(pk__in=list(items["zhida"])).update(
        done=True, done_on=D(2026, 1, 20), done_by=people["director"]
    )
    with django_assert_max_num_queries(len(few)):
        assert len(api.get(url).json()["results"]) == 13


def test_the_api_is_documented(people, client):
    client.force_login(people["civil"])
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/rectifications/" in schema
    assert "/api/v1/rectifications/{id}/done/" in schema
    assert "due_before" in schema and "done_note" in schema


def test_my_work_lists_the_villages_open_rectifications(people, inspection, login):
    _inspection(people["supervisor"], XINGCHENG, D(2026, 2, 1))
    mine = inspection.rectifications.order_by("due_on").first()
    theirs = Rectification.objects.get(inspection__region_code=XINGCHENG)
    client = login(people["director"])
    body = client.get(reverse("visits:my_work")).content.decode()
    assert f'data-rectification="{mine.pk}" data-overdue="1"' in body
    assert f'data-rectification="{theirs.pk}"' not in body
    assert f'action="{done_url(mine)}"' in body
    client.post(done_url(mine), {"next": reverse("visits:my_work")})
    body = client.get(reverse("visits:my_work")).content.decode()
    assert f'data-rectification="{mine.pk}"' not in body
    # The neighbouring village's director sees their own item only; another district's none.
    body = login(people["neighbour"]).get(reverse("visits:my_work")).content.decode()
    assert f'data-rectification="{theirs.pk}"' in body
    assert f'data-rectification="{mine.pk}"' not in body
    body = login(people["other_director"]).get(reverse("visits:my_work")).content.decode()
    assert 'data-testid="rectifications"' not in body


def test_my_work_query_count_does_not_grow_with_rectifications(people, login):
    client = login(people["director"])
    _inspection(people["supervisor"], ZHIDA, D(2026, 2, 1))
    _queries(client, reverse("visits:my_work"))
    before = _queries(client, reverse("visits:my_work"))
    for _i in range(4):
        _inspection(people["supervisor"], ZHIDA, D(2026, 2, 1), D(2026, 3, 1))
    assert _queries(client, reverse("visits:my_work")) == before
