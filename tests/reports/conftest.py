from __future__ import annotations

import datetime
import uuid

import pytest

from core import clock as app_clock
from notifications.channels import RecordingSmsProvider
from reports import filing
from tests.factories import make_child


@pytest.fixture
def sms(settings):
    settings.SMS_PROVIDER = "notifications.channels.RecordingSmsProvider"
    RecordingSmsProvider.reset()
    yield RecordingSmsProvider
    RecordingSmsProvider.reset()


@pytest.fixture
def child(people):
    return make_child(people["director"])


def report_input(child=None, **extra):
    now = app_clock.now()
    values = {
        "situations": ["domestic_violence"],
        "found_at": now - datetime.timedelta(hours=2),
        "child": child,
        "how_found": "邻居告知",
        "what_seen": "手臂有淤青",
        "police_station": "静观派出所",
        "police_reported_at": now - datetime.timedelta(hours=1),
        "police_receipt": "R-001",
    }
    values.update(extra)
    return filing.ReportInput(**values)


def file(user, child=None, client_uuid=None, **extra):
    report, _created = filing.report_file(
        by=user, data=report_input(child, **extra), client_uuid=client_uuid or uuid.uuid4()
    )
    return report
