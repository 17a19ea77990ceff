"""The demo loader gives the demo something to show: registered children, visits by the
demo directors, due dates from those visits, today's dashboard snapshot; once."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.utils import timezone

from children.models import Child
from org.management.commands import load_demo
from org.models import Assignment, Role
from stats.models import RegionSnapshot
from visits.models import Visit


def test_the_demo_has_visits_due_dates_and_a_snapshot(db, monkeypatch):
    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 300)
    call_command("load_demo", stdout=io.StringIO())

    today = timezone.localdate()
    directed = set(
        Assignment.objects.filter(role=Role.CHILD_DIRECTOR).values_list("region__code", flat=True)
    )
    visits = Visit.objects.select_related("child", "author")
    assert visits.exists()
    for visit in visits:
        # Only the demo directors' villages, never before registration or in the future.
        assert visit.author.username in {"bb_zhuren", "bb_zhuren2"}
        assert visit.child.region_code in directed
        assert timezone.localtime(visit.child.created_at).date() <= visit.visit_date <= today
    # Registration is moved back before the demo starts, never before birth.
    for child in Child.objects.all():
        assert child.birth_date <= timezone.localtime(child.created_at).date() <= today
    # The cadence rule ran over the visits: a visited child's contact is due after its
    # latest visit.
    visited = visits.order_by("-visit_date").first()
    assert visited is not None
    visited.child.refresh_from_db()
    assert visited.child.next_contact_due > visited.visit_date
    assert RegionSnapshot.objects.filter(date=today).exists()

    count = Visit.objects.count()
    call_command("load_demo", stdout=io.StringIO())
    assert Visit.objects.count() == count  # once
