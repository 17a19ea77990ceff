"""One compliance rule: a key child phoned this month counts as contacted wherever the
district's cadence rule lets remote contacts count for key children (北碚区 here), and as not
contacted where it does not (秀山县, the default) — on the child's page, the API schedule, the
village and town dashboards, the snapshot, the workbook and the assessment figures alike."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core import clock
from stats.dashboard import area_dashboard
from stats.models import RegionSnapshot
from stats.services import snapshot_regions
from stats.workbook import build_statistics_workbook
from supervision import figures as supervision_figures
from tests import clock as suite_clock
from tests.factories import BEIBEI, CHENGUANG, JINGGUAN, RONGXI, XIUSHAN, ZHIDA, make_child, region
from tests.stats.conftest import backdate, visit
from visits.cadence import apply_rule_to_district
from visits.models import CadenceRule

pytestmark = pytest.mark.calendar

# district: (the director, the village, the supervisor, the town, civil affairs, remote counts)
SIDES = {
    BEIBEI: ("director", ZHIDA, "supervisor", JINGGUAN, "civil", True),
    XIUSHAN: ("other_director", CHENGUANG, "other_supervisor", RONGXI, "other_civil", False),
}


@pytest.fixture
def phoned(people):
    """A key child in each district, registered long ago and phoned today."""
    beibei = region(BEIBEI)
    CadenceRule.objects.create(district=beibei, key_remote_counts=True)
    apply_rule_to_district(beibei)
    children = {}
    for district, (director, village, *_rest) in SIDES.items():
        child = backdate(make_child(people[director], village, psychological_concern=True))
        assert child.is_key
        visit(people[director], child, "phone", clock.today())
        child.refresh_from_db()
        children[district] = child
    return children


@pytest.mark.parametrize("district", [BEIBEI, XIUSHAN])
def test_the_same_rule_everywhere(people, login, phoned, district):
    director, village, supervisor, town, civil, remote = SIDES[district]
    child = phoned[district]
    today, now = clock.today(), clock.now()
    contacted = 1 if remote else 0

    # The child's stored due date, its page and the API schedule.
    on_cadence = child.next_contact_due >= today
    assert on_cadence is remote
    if remote:
        assert child.next_contact_due == suite_clock.add_months(today, 1)
    page = login(people[director]).get(reverse("children:detail", args=[child.pk]))
    assert f'data-date="{child.next_contact_due:%Y-%m-%d}"' in page.content.decode()
    api = APIClient()
    api.force_authenticate(people[director])
    schedule = api.get(f"/api/v1/children/{child.pk}/schedule/").json()
    assert schedule["next_contact_due"] == child.next_contact_due.isoformat()

    # The live village and town dashboards.
    village_board = area_dashboard(people[director], region(village), today, now)
    assert village_board.total.figures["contacted"] == contacted
    town_board = area_dashboard(people[supervisor], region(town), today, now)
    assert town_board.total.figures["contacted"] == contacted
    # The children list behind the number.
    listed = login(people[director]).get(reverse("children:list"), {"visited": "contacted"})
    assert (child.name in listed.content.decode()) is remote

    # The snapshot.
    snapshot_regions(today=today, now=now)
    for code in (village, town, district):
        stored = RegionSnapshot.objects.get(region__code=code, date=today).figures
        assert stored["contacted"] == contacted, code

    # The workbook's compliance sheet.
    out = io.BytesIO()
    with translation.override("en"):
        build_statistics_workbook(user=people[civil], area=region(district), on=today, out=out)
    out.seek(0)
    sheet = load_workbook(out)["Visit compliance"]
    total = next(row for row in sheet.iter_rows(values_only=True) if row and row[0] == "Total")
    assert total[1:3] == (1, contacted)

    # The worker assessment: the phone call counts as a contact (late: the contact was
    # overdue before it) only where the rule counts it.
    start = today.replace(month=1, day=1)
    rows = supervision_figures.assessment(people[supervisor], region(town), start, today, today)
    worker = next(r for r in rows if r.worker == people[director])
    assert worker.visits_on_time + worker.visits_late == contacted


def test_turning_the_setting_on_moves_the_due_dates_and_the_figures(people, phoned):
    child = phoned[XIUSHAN]
    today = clock.today()
    assert child.next_contact_due < today
    xiushan = region(XIUSHAN)
    CadenceRule.objects.create(district=xiushan, key_remote_counts=True)
    apply_rule_to_district(xiushan)
    child.refresh_from_db()
    assert child.next_contact_due == suite_clock.add_months(today, 1)
    board = area_dashboard(people["other_director"], region(CHENGUANG), today, clock.now())
    assert board.total.figures["contacted"] == 1
