from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from children.models import Child
from tests.factories import make_child
from visits import cadence, services

REGISTERED = datetime.date(2025, 1, 1)
TODAY = datetime.date(2026, 11, 23)


def registered(child: Child, on: datetime.date = REGISTERED) -> Child:
    """Back-date the child's registration (visits cannot predate it)."""
    at = timezone.make_aware(datetime.datetime.combine(on, datetime.time(9)))
    Child.objects.filter(pk=child.pk).update(created_at=at)
    child.refresh_from_db()
    cadence.recompute(child)
    return child


def visit_values(kind: str = "in_person", day: datetime.date = TODAY, **extra):
    values = {"kind": kind, "visit_date": day, "seen": "祖父张大爷" if kind == "home_visit" else ""}
    values.update(extra)
    return values


def log(user, child, kind="in_person", day=TODAY, today=TODAY, **extra):
    visit, _ = services.visit_record(
        by=user,
        child=child,
        values=visit_values(kind, day, **extra),
        today=today,
        client_uuid=extra.pop("client_uuid", None) or uuid.uuid4(),
    )
    child.refresh_from_db()
    return visit


@pytest.fixture
def child(people):
    return registered(make_child(people["director"]))


@pytest.fixture
def key_child(people):
    # A child with a psychological concern is a key child (R15).
    return registered(make_child(people["director"], psychological_concern=True, name="李小红"))
