from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from children.models import Child
from tests.factories import make_child
from visits import cadence

REGISTERED = datetime.date(2026, 1, 1)


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def registered(child: Child, on: datetime.date = REGISTERED) -> Child:
    """Back-date the child's registration and the history rows written so far."""
    Child.objects.filter(pk=child.pk).update(created_at=at(on))
    Child.history.filter(id=child.pk).update(history_date=at(on))  # type: ignore[attr-defined]
    child.refresh_from_db()
    cadence.recompute(child)
    return child


@pytest.fixture
def child_factory(people):
    def _make(village_code=None, by=None, **overrides):
        kwargs = {} if village_code is None else {"village_code": village_code}
        return registered(make_child(by or people["director"], **kwargs, **overrides))

    return _make
