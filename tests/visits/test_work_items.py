"""Compliance per town and district, follow-up and rectification items marked done, visit
corrections through the API, and the quick log-a-visit form."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core import clock as app_clock
from tests.clock import add_months
from tests.factories import JINGGUAN, TIANSHENG, XINGCHENG, ZHIDA, make_child, region
from tests.visits.conftest import log, registered
from visits import followups, inspections, selectors, services
from visits.models import FollowUp, Rectification, Visit

D = datetime.date


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def today():
    return app_clock.today()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _row(body, code, total=False):
    """The data attributes of one compliance row."""
    marker = f'data-region="{code}"' + (' data-total="1"' if total else "")
    match = re.search(re.escape(marker) + r' data-month="([^"]*)" data-quarter="([^"]*)"', body)
    assert match, (code, total)
    return match.group(1), match.group(2)


# --- compliance per town and district ---------------------------------------------------------


@pytest.fixture
def village_of_three(people):
    """3 active children in 志达社区: 2 contacted this month, 1 home-visited this quarter; and
    1 child of 兴城社区 not contacted."""
    director = people["director"]
    kids = [registered(make_child(director, name=n)) for n in ("甲", "乙", "丙")]
    log(director, kids[0], "phone", today(), today=today())
    log(director, kids[1], "home_visit", today(), today=today())
    registered(make_child(people["neighbour"], XINGCHENG, name="丁"))
    # A closed child counts nowhere.
    closed = registered(make_child(director, name="戊"))
    type(closed).objects.filter(pk=closed.pk).update(status="closed")
    return kids


def test_town_compliance_by_village_and_total(people, village_of_three):
    figures = selectors.area_compliance(people["supervisor"], region(JINGGUAN), today())
    parts = {p["region"].code: p for p in figures["parts"]}
    zhida = parts[ZHIDA]
    assert (zhida["total"], zhida["contacted"], zhida["home_visited"]) == (3, 2, 1)
    assert zhida["month_pct"] == 66.7 and zhida["quarter_pct"] == 33.3
    assert parts[XINGCHENG]["month_pct"] == 0.0
    assert figures["total"]["total"] == 4 and figures["total"]["month_pct"] == 50.0
    assert figures["total"]["quarter_pct"] == 25.0


def test_key_child_phone_contact_does_not_count(people):
    director = people["director"]
    key = registered(make_child(director, psychological_concern=True, name="李小红"))
    log(director, key, "phone", today(), today=today())
    figures = selectors.area_compliance(director, region(JINGGUAN), today())
    assert figures["total"]["contacted"] == 0 and figures["total"]["total"] == 1


def test_compliance_page_for_supervisor_and_civil_affairs(people, village_of_three, login):
    body = login(people["supervisor"]).get(reverse("visits:compliance")).content.decode()
    assert _row(body, ZHIDA) == ("66.7", "33.3")
    assert _row(body, JINGGUAN, total=True) == ("50.0", "25.0")
    assert "66.7%" in body
    body = login(people["civil"]).get(reverse("visits:compliance")).content.decode()
    assert _row(body, JINGGUAN) == ("50.0", "25.0")  # the town, as a row of the district
    assert _row(body, TIANSHENG) == ("", "")  # no children
    assert _row(body, "500109000000", total=True) == ("50.0", "25.0")
    assert reverse("visits:compliance") in body  # linked from the navigation


def test_compliance_out_of_scope(people, village_of_three, login):
    # Another district's supervisor and civil affairs see their own areas, with nothing of ours.
    for who in ("other_supervisor", "other_civil"):
        body = login(people[who]).get(reverse("visits:compliance")).content.decode()
        assert ZHIDA not in body and JINGGUAN not in body, who
        assert "(0/0)" in body
    for who in ("director", "nobody"):
        assert login(people[who]).get(reverse("visits:compliance")).status_code == 404


def test_compliance_page_query_count_does_not_grow(people, login):
    director = people["director"]
    first = registered(make_child(director, name="一"))
    log(director, first, "phone", today(), today=today())
    counts = {}
    for who in ("supervisor", "civil"):
        client = login(people[who])
        _queries(client, reverse("visits:compliance"))
        counts[who] = _queries(client, reverse("visits:compliance"))
    for i in range(6):
        child = registered(make_child(director, name=f"孩{i}"))
        log(director, child, "home_visit", today(), today=today())
        registered(make_child(people["neighbour"], XINGCHENG, name=f"邻{i}"))
    for who in ("supervisor", "civil"):
        assert _queries(login(people[who]), reverse("visits:compliance")) == counts[who], who


# --- follow-up items --------------------------------------------------------------------------


def _with_follow_ups(director, child, *dues):
    visit, _ = services.visit_record(
        by=director, child=child,
        values={"kind": "in_person", "visit_date": D(2026, 1, 5), "seen": ""},
        follow_ups=[followups.FollowUpInput(f"事项{i}", due) for i, due in enumerate(dues)],
        today=D(2026, 1, 5),
    )  # fmt: skip
    return visit


@pytest.fixture
def child(people):
    return registered(make_child(people["director"]))


def test_open_follow_ups_overdue_first_and_done_by_the_director(people, child, login):
    director = people["director"]
    far = today() + datetime.timedelta(days=30)
    _with_follow_ups(director, child, far, D(2026, 1, 10))
    client = login(director)
    body = client.get(reverse("visits:my_work")).content.decode()
    later, overdue = FollowUp.objects.get(due_on=far), FollowUp.objects.get(due_on=D(2026, 1, 10))
    assert body.index(f'data-follow-up="{overdue.pk}" data-overdue="1"') < body.index(
        f'data-follow-up="{later.pk}" data-overdue="0"'
    )
    response = client.post(
        reverse("visits:follow_up_done", args=[overdue.pk]), {"done_on": today().isoformat()}
    )
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.done and overdue.done_on == today()
    assert (
        f'data-follow-up="{overdue.pk}"'
        not in client.get(reverse("visits:my_work")).content.decode()
    )


def test_follow_up_done_is_scoped_and_gated(people, uncertified, child, login):
    _with_follow_ups(people["director"], child, D(2026, 2, 1))
    item = FollowUp.objects.get()
    url = reverse("visits:follow_up_done", args=[item.pk])
    for who in ("neighbour", "other_director", "other_civil", "nobody"):
        assert login(people[who]).post(url).status_code == 404, who
        assert api_for(people[who]).post(f"/api/v1/follow-ups/{item.pk}/done/").status_code == 404
    assert login(people["supervisor"]).post(url).status_code == 403  # in scope, not theirs
    assert login(uncertified["director"]).post(url).status_code == 403  # the training gate
    item.refresh_from_db()
    assert not item.done


def test_follow_up_done_refuses_bad_dates(people, child):
    visit = _with_follow_ups(people["director"], child, D(2026, 2, 1))
    item = visit.follow_ups.get()
    for day in (today() + datetime.timedelta(days=1), D(2026, 1, 4)):
        with pytest.raises(ValidationError) as exc:
            followups.followup_done(by=people["director"], item=item, done_on=day)
        assert "done_on" in exc.value.message_dict
    assert not FollowUp.objects.get().done


def test_follow_up_done_through_the_api(people, child):
    _with_follow_ups(people["director"], child, D(2026, 2, 1))
    item = FollowUp.objects.get()
    api = api_for(people["director"])
    bad = api.post(f"/api/v1/follow-ups/{item.pk}/done/", {"done_on": "2099-01-01"}, format="json")
    assert bad.status_code == 400 and "done_on" in bad.json()
    response = api.post(f"/api/v1/follow-ups/{item.pk}/done/", {}, format="json")
    assert response.status_code == 200 and response.json()["done"] is True
    assert response.json()["done_on"] == today().isoformat()


def test_my_work_query_count_does_not_grow_with_follow_ups(people, login):
    director = people["director"]
    client = login(director)
    first = registered(make_child(director, name="一"))
    _with_follow_ups(director, first, D(2026, 2, 1))
    _queries(client, reverse("visits:my_work"))
    before = _queries(client, reverse("visits:my_work"))
    for i in range(5):
        kid = registered(make_child(director, name=f"孩{i}"))
        _with_follow_ups(director, kid, D(2026, 2, 1), D(2026, 3, 1))
    assert _queries(client, reverse("visits:my_work")) == before


# --- rectification items ----------------------------------------------------------------------


def _inspection(supervisor, village=ZHIDA, *dues):
    inspection, _ = inspections.inspection_record(
        by=supervisor, village=region(village), inspected_on=D(2026, 1, 5), checklist={},
        rectifications=[inspections.RectificationInput(f"整改{i}", d) for i, d in enumerate(dues)],
        today=D(2026, 1, 5),
    )  # fmt: skip
    return inspection


def test_rectifications_listed_overdue_first_and_done_by_the_supervisor(people, login):
    supervisor = people["supervisor"]
    far = today() + datetime.timedelta(days=20)
    _inspection(supervisor, ZHIDA, far, D(2026, 1, 20))
    client = login(supervisor)
    body = client.get(reverse("visits:inspections")).content.decode()
    later, overdue = (
        Rectification.objects.get(due_on=far),
        Rectification.objects.get(due_on=D(2026, 1, 20)),
    )
    assert body.index(f'data-rectification="{overdue.pk}" data-overdue="1"') < body.index(
        f'data-rectification="{later.pk}" data-overdue="0"'
    )
    url = reverse("visits:rectification_done", args=[overdue.pk])
    for who in ("other_supervisor", "other_civil", "other_director", "neighbour"):
        assert login(people[who]).post(url).status_code == 404, who
    assert login(people["civil"]).post(url).status_code == 403  # sees it, does not close it
    client = login(supervisor)
    assert client.post(url, {"done_on": "2026-02-01"}).status_code == 302
    overdue.refresh_from_db()
    assert overdue.done and overdue.done_on == D(2026, 2, 1)


def test_rectification_done_is_gated(people, uncertified):
    _inspection(people["supervisor"], ZHIDA, D(2026, 2, 1))
    item = Rectification.objects.get()
    with pytest.raises(PermissionDenied):
        inspections.rectification_done(by=uncertified["supervisor"], item=item)
    with pytest.raises(ValidationError):
        inspections.rectification_done(by=people["supervisor"], item=item, done_on=D(2026, 1, 1))
    assert not Rectification.objects.get().done


def test_inspections_query_count_does_not_grow_with_rectifications(people, login):
    supervisor = people["supervisor"]
    client = login(supervisor)
    _inspection(supervisor, ZHIDA, D(2026, 2, 1))
    _queries(client, reverse("visits:inspections"))
    before = _queries(client, reverse("visits:inspections"))
    for _i in range(3):
        _inspection(supervisor, XINGCHENG, D(2026, 2, 1), D(2026, 3, 1))
    assert _queries(client, reverse("visits:inspections")) == before


# --- corrections through the API --------------------------------------------------------------


def test_api_correction_window_and_supervisor_reason(people, child):
    director, supervisor = people["director"], people["supervisor"]
    visit = log(director, child, "in_person", today(), today=today())
    url = f"/api/v1/visits/{visit.pk}/"
    response = api_for(director).patch(url, {"actions": "已联系学校"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["actions"] == "已联系学校"
    bad = api_for(director).patch(url, {"visit_date": "2099-01-01"}, format="json")
    assert bad.status_code == 400 and "visit_date" in bad.json()
    bad = api_for(director).patch(url, {"kind": "home_visit", "seen": ""}, format="json")
    assert bad.status_code == 400 and "seen" in bad.json()
    Visit.objects.filter(pk=visit.pk).update(
        created_at=app_clock.now() - datetime.timedelta(days=9)
    )
    assert api_for(director).patch(url, {"actions": "x"}, format="json").status_code == 403
    response = api_for(supervisor).patch(url, {"actions": "y"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api_for(supervisor).patch(
        url, {"kind": "home_visit", "seen": "孩子和祖母", "reason": "补充记录"}, format="json"
    )
    assert response.status_code == 200, response.json()
    child.refresh_from_db()
    assert child.next_home_visit_due == add_months(today(), 3)
    visit.refresh_from_db()
    assert visit.actions == "已联系学校" and visit.kind == "home_visit"
    assert visit.history.order_by("-history_date").first().history_change_reason == "补充记录"


def test_api_correction_out_of_scope_is_404(people, uncertified, child):
    visit = log(people["director"], child, "in_person", today(), today=today())
    for who in ("neighbour", "other_director", "other_civil", "nobody"):
        response = api_for(people[who]).patch(
            f"/api/v1/visits/{visit.pk}/", {"actions": "x", "reason": "r"}, format="json"
        )
        assert response.status_code == 404, who
    response = api_for(uncertified["director"]).patch(
        f"/api/v1/visits/{visit.pk}/", {"actions": "x"}, format="json"
    )
    assert response.status_code == 403
    assert Visit.objects.get().actions == ""


# --- the quick form ---------------------------------------------------------------------------


def test_form_defaults_for_a_key_child_and_link_from_my_work(people, login):
    director = people["director"]
    key = registered(make_child(director, psychological_concern=True, name="李小红"))
    plain = registered(make_child(director, name="王小明"))
    client = login(director)
    body = client.get(reverse("visits:my_work")).content.decode()
    assert f'href="{reverse("visits:create")}?child={key.pk}"' in body
    body = client.get(reverse("visits:create") + f"?child={key.pk}").content.decode()
    assert re.search(r'value="home_visit"[^>]*checked', body)
    assert f'value="{today().isoformat()}"' in body
    assert re.search(r'name="safety" value="fine"[^>]*checked', body)
    body = client.get(reverse("visits:create") + f"?child={plain.pk}").content.decode()
    assert re.search(r'value="in_person"[^>]*checked', body)
    assert not re.search(r'value="home_visit"[^>]*checked', body)
