"""Worker assessment figures (R5) against a hand-computed fixture, period validation, who
sees whom, and a constant number of queries."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from children.choices import Status
from children.models import Assistance, Child
from core import clock as app_clock
from org.models import Region
from reports import filing, workflow
from supervision import figures
from tests.factories import JINGGUAN, XINGCHENG, ZHIDA, make_user, region
from tests.supervision.conftest import at
from visits import inspections as visit_inspections
from visits import services as visit_services

D = datetime.date
pytestmark = pytest.mark.django_db


def log(user, child, kind, day):
    values = {"kind": kind, "visit_date": day, "seen": "祖父" if kind == "home_visit" else ""}
    visit_services.visit_record(
        by=user, child=child, values=values, today=D(2026, 11, 23), client_uuid=uuid.uuid4()
    )


def rows_by_username(user, area_code, start, end, today=None):
    rows = figures.assessment(user, region(area_code), start, end, today or D(2026, 11, 23))
    return {r.worker.username: r for r in rows}


@pytest.fixture
def visits_fixture(people, child_factory):
    """Child A (not key), registered 2026-01-01, default cadence (contact monthly, home
    visit quarterly, first home visit within 30 days):
      01-20 phone   contact due 02-01                          on time
      01-25 home    contact due 02-20, home due 01-31          on time
      03-10 phone   contact due 02-25 (from 01-25)             late
      04-05 home    contact due 04-10, home due 04-25          on time
      08-01 home    contact due 05-05                          late
    Key child K (in person only, home visit monthly):
      01-10 phone   satisfies nothing for a key child          not counted
      01-15 in person  contact due 02-01                       on time
      02-20 home    contact due 02-15 (from 01-15)             late
    A visit by the neighbouring director is not the director's."""
    director = people["director"]
    a = child_factory(name="甲")
    k = child_factory(name="乙", psychological_concern=True)
    assert k.is_key and not a.is_key
    for kind, day in [("phone", D(2026, 1, 20)), ("home_visit", D(2026, 1, 25)),
                      ("phone", D(2026, 3, 10)), ("home_visit", D(2026, 4, 5)),
                      ("home_visit", D(2026, 8, 1))]:  # fmt: skip
        log(director, a, kind, day)
    for kind, day in [("phone", D(2026, 1, 10)), ("in_person", D(2026, 1, 15)),
                      ("home_visit", D(2026, 2, 20))]:  # fmt: skip
        log(director, k, kind, day)
    other = child_factory(XINGCHENG, by=people["neighbour"], name="丙")
    log(people["neighbour"], other, "phone", D(2026, 5, 1))
    return {"a": a, "k": k, "other": other}


def test_visits_on_time_and_late(people, visits_fixture):
    rows = rows_by_username(people["supervisor"], JINGGUAN, D(2026, 1, 1), D(2026, 11, 23))
    director = rows["director"]
    assert (director.visits_on_time, director.visits_late) == (4, 3)
    assert director.visits_on_time_pct == round(100 * 4 / 7, 1)
    # Late is judged against the due date in force, even from visits before the period.
    rows = rows_by_username(people["supervisor"], JINGGUAN, D(2026, 3, 1), D(2026, 8, 31))
    assert (rows["director"].visits_on_time, rows["director"].visits_late) == (1, 2)
    # The neighbour's first contact, 05-01, came after the first due date (registration + 1
    # month = 02-01).
    assert (rows["neighbour"].visits_on_time, rows["neighbour"].visits_late) == (0, 1)


def test_a_district_rule_changes_what_is_on_time(people, visits_fixture):
    from visits.models import CadenceRule

    CadenceRule.objects.create(district=region("500109000000"), contact_months=2)
    rows = rows_by_username(people["civil"], "500109000000", D(2026, 1, 1), D(2026, 11, 23))
    # Contact every two months: 03-10 (due 03-25) becomes on time; 08-01 (due 06-05) and
    # the key child's 02-20 (home due monthly from registration +30 days = 01-31) stay late.
    assert (rows["director"].visits_on_time, rows["director"].visits_late) == (5, 2)


def test_records_kept_current(people, child_factory):
    """Period ending 2026-06-30: the window is 2026-04-01 … 2026-06-30.
    ZHIDA: A visited 04-05 (current), C assistance recorded 05-10 (current), E edited 06-01
    (current), K nothing since January (not current), F closed 03-01 (not counted).
    XINGCHENG: G nothing (not current) — the supervisor's town counts it, the director not."""
    director = people["director"]
    a = child_factory(name="甲")
    log(director, a, "home_visit", D(2026, 4, 5))
    c = child_factory(name="丙")
    help_row = Assistance.objects.create(
        child=c, created_by=director, kind="living", status="ongoing", started_on=D(2026, 5, 10)
    )
    Assistance.objects.filter(pk=help_row.pk).update(created_at=at(D(2026, 5, 10)))
    e = child_factory(name="戊")
    history = Child.history.filter(id=e.pk)  # type: ignore[attr-defined]
    row = history.first()
    row.pk = None
    row.history_date = at(D(2026, 6, 1))
    row.history_type = "~"
    row.save()
    child_factory(name="乙")
    f = child_factory(name="己")
    Child.objects.filter(pk=f.pk).update(status=Status.CLOSED, closed_on=D(2026, 3, 1))
    child_factory(XINGCHENG, by=people["neighbour"], name="庚")

    assert figures.records_window(D(2026, 6, 30)) == (D(2026, 4, 1), D(2026, 6, 30))
    assert figures.records_window(D(2026, 11, 23)) == (D(2026, 8, 24), D(2026, 11, 23))
    rows = rows_by_username(people["civil"], "500109000000", D(2026, 1, 1), D(2026, 6, 30))
    assert (rows["director"].archives_current, rows["director"].archives) == (3, 4)
    assert rows["director"].archives_current_pct == 75.0
    assert (rows["supervisor"].archives_current, rows["supervisor"].archives) == (3, 5)
    assert (rows["neighbour"].archives_current, rows["neighbour"].archives) == (0, 1)


def _report(user, child):
    now = app_clock.now()
    report, _created = filing.report_file(
        by=user,
        data=filing.ReportInput(
            situations=["domestic_violence"],
            found_at=now - datetime.timedelta(hours=2),
            child=child,
            how_found="邻居告知",
            what_seen="手臂有淤青",
            police_station="静观派出所",
            police_reported_at=now - datetime.timedelta(hours=1),
            police_receipt="R-001",
        ),
        client_uuid=uuid.uuid4(),
    )
    return report


def test_reports_filed_and_steps_on_time(people, child_factory, settings):
    settings.SMS_PROVIDER = "notifications.channels.RecordingSmsProvider"
    director, supervisor = people["director"], people["supervisor"]
    child = child_factory()
    report = _report(director, child)
    _report(director, child)
    _report(people["neighbour"], child_factory(XINGCHENG, by=people["neighbour"]))
    now = app_clock.now()
    step = workflow.StepInput
    # S1: the filing's deadline (in the future) is in force: on time; it sets a deadline two
    # days ago. S2 comes after that deadline: late; it sets one in five days. S3: on time.
    workflow.report_add_step(by=supervisor, report=report, data=step(
        kind="progress", what="电话了解", done_at=now - datetime.timedelta(days=3),
        next_step="入户评估", next_due_at=now - datetime.timedelta(days=2)))  # fmt: skip
    workflow.report_add_step(by=supervisor, report=report, data=step(
        kind="progress", what="入户", next_step="复查",
        next_due_at=now + datetime.timedelta(days=5)))  # fmt: skip
    workflow.report_add_step(by=supervisor, report=report, data=step(
        kind="progress", what="复查"))  # fmt: skip
    today = app_clock.today()
    rows = rows_by_username(people["civil"], "500109000000", D(today.year, 1, 1), today, today)
    assert rows["director"].reports_filed == 2
    assert rows["neighbour"].reports_filed == 1
    assert (rows["supervisor"].steps_on_time, rows["supervisor"].steps_late) == (2, 1)
    assert (rows["director"].steps_on_time, rows["director"].steps_late) == (0, 0)
    # Outside the period: nothing.
    yesterday = today - datetime.timedelta(days=1)
    rows = rows_by_username(people["civil"], "500109000000", D(2026, 1, 1), yesterday, today)
    assert rows["director"].reports_filed == 0
    assert (rows["supervisor"].steps_on_time, rows["supervisor"].steps_late) == (0, 0)


def test_inspections_done_against_villages_times_quarters(people):
    supervisor = people["supervisor"]
    villages = Region.objects.filter(code__startswith=JINGGUAN[:9], level="village").count()
    assert villages == 17

    def inspect(code, day):
        visit_inspections.inspection_record(
            by=supervisor, village=region(code), inspected_on=day, checklist={},
            today=D(2026, 11, 23))  # fmt: skip

    inspect(ZHIDA, D(2026, 2, 10))
    inspect(ZHIDA, D(2026, 3, 5))  # the same village and quarter counts once
    inspect(XINGCHENG, D(2026, 5, 1))
    inspect(ZHIDA, D(2026, 7, 5))  # after the period
    assert figures.quarters_in(D(2026, 1, 1), D(2026, 6, 30)) == ["2026Q1", "2026Q2"]
    assert figures.quarters_in(D(2026, 2, 15), D(2026, 4, 1)) == ["2026Q1", "2026Q2"]
    rows = rows_by_username(people["civil"], "500109000000", D(2026, 1, 1), D(2026, 6, 30))
    assert (rows["supervisor"].inspections_done, rows["supervisor"].inspections_expected) == (
        2,
        17 * 2,
    )
    assert rows["director"].inspections_expected is None


def test_training_state(people, uncertified):
    rows = rows_by_username(people["civil"], "500109000000", D(2026, 1, 1), D(2026, 6, 30))
    assert rows["director"].certified and rows["supervisor"].certified
    assert not rows["new_director"].certified
    assert not rows["new_supervisor"].certified


def test_who_sees_whom(people):
    supervisor_rows = rows_by_username(
        people["supervisor"], JINGGUAN, D(2026, 1, 1), D(2026, 6, 30)
    )
    assert set(supervisor_rows) == {"director", "neighbour"}
    civil_rows = rows_by_username(people["civil"], "500109000000", D(2026, 1, 1), D(2026, 6, 30))
    assert {"director", "neighbour", "supervisor"} <= set(civil_rows)
    assert not {"other_director", "other_supervisor"} & set(civil_rows)
    assert [a.code for a in figures.assessment_areas(people["other_supervisor"])] == [
        "500241104000"
    ]
    assert figures.area_for(people["other_supervisor"], region(JINGGUAN).pk) is None
    assert figures.assessment_areas(people["director"]) == []
    assert figures.assessment_areas(people["centre"]) == []


def test_an_assignment_ended_before_the_period_is_not_assessed(people):
    from org.models import Assignment

    old = make_user(username="old_director")
    Assignment.objects.create(user=old, region=region(ZHIDA), role="child_director",
                              start_date=D(2025, 1, 1), end_date=D(2025, 12, 31))  # fmt: skip
    assert "old_director" not in rows_by_username(
        people["supervisor"], JINGGUAN, D(2026, 1, 1), D(2026, 6, 30)
    )
    assert "old_director" in rows_by_username(
        people["supervisor"], JINGGUAN, D(2025, 6, 1), D(2026, 6, 30)
    )


# --- Period validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-05-01", "2026-04-01", "end"), ("2026-01-01", "2999-01-01", "end"),
     ("2999-01-01", "", "start"), ("not-a-date", "", "start")],
)  # fmt: skip
def test_bad_period_is_explained_on_the_field(people, login, start, end, field):
    client = login(people["supervisor"])
    response = client.get(reverse("supervision:assessment"), {"start": start, "end": end})
    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    api = client.get("/api/v1/assessments/figures/", {"start": start, "end": end})
    assert api.status_code == 400
    assert field in api.json()


def test_period_errors_messages():
    today = D(2026, 11, 23)
    with translation.override("en"):
        assert figures.period_errors(D(2026, 5, 1), D(2026, 4, 1), today) == {
            "end": ["The end cannot be before the start."]
        }
    assert "end" in figures.period_errors(D(2026, 5, 1), D(2026, 11, 24), today)
    assert figures.period_errors(D(2026, 1, 1), today, today) == {}
    assert figures.default_period(today) == (D(2026, 1, 1), today)


# --- Pages and API --------------------------------------------------------------------------


@pytest.mark.frozen_at("2026-11-23")  # the day visits_fixture's visits were written for
def test_page_shows_the_figures_and_defaults_to_this_year(people, login, visits_fixture):
    client = login(people["supervisor"])
    response = client.get(reverse("supervision:assessment"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-worker="director" data-on-time="4" data-late="3"' in body
    write_url = reverse("supervision:assessment_write", args=[people["director"].pk])
    assert write_url in body  # the supervisor writes the directors' assessments
    civil_body = login(people["civil"]).get(reverse("supervision:assessment")).content.decode()
    assert write_url not in civil_body  # civil affairs write the supervisors'
    assert reverse("supervision:assessment_write", args=[people["supervisor"].pk]) in civil_body
    assert response.context["start"] == D(app_clock.today().year, 1, 1)
    assert response.context["end"] == app_clock.today()


def test_api_figures(people, visits_fixture):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(people["civil"])
    response = api.get("/api/v1/assessments/figures/", {"start": "2026-01-01", "end": "2026-11-23"})
    assert response.status_code == 200, response.content
    by_name = {w["username"]: w for w in response.json()["workers"]}
    assert (by_name["director"]["visits_on_time"], by_name["director"]["visits_late"]) == (4, 3)
    assert by_name["supervisor"]["inspections_expected"] is not None


def test_out_of_scope_area_and_roles_get_404(people, login):
    jingguan = region(JINGGUAN)
    client = login(people["other_supervisor"])
    assert client.get(reverse("supervision:assessment"), {"area": jingguan.pk}).status_code == 404
    assert client.get("/api/v1/assessments/figures/", {"area": jingguan.pk}).status_code == 404
    for name in ("centre", "nobody", "sysadmin"):
        client = login(people[name])
        assert client.get(reverse("supervision:assessment")).status_code == 404
        assert client.get("/api/v1/assessments/figures/").status_code == 404
    # A director sees only their own written assessments: no figures.
    client = login(people["director"])
    response = client.get(reverse("supervision:assessment"))
    assert response.status_code == 200 and not response.context["rows"]
    assert client.get("/api/v1/assessments/figures/").status_code == 404


def _count_queries(client, url, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_workers_children_and_visits(
    people, login, child_factory, django_assert_max_num_queries
):
    params = {"start": "2026-01-01", "end": "2026-11-23"}
    client = login(people["civil"])
    url = reverse("supervision:assessment")
    child = child_factory()
    log(people["director"], child, "home_visit", D(2026, 2, 1))
    _count_queries(client, url, params)  # warm up the session
    before = _count_queries(client, url, params)
    for i in range(3):
        director = make_user("child_director", XINGCHENG, username=f"more{i}")
        kid = child_factory(XINGCHENG, by=director)
        log(director, kid, "phone", D(2026, 3, 1))
        log(director, kid, "home_visit", D(2026, 4, 1))
    with django_assert_max_num_queries(before):
        client.get(url, params)
    api_client = login(people["civil"])
    with django_assert_max_num_queries(before):
        api_client.get("/api/v1/assessments/figures/", params)
