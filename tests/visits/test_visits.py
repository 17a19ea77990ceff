"""Logging, correcting and listing visits; inspections; the cadence rule page: pages and API,
scope, the certification gate, bad input and query counts."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from children.models import Child
from core import clock as app_clock
from core import permissions
from tests import clock as suite_clock
from tests.factories import BEIBEI, CHENGUANG, XINGCHENG, ZHIDA, make_child, region
from tests.visits.conftest import TODAY, log, registered, visit_values
from visits import followups, inspections, services
from visits.models import FollowUp, Inspection, Visit

pytestmark = pytest.mark.calendar

D = datetime.date
AREAS = ("safety", "guardianship", "schooling", "health", "mental", "living")


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def form_data(child, **extra):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "child": child.pk,
        "kind": "home_visit",
        "visit_date": app_clock.today().isoformat(),
        "seen": "孩子和祖母",
        **dict.fromkeys(AREAS, "fine"),
    }  # fmt: skip
    data.update(extra)
    return data


# --- visit_record: bad input saves nothing ---------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"visit_date": TODAY + datetime.timedelta(days=1)}, "visit_date"),
        ({"visit_date": D(2024, 12, 31)}, "visit_date"),  # before registration (2025-01-01)
        ({"kind": "home_visit", "seen": "  "}, "seen"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_saved(people, child, values, field):
    before = (child.next_contact_due, child.next_home_visit_due)
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            by=people["director"], child=child, values={**visit_values(), **values}, today=TODAY
        )
    assert field in exc.value.message_dict
    assert not Visit.objects.exists()
    child.refresh_from_db()
    assert (child.next_contact_due, child.next_home_visit_due) == before


def test_closed_child_gets_no_visit(people, child):
    Child.objects.filter(pk=child.pk).update(status="closed")
    child.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            by=people["director"], child=child, values=visit_values(), today=TODAY
        )
    assert "child" in exc.value.message_dict
    assert not Visit.objects.exists()


def test_same_client_uuid_twice_stores_one_visit(people, child):
    token = uuid.uuid4()
    first, created = services.visit_record(
        by=people["director"], child=child, values=visit_values(), client_uuid=token, today=TODAY
    )
    again, created_again = services.visit_record(
        by=people["director"], child=child, values=visit_values(kind="phone"), client_uuid=token,
        today=TODAY,
    )  # fmt: skip
    assert created and not created_again and again.pk == first.pk
    assert Visit.objects.count() == 1


def test_danger_found_adds_an_urgent_follow_up(people, child):
    visit = log(people["director"], child, "home_visit", danger_found=True)
    follow_up = FollowUp.objects.get(visit=visit)
    assert follow_up.urgent and follow_up.due_on == TODAY


def test_follow_ups_are_saved(people, child):
    visit, _ = services.visit_record(
        by=people["director"], child=child, values=visit_values(), today=TODAY,
        follow_ups=[followups.FollowUpInput("联系学校", TODAY + datetime.timedelta(days=5))],
    )  # fmt: skip
    assert [f.text for f in visit.follow_ups.all()] == ["联系学校"]


# --- correction window ------------------------------------------------------------------------


def test_author_corrects_within_7_days_then_only_a_supervisor_with_a_reason(people, child):
    director, supervisor = people["director"], people["supervisor"]
    visit = log(director, child, "in_person", D(2026, 11, 1), today=D(2026, 11, 23))
    entered = timezone.localdate(visit.created_at)
    services.visit_correct(
        by=director, visit=visit, values={"actions": "已联系学校"},
        today=entered + datetime.timedelta(days=7),
    )  # fmt: skip
    later = entered + datetime.timedelta(days=8)
    with pytest.raises(PermissionDenied):
        services.visit_correct(by=director, visit=visit, values={"actions": "x"}, today=later)
    with pytest.raises(PermissionDenied):  # a neighbouring village's director
        services.visit_correct(by=people["neighbour"], visit=visit, values={}, reason="r")
    with pytest.raises(ValidationError) as exc:
        services.visit_correct(by=supervisor, visit=visit, values={"actions": "y"}, today=later)
    assert "reason" in exc.value.message_dict
    services.visit_correct(
        by=supervisor, visit=visit, values={"visit_date": D(2026, 10, 20)}, reason="日期录错",
        today=later,
    )  # fmt: skip
    visit.refresh_from_db()
    assert visit.actions == "已联系学校"
    history = list(visit.history.order_by("history_date"))
    assert len(history) == 3
    assert history[-1].history_change_reason == "日期录错"
    assert history[0].actions == ""
    child.refresh_from_db()
    assert child.next_contact_due == D(2026, 11, 20)  # recomputed from the corrected date


# --- pages ----------------------------------------------------------------------------------


def test_log_a_visit_page_is_idempotent(people, child, login):
    client = login(people["director"])
    url = reverse("visits:create") + f"?child={child.pk}"
    assert client.get(url).status_code == 200
    data = form_data(child)
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert Visit.objects.count() == 1
    visit = Visit.objects.get()
    assert first["Location"] == second["Location"] == reverse("visits:detail", args=[visit.pk])
    assert client.get(first["Location"]).status_code == 200
    child.refresh_from_db()
    # A home visit today: the next one is due three calendar months later (R14).
    assert child.next_home_visit_due == suite_clock.add_months(app_clock.today(), 3)


def test_page_refuses_a_home_visit_without_who_was_seen(people, child, login):
    client = login(people["director"])
    response = client.post(reverse("visits:create"), form_data(child, seen=""))
    assert response.status_code == 400
    assert 'data-field-error="seen"' in response.content.decode()
    assert not Visit.objects.exists()


def test_page_refuses_a_future_date(people, child, login):
    client = login(people["director"])
    tomorrow = (app_clock.today() + datetime.timedelta(days=1)).isoformat()
    response = client.post(reverse("visits:create"), form_data(child, visit_date=tomorrow))
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_out_of_scope_is_404(people, child, login):
    visit = log(people["director"], child)
    for who in ("neighbour", "other_director", "other_civil"):
        client = login(people[who])
        assert client.get(reverse("visits:detail", args=[visit.pk])).status_code == 404, who
        assert client.get(reverse("visits:create") + f"?child={child.pk}").status_code == 404
        response = client.post(reverse("visits:create"), form_data(child))
        assert response.status_code == 400, who  # the child is not among the choices
        api = api_for(people[who])
        assert api.get(f"/api/v1/visits/{visit.pk}/").status_code == 404
        assert api.get(f"/api/v1/children/{child.pk}/schedule/").status_code == 404
        assert api.get("/api/v1/visits/").json()["results"] == []
    assert Visit.objects.count() == 1


def test_gate_blocks_an_uncertified_director(uncertified, people, child, login):
    user = uncertified["director"]
    message = permissions.work_refusal(user)
    client = login(user)
    response = client.post(reverse("visits:create"), form_data(child))
    assert response.status_code == 403 and message in response.content.decode()
    response = api_for(user).post("/api/v1/visits/", form_data(child), format="json")
    assert response.status_code == 403 and response.json()["detail"] == message
    assert not Visit.objects.exists()


def test_correction_page_after_the_window_needs_the_supervisor(people, child, login):
    visit = log(people["director"], child)
    Visit.objects.filter(pk=visit.pk).update(
        created_at=app_clock.now() - datetime.timedelta(days=10)
    )
    assert (
        login(people["director"]).get(reverse("visits:correct", args=[visit.pk])).status_code == 403
    )
    client = login(people["supervisor"])
    data = {**form_data(child, kind="in_person", seen=""), "reason": ""}
    assert client.post(reverse("visits:correct", args=[visit.pk]), data).status_code == 400
    data["reason"] = "补充记录"
    assert client.post(reverse("visits:correct", args=[visit.pk]), data).status_code == 302
    visit.refresh_from_db()
    assert visit.kind == "in_person"


def _query_count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_my_work_orders_overdue_first_and_shows_compliance(people, login):
    director = people["director"]
    due_later = registered(make_child(director, name="甲"), app_clock.today())
    overdue = registered(make_child(director, name="乙"), D(2025, 1, 1))
    log(director, due_later, "home_visit", app_clock.today(), today=app_clock.today())
    body = login(director).get(reverse("visits:my_work")).content.decode()
    assert body.index(overdue.name) < body.index(due_later.name)
    assert "1/2" in body  # one of two children contacted this month


def test_list_pages_query_counts_do_not_grow(people, login):
    director, supervisor = people["director"], people["supervisor"]
    client = login(director)
    first = registered(make_child(director, name="一"))
    log(director, first, "phone", app_clock.today(), today=app_clock.today())
    # Warm up the process-wide content-type cache (filled by whichever test came first).
    _query_count(client, reverse("visits:my_work"))
    counts = [_query_count(client, reverse("visits:my_work")),
              _query_count(client, reverse("visits:list"))]  # fmt: skip
    for i in range(5):
        child = registered(make_child(director, name=f"孩{i}"))
        log(director, child, "home_visit", app_clock.today(), today=app_clock.today())
        registered(make_child(people["neighbour"], XINGCHENG, name=f"邻{i}"))
    assert _query_count(client, reverse("visits:my_work")) == counts[0]
    assert _query_count(client, reverse("visits:list")) == counts[1]
    sclient = login(supervisor)
    _query_count(sclient, reverse("visits:inspections"))  # warm up the session
    before = _query_count(sclient, reverse("visits:inspections"))
    for village in (ZHIDA, XINGCHENG):
        inspections.inspection_record(
            by=supervisor, village=region(village), inspected_on=app_clock.today(),
            checklist={"visits_done": True},
        )  # fmt: skip
    assert _query_count(sclient, reverse("visits:inspections")) == before


# --- API ------------------------------------------------------------------------------------


def test_api_create_is_idempotent_and_list_is_filterable(people, child):
    api = api_for(people["director"])
    today = app_clock.today()
    due = (today + datetime.timedelta(days=8)).isoformat()
    payload = {**form_data(child), "follow_ups": [{"text": "复查", "due_on": due}]}
    first = api.post("/api/v1/visits/", payload, format="json")
    assert first.status_code == 201, first.json()
    second = api.post("/api/v1/visits/", payload, format="json")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert Visit.objects.count() == 1 and FollowUp.objects.count() == 1
    earlier = suite_clock.add_months(suite_clock.month_start(today), -1)  # last month's 1st
    log(people["director"], child, "phone", earlier, today=today)
    rows = api.get("/api/v1/visits/", {"kind": "phone"}).json()["results"]
    assert [r["kind"] for r in rows] == ["phone"]
    to = suite_clock.month_end(earlier).isoformat()
    rows = api.get("/api/v1/visits/", {"child": child.pk, "date_to": to}).json()
    assert len(rows["results"]) == 1
    schedule = api.get(f"/api/v1/children/{child.pk}/schedule/").json()
    assert schedule["next_home_visit_due"] == suite_clock.add_months(today, 3).isoformat()
    assert len(schedule["recent_visits"]) == 2


def test_api_bad_input_is_a_400_with_field_errors(people, child):
    api = api_for(people["director"])
    response = api.post("/api/v1/visits/", form_data(child, seen=""), format="json")
    assert response.status_code == 400 and "seen" in response.json()
    response = api.post("/api/v1/visits/", form_data(child, visit_date="2099-01-01"), format="json")
    assert response.status_code == 400 and "visit_date" in response.json()
    assert not Visit.objects.exists()


# --- inspections ----------------------------------------------------------------------------


def test_inspection_flags_villages_not_inspected_this_quarter(people, login):
    supervisor = people["supervisor"]
    client = login(supervisor)
    body = client.get(reverse("visits:inspections")).content.decode()
    assert f'data-village="{ZHIDA}" data-inspected="0"' in body
    response = client.post(
        reverse("visits:inspection_create"),
        {"client_uuid": str(uuid.uuid4()), "village": region(ZHIDA).pk,
         "inspected_on": app_clock.today().isoformat(), "visits_done": "on",
         "rectification_1": "补齐档案",
         "rectification_1_due": (app_clock.today() + datetime.timedelta(days=30)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.rectifications.count() == 1 and inspection.visits_done
    body = client.get(reverse("visits:inspections")).content.decode()
    assert f'data-village="{ZHIDA}" data-inspected="1"' in body
    assert f'data-village="{XINGCHENG}" data-inspected="0"' in body
    # An inspection last quarter does not count.
    last_quarter = suite_clock.quarter_start(app_clock.today()) - datetime.timedelta(days=1)
    Inspection.objects.update(quarter=f"{last_quarter.year}Q{(last_quarter.month - 1) // 3 + 1}")
    body = client.get(reverse("visits:inspections")).content.decode()
    assert f'data-village="{ZHIDA}" data-inspected="0"' in body


def test_only_the_town_supervisor_inspects(people):
    for who in ("director", "other_supervisor"):
        with pytest.raises(PermissionDenied):
            inspections.inspection_record(
                by=people[who], village=region(ZHIDA), inspected_on=TODAY, checklist={}
            )
    response = api_for(people["other_supervisor"]).post(
        "/api/v1/inspections/",
        {
            "client_uuid": str(uuid.uuid4()),
            "village": region(ZHIDA).pk,
            "inspected_on": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 400  # the village is not among those it may name
    api = api_for(people["supervisor"])
    payload = {"client_uuid": str(uuid.uuid4()), "village": region(ZHIDA).pk,
               "inspected_on": "2026-11-01", "data_current": True,
               "rectifications": [{"text": "更新数据", "due_on": "2026-12-01"}]}  # fmt: skip
    assert api.post("/api/v1/inspections/", payload, format="json").status_code == 201
    assert api.post("/api/v1/inspections/", payload, format="json").status_code == 200
    assert Inspection.objects.count() == 1
    assert api_for(people["other_civil"]).get("/api/v1/inspections/").json()["results"] == []
    assert len(api_for(people["civil"]).get("/api/v1/inspections/").json()["results"]) == 1


# --- cadence rule page ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1"])
def test_cadence_rule_refuses_zero_or_negative(people, login, value):
    client = login(people["civil"])
    data = {"contact_months": value, "home_visit_months": "3", "key_home_visit_months": "1",
            "first_home_visit_days": "30"}  # fmt: skip
    response = client.post(reverse("visits:cadence"), data)
    assert response.status_code == 400
    assert 'data-field-error="contact_months"' in response.content.decode()
    from visits.models import CadenceRule

    assert not CadenceRule.objects.exists()


def test_cadence_rule_page_saves_and_is_civil_affairs_only(people, login, child):
    client = login(people["civil"])
    assert client.get(reverse("visits:cadence")).status_code == 200
    data = {"contact_months": "2", "home_visit_months": "3", "key_home_visit_months": "1",
            "first_home_visit_days": "30"}  # fmt: skip
    assert client.post(reverse("visits:cadence"), data).status_code == 302
    child.refresh_from_db()
    assert child.next_contact_due == D(2025, 3, 1)
    assert login(people["director"]).get(reverse("visits:cadence")).status_code == 404
    assert region(BEIBEI).cadencerule.contact_months == 2
    assert CHENGUANG  # another district's staff manage their own rule
