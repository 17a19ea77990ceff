"""The demo loader gives the demo something to show on whatever day it is loaded: children
registered over the two years before, visits by the demo directors planned back from today,
due dates from those visits, current training, today's dashboard snapshot; once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from children.choices import Status
from children.models import Child
from demo.management.commands import load_demo
from org import two_factor
from org.models import Assignment, Region, Role, User
from org.selectors import coverage_gaps
from stats.models import RegionSnapshot
from tests import clock as suite_clock
from tests.factories import BEIBEI, JINGGUAN
from training.models import Rotation
from visits.models import Visit


def _directed() -> set[str]:
    return set(
        Assignment.objects.filter(role=Role.CHILD_DIRECTOR).values_list("region__code", flat=True)
    )


def _load() -> None:
    call_command("load_demo", stdout=io.StringIO())


@pytest.mark.parametrize("day", ["2027-01-02", "2028-02-29", "suite"])
def test_the_demo_looks_alive_on_any_day(db, clock, day, monkeypatch):
    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 300)
    if day != "suite":
        clock.move_to(day)
    today = clock.today()
    _load()

    children = Child.objects.filter(region_code__in=_directed(), status=Status.ACTIVE)
    total = children.count()
    assert total >= 20
    soon = today + datetime.timedelta(days=7)
    on_cadence = children.filter(next_contact_due__gte=today).count()
    due_soon = children.filter(next_contact_due__gte=today, next_contact_due__lte=soon).count()
    overdue = children.filter(next_contact_due__lt=today).count()
    assert on_cadence > total / 2, (on_cadence, total)
    assert due_soon >= 1 and overdue >= 1
    assert children.filter(next_home_visit_due__lt=today).exists()

    # The compliance figures of the demo directors' villages, as the dashboards show them.
    for code in load_demo.DEMO_VILLAGES:
        snapshot = RegionSnapshot.objects.get(region__code=code, date=today)
        figures = snapshot.figures
        contact = 100 * figures["contacted"] / figures["total"]
        home = 100 * figures["home_visited"] / figures["total"]
        assert 60 <= contact <= 95, (code, today, contact)
        assert 50 <= home <= 95, (code, today, home)

    # The demo workers are certified and their annual training is current.
    for username in ("bb_zhuren", "bb_zhuren2", "bb_dudao"):
        status = User.objects.get(username=username).training_status
        assert status.certified_on is not None
        assert status.rotation_on(today) == Rotation.CURRENT


@pytest.mark.calendar  # the test above covers its own dates
def test_visits_are_the_demo_directors_never_before_registration_nor_ahead(db, clock, monkeypatch):
    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 300)
    _load()
    today = clock.today()
    directed = _directed()
    visits = Visit.objects.select_related("child", "author")
    assert visits.exists()
    directors = {
        (a.user_id, a.region.code)
        for a in Assignment.objects.filter(role=Role.CHILD_DIRECTOR).select_related("region")
    }
    for visit in visits:
        assert (visit.author_id, visit.child.region_code) in directors  # her village's director
        assert visit.child.region_code in directed
        assert timezone.localtime(visit.child.created_at).date() <= visit.visit_date <= today
    # Registrations fall in the two years before today, never before birth.
    two_years = suite_clock.years_before(today, 2)
    for child in Child.objects.all():
        registered = timezone.localtime(child.created_at).date()
        assert child.birth_date <= registered <= today
        assert registered >= min(two_years, child.birth_date + datetime.timedelta(days=1))
    # The cadence rule ran over the visits: a visited child's contact is due after its
    # latest visit.
    visited = visits.order_by("-visit_date").first()
    assert visited is not None
    visited.child.refresh_from_db()
    assert visited.child.next_contact_due > visited.visit_date
    assert RegionSnapshot.objects.filter(date=today).exists()

    count = Visit.objects.count()
    _load()
    assert Visit.objects.count() == count  # once


def test_the_demo_district_works_with_a_few_gaps_on_purpose(db, clock, monkeypatch):
    """静观镇 has a director in most villages and the district most of its posts filled (R1),
    with gaps left on purpose; the district's dashboard no longer shows nearly every child
    overdue (1,431 of 1,461 when only two villages had directors)."""
    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 300)
    today = clock.today()
    _load()
    directed = _directed()
    jingguan = Region.objects.filter(parent__code=JINGGUAN, level="village")
    covered = [v.code for v in jingguan if v.code in directed]
    assert len(covered) >= 0.8 * jingguan.count()
    assert len(covered) < jingguan.count()  # a gap on purpose
    beibei_villages = Region.objects.filter(code__startswith="500109", level="village")
    with_director = sum(1 for v in beibei_villages if v.code in directed)
    assert 0.8 * beibei_villages.count() <= with_director < beibei_villages.count()
    gaps = coverage_gaps(User.objects.get(username="bb_minzheng"), today)
    assert gaps.towns_without_supervisor and len(gaps.towns_without_supervisor) <= 2
    assert gaps.villages_without_director

    # The other directors visited their children too: every village of 静观镇 with a director
    # and children shows visits.
    visited = set(Visit.objects.values_list("child__region_code", flat=True).distinct())
    with_children = set(
        Child.objects.filter(status=Status.ACTIVE).values_list("region_code", flat=True)
    )
    assert len(set(covered) & with_children) > 2
    assert set(covered) & with_children <= visited
    # The district's dashboard: overdue well below "nearly everyone".
    figures = RegionSnapshot.objects.get(region__code=BEIBEI, date=today).figures
    assert figures["total"] >= 250
    assert figures["overdue_contact"] < figures["total"] / 3, figures
    assert figures["overdue_home"] < figures["total"] / 3, figures
    town = RegionSnapshot.objects.get(region__code=JINGGUAN, date=today).figures
    contact = 100 * town["contacted"] / town["total"]
    assert 55 <= contact <= 95, contact
    # Newly appointed directors (not trained yet) have not started visiting; the demo's
    # workers appointed with it are certified and current.
    new = Assignment.objects.filter(
        role=Role.CHILD_DIRECTOR, start_date__gt=load_demo.demo_start(today)
    )
    assert new.exists()
    assert not Visit.objects.filter(author__in=new.values("user")).exists()
    jingguan_director = Assignment.objects.filter(
        role=Role.CHILD_DIRECTOR, region__code=covered[-1]
    ).get()
    status = jingguan_director.user.training_status
    assert status.certified_on is not None and status.rotation_on(today) == Rotation.CURRENT
    # They cannot sign in: only the demo accounts have passwords.
    assert not jingguan_director.user.has_usable_password()


def test_demo_administrators_and_civil_affairs_may_set_up_their_second_factor(db, monkeypatch):
    """They must sign in with one (issue 19 §3): the demo's new passwords come with a permit
    to enrol at the first sign-in; directors need none."""
    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 50)
    _load()
    for username in ("sys_admin", "sec_admin", "audit_admin", "bb_minzheng"):
        assert two_factor.live_permit(User.objects.get(username=username)) is not None
    assert two_factor.live_permit(User.objects.get(username="bb_zhuren")) is None
