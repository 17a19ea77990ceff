from __future__ import annotations

import datetime

import pytest

from children.models import Child
from core import clock as app_clock
from notifications.channels import RecordingSmsProvider
from tests.factories import ZHIDA, make_child


@pytest.fixture
def sms(settings):
    settings.SMS_PROVIDER = "notifications.channels.RecordingSmsProvider"
    RecordingSmsProvider.reset()
    yield RecordingSmsProvider
    RecordingSmsProvider.reset()


@pytest.fixture
def today():
    return app_clock.today()


@pytest.fixture
def child_due(people, today):
    """A child of `village` whose contact (or home visit) is due `days` from today."""
    counter = iter(range(1000))

    def _make(days=None, *, visit_days=None, village=ZHIDA, by=None, **overrides):
        by = by or (people["director"] if village == ZHIDA else None)
        if by is None:
            by = people["other_director"]
        child = make_child(by, village, name=f"儿童{next(counter)}", **overrides)
        Child.objects.filter(pk=child.pk).update(
            next_contact_due=None if days is None else today + datetime.timedelta(days=days),
            next_home_visit_due=(
                None if visit_days is None else today + datetime.timedelta(days=visit_days)
            ),
        )
        return child

    return _make


@pytest.fixture
def villages_inspected(people, today):
    """Every village of the supervisors' towns inspected this quarter, so that a sweep run in
    the last days of a quarter (the inspection reminder window, R16) makes no inspection
    reminders: for the tests of the children's reminders, on whatever day they run."""
    from core.calendar import quarter_of
    from org.models import Region
    from visits.models import Inspection

    towns = {"supervisor": "500109110", "other_supervisor": "500241104"}
    Inspection.objects.bulk_create(
        Inspection(
            village=village,
            region_code=village.code,
            supervisor=people[who],
            inspected_on=today,
            quarter=quarter_of(today),
        )
        for who, prefix in towns.items()
        for village in Region.objects.filter(level="village", code__startswith=prefix)
    )
