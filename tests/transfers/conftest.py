import datetime
import uuid

import pytest

from children.models import Child
from core import clock
from tests.factories import XINXINGLU, Role, make_child, make_user, region
from visits import cadence, followups, services


def backdate(child: Child, days: int = 400) -> Child:
    """Register the child `days` ago (visits cannot predate the registration)."""
    at = clock.now() - datetime.timedelta(days=days)
    Child.objects.filter(pk=child.pk).update(created_at=at)
    child.refresh_from_db()
    cadence.recompute(child)
    child.refresh_from_db()
    return child


def log_visit(user, child, days_ago: int = 3, follow_up: str = ""):
    today = clock.today()
    visit, _created = services.visit_record(
        by=user,
        child=child,
        values={"kind": "in_person", "visit_date": today - datetime.timedelta(days=days_ago)},
        follow_ups=[followups.FollowUpInput(follow_up, today + datetime.timedelta(days=10))]
        if follow_up
        else [],
        client_uuid=uuid.uuid4(),
        today=today,
    )
    child.refresh_from_db()
    return visit


@pytest.fixture
def third(people):
    """The director of a third village (天生街道 新星路), who sees neither side."""
    return make_user(Role.CHILD_DIRECTOR, XINXINGLU, username="third")


@pytest.fixture
def mover(people):
    """A child of 志达社区 with a visit its director logged, and an open follow-up item."""
    child = backdate(make_child(people["director"], name="林小雨"))
    log_visit(people["director"], child, follow_up="问学校转学手续")
    return child


@pytest.fixture
def xingcheng():
    from tests.factories import XINGCHENG

    return region(XINGCHENG)


@pytest.fixture
def chenguang():
    from tests.factories import CHENGUANG

    return region(CHENGUANG)
