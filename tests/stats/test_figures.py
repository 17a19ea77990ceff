"""Each dashboard figure against the hand-counted world of conftest.py."""

from __future__ import annotations

import pytest

from core import clock as app_clock
from core.regions import Level
from org.models import Region, Role
from stats.dashboard import TrainingState, area_dashboard, dashboard_area_or_none, own_areas
from tests.factories import (
    BEIBEI,
    JINGGUAN,
    TIANSHENG,
    XINGCHENG,
    XINXINGLU,
    ZHIDA,
    make_child,
    make_user,
    region,
)

pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def dashboard(user, code, world):
    return area_dashboard(user, region(code), world.today, world.now)


def row_of(board, code):
    return next(r for r in board.rows if r.region.code == code)


def test_village_figures(people, world):
    board = dashboard(people["director"], ZHIDA, world)
    f = board.total.figures
    assert board.rows == []
    assert f["total"] == 3  # c4 is closed
    assert f["key"] == 1
    # A child in two categories counts in each; the total counts each child once.
    assert f["categories"]["rural_left_behind"] == 2
    assert f["categories"]["poverty"] == 2
    assert f["categories"]["orphan"] == 0  # the only orphan is closed
    assert sum(f["categories"].values()) == 4 > f["total"]
    # c1 (phone) and c3 (home visit); c2 is a key child reached by phone only.
    assert (f["contacted"], f["not_contacted"], f["month_pct"]) == (2, 1, 66.7)
    assert (f["home_visited"], f["quarter_pct"]) == (1, 33.3)
    assert (f["overdue_contact"], f["overdue_home"]) == (1, 1)  # closed c4 is not counted
    assert f["reports_open"] == 2
    assert f["reports"]["reported"] == 1 and f["reports"]["assessment"] == 1
    assert f["reports_overdue"] == 1
    assert board.total.last_inspection_on == world.today
    assert board.total.last_inspection_id == world.last_inspection.pk
    assert board.total.inspected_this_quarter == 1
    assert [w.user_id for w in board.total.workers] == [people["director"].pk]
    assert board.total.villages_without_director == []
    assert not board.total.r2


def test_town_rows_and_total(people, world):
    board = dashboard(people["supervisor"], JINGGUAN, world)
    villages = Region.objects.filter(parent__code=JINGGUAN, level=Level.VILLAGE).count()
    assert len(board.rows) == villages
    zhida, xingcheng = row_of(board, ZHIDA), row_of(board, XINGCHENG)
    assert zhida.figures["total"] == 3 and xingcheng.figures["total"] == 1
    assert xingcheng.figures["contacted"] == 0 and xingcheng.figures["month_pct"] == 0
    assert xingcheng.last_inspection_on is None
    t = board.total.figures
    assert t["total"] == 4
    assert t["categories"]["rural_left_behind"] == 3
    assert (t["contacted"], t["home_visited"]) == (2, 1)
    assert t["month_pct"] == 50.0 and t["quarter_pct"] == 25.0
    assert (t["reports_open"], t["reports"]["reported"], t["reports_overdue"]) == (3, 2, 1)
    # R1: every village of the town but the two with directors.
    assert len(board.total.villages_without_director) == villages - 2
    assert ZHIDA not in {v.code for v in board.total.villages_without_director}
    assert board.total.inspected_this_quarter == 1 and board.total.villages == villages
    assert [w.user_id for w in board.total.workers] == [people["supervisor"].pk]
    assert board.towns_without_supervisor == []


def test_district_rows_by_town(people, world):
    board = dashboard(people["civil"], BEIBEI, world)
    towns = Region.objects.filter(parent__code=BEIBEI, level=Level.TOWN).count()
    assert len(board.rows) == towns
    jingguan, tiansheng = row_of(board, JINGGUAN), row_of(board, TIANSHENG)
    assert jingguan.figures["total"] == 4 and tiansheng.figures["total"] == 1
    assert not jingguan.without_supervisor and tiansheng.without_supervisor
    assert board.total.figures["total"] == 5  # c7 is in another district
    assert board.total.figures["reports_open"] == 3
    assert len(board.towns_without_supervisor) == towns - 1
    assert XINXINGLU in {v.code for v in tiansheng.villages_without_director}
    assert sum(r.figures["total"] for r in board.rows) == board.total.figures["total"]


def test_training_state_of_directors(people, world):
    new = make_user(Role.CHILD_DIRECTOR, XINGCHENG, username="new_dir", certified=False)
    board = dashboard(people["supervisor"], JINGGUAN, world)
    states = {w.user_id: w.training for w in row_of(board, XINGCHENG).workers}
    assert states[new.pk] == TrainingState.UNCERTIFIED
    status = people["neighbour"].training_status
    assert states[people["neighbour"].pk] == (status.rotation_on(world.today) or "current")
    assert row_of(board, XINGCHENG).untrained_workers == 1


def _village_with(people, n_children, directors):
    for i in range(directors):
        make_user(Role.CHILD_DIRECTOR, XINXINGLU, username=f"xx{i}")
    for i in range(n_children):
        make_child(people["civil"], XINXINGLU, name=f"儿童{i}")


@pytest.mark.parametrize(
    ("children", "directors", "flagged"),
    [(31, 1, True), (30, 1, False), (31, 2, False), (31, 0, False)],
)
def test_r2_flag(people, children, directors, flagged):

    _village_with(people, children, directors)
    board = area_dashboard(people["civil"], region(TIANSHENG), app_clock.today(), app_clock.now())
    row = row_of(board, XINXINGLU)
    assert row.figures["total"] == children
    assert row.r2 is flagged
    assert (row.region in board.total.r2_villages) is flagged
    assert bool(row.villages_without_director) is (directors == 0)  # R1, not R2


def test_own_areas(people):
    assert own_areas(people["director"]) == [region(ZHIDA)]
    assert own_areas(people["supervisor"]) == [region(JINGGUAN)]
    assert own_areas(people["civil"]) == [region(BEIBEI)]
    assert own_areas(people["nobody"]) == []
    assert own_areas(people["sysadmin"]) == []


def test_area_out_of_scope_is_none(people):
    supervisor = people["supervisor"]
    assert dashboard_area_or_none(supervisor, JINGGUAN) is not None
    assert dashboard_area_or_none(supervisor, ZHIDA) is not None
    assert dashboard_area_or_none(supervisor, TIANSHENG) is None
    assert dashboard_area_or_none(supervisor, BEIBEI) is None
    assert dashboard_area_or_none(people["director"], JINGGUAN) is None
    assert dashboard_area_or_none(supervisor, "not-a-code") is None
