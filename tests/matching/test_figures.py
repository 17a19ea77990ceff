"""The dashboards count open and overdue findings (stats.figures, from the snapshot for towns
and districts like every figure, the query count independent of the number of findings), and
the findings list sums them up by source, rule, village and outcome with the overdue ones and
the median days to close."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import clock as app_clock
from matching import services
from matching.models import Finding, Outcome, RuleCode
from matching.selectors import _median, summary
from matching.sources import SourceKind
from stats import services as stats_services
from stats.dashboard import area_dashboard, own_areas
from tests.factories import JINGGUAN, XINGCHENG, ZHIDA, region
from tests.matching.conftest import PAGE_HEAD, csv_file

pytestmark = pytest.mark.django_db


def overdue(finding):
    Finding.objects.filter(pk=finding.pk).update(due_on=app_clock.today() - datetime.timedelta(1))


def test_dashboards_count_open_and_overdue_findings(people, imported, beibei):
    today, now = app_clock.today(), app_clock.now()
    overdue(Finding.objects.get(rule=RuleCode.DROPOUT))  # 志达社区
    live = area_dashboard(people["civil"], beibei, today, now)
    assert (live.total.figures["findings_open"], live.total.figures["findings_overdue"]) == (2, 1)
    village = area_dashboard(people["director"], region(ZHIDA), today, now)
    assert village.total.figures["findings_overdue"] == 1
    town = area_dashboard(people["supervisor"], region(JINGGUAN), today, now)
    by_code = {r.region.code: r.figures for r in town.rows}
    assert by_code[XINGCHENG]["findings_open"] == 1 and by_code[XINGCHENG]["findings_overdue"] == 0
    # From the snapshot, the same; a closed finding leaves the count.
    stats_services.snapshot_regions(today=today, now=now)
    snap = area_dashboard(people["civil"], beibei, today, now)
    assert snap.as_of is not None and snap.total.figures == live.total.figures
    # The other district counts none of them.
    other = area_dashboard(people["other_civil"], own_areas(people["other_civil"])[0], today, now)
    assert other.total.figures["findings_open"] == 0


def test_the_dashboard_page_shows_and_links_them(people, imported, login):
    body = login(people["supervisor"]).get(reverse("stats:area", args=[JINGGUAN])).content
    text = body.decode()
    assert 'data-testid="total-findings-open">2<' in text
    assert f"?area={ZHIDA}&amp;outcome=open" in text
    director = login(people["director"]).get(reverse("stats:area", args=[ZHIDA])).content
    assert b"matching/findings/?area" not in director  # her findings are on "my work"


def test_dashboard_queries_do_not_grow_with_findings(people, archive, imported, beibei, login):
    client = login(people["civil"])
    url = reverse("stats:area", args=[beibei.code])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    queries()  # the first visit takes the district's snapshot (no worker in tests: at once)
    before = queries()
    rows = [PAGE_HEAD] + [[f"新人{n}", "", "2015-01-02", "兴城社区", "辍学"] for n in range(5)]
    record = services.list_dry_run(
        by=people["civil"], district=beibei, source=SourceKind.EDUCATION_DROPOUT,
        upload=csv_file(rows),
    )  # fmt: skip
    services.list_import(by=people["civil"], pk=record.pk)
    assert Finding.objects.count() == 7
    assert queries() == before


def test_the_findings_area_and_overdue_filters(people, imported, login):
    overdue(Finding.objects.get(rule=RuleCode.DROPOUT))
    client = login(people["civil"])
    page = client.get(reverse("matching:findings"), {"area": XINGCHENG}).context["page"]
    assert {f.region_code for f in page} == {XINGCHENG}
    page = client.get(reverse("matching:findings"), {"outcome": "overdue"}).context["page"]
    assert [f.rule for f in page] == [RuleCode.DROPOUT]


def test_summary_by_village_with_overdue_and_median_days(people, imported, login):
    today = app_clock.today()
    dropout = Finding.objects.get(rule=RuleCode.DROPOUT)
    overdue(dropout)
    closing = Finding.objects.get(rule=RuleCode.NOT_IN_ARCHIVE)
    services.finding_close(
        by=people["neighbour"], finding=closing, outcome=Outcome.NOT_APPLICABLE, note="已转学"
    )
    Finding.objects.filter(pk=closing.pk).update(created_on=today - datetime.timedelta(days=4))
    client = login(people["supervisor"])
    visible = Finding.objects.visible_to(people["supervisor"])
    with CaptureQueriesContext(connection) as ctx:
        rows = summary(visible, "village", today)
    assert len(ctx.captured_queries) == 2
    by_village = {row["key"]: row for row in rows}
    zhida, xingcheng = dropout.village_id, closing.village_id
    assert by_village[zhida]["overdue"] == 1 and by_village[zhida]["open"] == 1
    assert by_village[xingcheng]["median_days"] == 4 and by_village[xingcheng]["closed"] == 1
    assert by_village[xingcheng]["name"] == closing.village.name
    body = client.get(reverse("matching:findings"), {"by": "village"}).content.decode()
    assert 'data-testid="median">4' in body


@pytest.mark.parametrize(
    ("histogram", "median"),
    [
        ([], None),
        ([(3, 1)], 3),
        ([(1, 1), (5, 1)], 3),
        ([(0, 2), (9, 1)], 0),
        ([(2, 1), (4, 2)], 4),
    ],
)
def test_median_from_a_histogram(histogram, median):
    assert _median(histogram) == median


def test_the_summary_in_the_api(people, imported):
    from rest_framework.test import APIClient

    overdue(Finding.objects.get(rule=RuleCode.DROPOUT))
    client = APIClient()
    client.force_authenticate(people["civil"])
    body = client.get("/api/v1/findings/summary/", {"by": "rule"}).json()
    rows = {row["key"]: row for row in body}
    assert rows[RuleCode.DROPOUT]["overdue"] == 1 and rows[RuleCode.NOT_IN_ARCHIVE]["open"] == 1
    assert client.get("/api/v1/findings/summary/", {"by": "nonsense"}).status_code == 400
    for name in ("director", "other_director", "sysadmin"):
        client.force_authenticate(people[name])
        assert client.get("/api/v1/findings/summary/").status_code == 404
    client.force_authenticate(people["other_civil"])
    assert client.get("/api/v1/findings/summary/").json() == []
