"""The dashboard pages: each number links to the list behind it (and the list has that many
rows), scoping (404 out of scope), drill-down, query counts, the home page panel."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import clock as app_clock
from tests.factories import (
    BEIBEI,
    CHENGUANG,
    JINGGUAN,
    RONGXI,
    TIANSHENG,
    XINGCHENG,
    XINXINGLU,
    XIUSHAN,
    ZHIDA,
    make_child,
    region,
)

from .conftest import inspect, report, visit

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*data-testid="([a-z-]+)"[^>]*>\s*(\d+)\s*</a>')
CHILD_COUNT = re.compile(r'<h1 class="h4 mb-0">[^<]*<small class="text-muted"[^>]*>(\d+)</small>')
CASE_COUNT = re.compile(r'data-testid="case-count">(\d+)<')


def area_url(code):
    return reverse("stats:area", args=[code])


CARD = re.compile(r'<a [^>]*href="([^"]+)"[^>]*data-testid="(card)" data-count="(\d+)"')


def numbered_links(page: str) -> list[tuple[str, str, int]]:
    found = LINK.findall(page) + CARD.findall(page)
    return [(html.unescape(h), t, int(n)) for h, t, n in found]


def list_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    if url.startswith(reverse("reports:list")):
        match = CASE_COUNT.search(page)
        assert match, url
        return int(match.group(1))
    match = CHILD_COUNT.search(page)
    assert match, url
    return int(match.group(1))


@pytest.mark.parametrize(
    ("who", "code"),
    [("director", ZHIDA), ("supervisor", JINGGUAN), ("civil", BEIBEI), ("civil", JINGGUAN)],
)
def test_every_number_opens_a_list_of_that_many(login, people, world, who, code):
    client = login(people[who])
    page = client.get(area_url(code)).content.decode()
    links = [
        (href, kind, n)
        for href, kind, n in numbered_links(page)
        if href.startswith(("/children/", "/reports/"))
    ]
    kinds = {kind for _h, kind, _n in links}
    assert {"total", "key", "category", "contacted", "not-contacted", "overdue-contact",
            "overdue-home", "reports-open", "reports-stage", "reports-overdue"} <= kinds or (
        code == ZHIDA and {"category", "reports-stage"} <= kinds
    )  # fmt: skip
    checked = 0
    for href, kind, n in links:
        assert list_count(client, href) == n, (kind, href)
        checked += 1
    assert checked >= 12


def test_drill_down_lists_match_known_numbers(login, people, world):
    client = login(people["supervisor"])
    base = reverse("children:list")
    assert list_count(client, f"{base}?region={ZHIDA}&visited=contacted") == 2
    assert list_count(client, f"{base}?region={ZHIDA}&visited=not_contacted") == 1
    assert list_count(client, f"{base}?region={ZHIDA}&visited=home_visited") == 1
    assert list_count(client, f"{base}?region={ZHIDA}&overdue=contact") == 1
    assert list_count(client, f"{base}?region={JINGGUAN}&overdue=home_visit") == 1
    assert list_count(client, f"{base}?region={JINGGUAN}&status=active&category=poverty") == 2
    reports = reverse("reports:list")
    assert list_count(client, f"{reports}?area={JINGGUAN}") == 3
    assert list_count(client, f"{reports}?area={JINGGUAN}&stage=reported") == 2
    assert list_count(client, f"{reports}?area={ZHIDA}&overdue=1") == 1


def test_district_drills_down_to_towns_then_villages(login, people, world):
    client = login(people["civil"])
    page = client.get(reverse("stats:index")).content.decode()
    assert f'data-code="{BEIBEI}"' in page
    assert f'href="{area_url(JINGGUAN)}" data-testid="drill"' in page
    assert f'href="{area_url(TIANSHENG)}" data-testid="drill"' in page
    town = client.get(area_url(JINGGUAN)).content.decode()
    assert f'href="{area_url(ZHIDA)}" data-testid="drill"' in town
    assert f'href="{area_url(BEIBEI)}" data-testid="parent-link"' in town
    village = client.get(area_url(ZHIDA)).content.decode()
    assert reverse("visits:inspection_detail", args=[world.last_inspection.pk]) in village
    assert 'id="stats-chart-data"' in village and "vendor/echarts.min.js" in village


def test_own_dashboard_per_role(login, people, world):
    for who, code in (("director", ZHIDA), ("supervisor", JINGGUAN), ("civil", BEIBEI),
                      ("centre", BEIBEI)):  # fmt: skip
        page = login(people[who]).get(reverse("stats:index")).content.decode()
        assert f'data-testid="area" data-code="{code}"' in page, who


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("supervisor", TIANSHENG),  # a neighbouring town
        ("supervisor", XINXINGLU),  # a village of the neighbouring town
        ("supervisor", BEIBEI),  # the district above
        ("supervisor", RONGXI),
        ("other_supervisor", JINGGUAN),
        ("other_supervisor", ZHIDA),
        ("director", JINGGUAN),
        ("director", XINGCHENG),
        ("civil", XIUSHAN),
        ("civil", CHENGUANG),
        ("other_civil", BEIBEI),
        ("nobody", ZHIDA),
        ("sysadmin", BEIBEI),
    ],
)
def test_out_of_scope_is_404(login, people, world, who, code):
    client = login(people[who])
    assert client.get(area_url(code)).status_code == 404
    assert client.get(f"/api/v1/stats/{code}/").status_code == 404


def test_no_area_is_404(login, people):
    assert login(people["nobody"]).get(reverse("stats:index")).status_code == 404
    assert login(people["sysadmin"]).get(reverse("stats:index")).status_code == 404


def test_neighbouring_town_numbers_never_show(login, people, world):
    """A supervisor's town dashboard counts nothing of the next town or district."""
    make_child(people["civil"], XINXINGLU, name="邻镇")
    page = login(people["supervisor"]).get(reverse("stats:index")).content.decode()
    assert 'data-testid="total-served">4<' in page
    assert XINXINGLU not in page and TIANSHENG not in page


def test_anonymous_is_sent_to_sign_in(client, regions):
    response = client.get(reverse("stats:index"))
    assert response.status_code == 302


def _grow(people):
    """More of everything in other villages and towns: the query count must not change."""
    import datetime

    from .conftest import backdate

    today = app_clock.today()
    for code in (ZHIDA, XINGCHENG, XINXINGLU):
        for i in range(3):
            child = backdate(make_child(people["civil"], code, name=f"新{i}",
                                        categories=["poverty", "orphan"]))  # fmt: skip
            visit(people["civil"], child, "home_visit", today)
            report(people["civil"], code, due=app_clock.now() - datetime.timedelta(hours=2))
        inspect(people["supervisor"], code, today)


@pytest.mark.parametrize(
    ("who", "code"), [("civil", BEIBEI), ("supervisor", JINGGUAN), ("director", ZHIDA)]
)
def test_query_count_constant(login, people, world, who, code):
    client = login(people[who])
    client.get(area_url(code))  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert client.get(area_url(code)).status_code == 200
    _grow(people)
    with CaptureQueriesContext(connection) as large:
        assert client.get(area_url(code)).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    # PostgreSQL, district: +1 for the bulk settings (BULK_SETTINGS); +1 for the districts whose
    # cadence rule counts remote contacts of key children (the compliance rule); the open
    # findings of department lists are the figures' fourth query, the case plans past review
    # and their actions past due the fifth (issue 17).
    assert len(small) <= 25


def test_director_home_shows_village_figures(login, people, world):
    page = login(people["director"]).get(reverse("home")).content.decode()
    assert 'data-testid="panel-village-stats"' in page
    assert 'data-testid="home-month-pct">66.7%<' in page
    assert area_url(ZHIDA) in page
    assert 'data-testid="nav-stats"' in page


def test_supervisor_and_district_home_link(login, people, world):
    for who in ("supervisor", "civil"):
        page = login(people[who]).get(reverse("home")).content.decode()
        assert 'data-testid="stats-link"' in page
    page = login(people["sysadmin"]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-stats"' not in page and 'data-testid="stats-link"' not in page


def test_a_director_of_two_villages_chooses(login, people):
    from org.models import Assignment, Role

    Assignment.objects.create(
        user=people["director"], region=region(XINGCHENG), role=Role.CHILD_DIRECTOR,
        start_date=people["director"].assignments.get().start_date,
    )  # fmt: skip
    page = login(people["director"]).get(reverse("stats:index")).content.decode()
    assert 'data-testid="areas"' in page
    assert area_url(ZHIDA) in page and area_url(XINGCHENG) in page
