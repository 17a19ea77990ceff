"""Findings are reminded and escalated like overdue visits; uploaded files are purged."""

import datetime

import pytest

from core import clock as app_clock
from matching import services
from matching.models import Finding, ListImport
from matching.reminders import findings_remind, list_files_purge
from matching.sources import SourceKind
from notifications.models import Notification
from tests.matching.conftest import csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(people, archive, beibei):
    _kids, ids = archive
    upload = csv_file([["姓名", "身份证号码", "类型"], ["王小红", ids["pupil"], "辍学"]])
    record = services.list_dry_run(
        by=people["civil"], district=beibei, source=SourceKind.EDUCATION_DROPOUT, upload=upload
    )
    services.list_import(by=people["civil"], pk=record.pk)
    return Finding.objects.get()


def told(user):
    return Notification.objects.filter(recipient=user, link__startswith="/lists/").count()


def test_director_then_supervisor_then_district_each_once(people, finding):
    today = app_clock.today()
    director, supervisor, civil = people["director"], people["supervisor"], people["civil"]
    base = told(director)  # the import told the director already
    assert base == 1
    assert findings_remind(today) == 1
    assert told(director) == 2 and told(supervisor) == 0
    assert findings_remind(today) == 0  # told once per level
    late = finding.due_on + datetime.timedelta(days=7)
    assert findings_remind(late) == 1
    assert told(supervisor) == 1 and told(civil) == 0
    assert told(people["other_supervisor"]) == 0
    findings_remind(finding.due_on + datetime.timedelta(days=30))
    assert told(civil) == 1 and told(people["other_civil"]) == 0


def test_a_closed_finding_is_not_reminded(people, finding):
    services.finding_close(
        by=people["director"], finding=finding, outcome="referred", note="转介镇教育办"
    )
    assert findings_remind(finding.due_on + datetime.timedelta(days=40)) == 0


def test_uploaded_files_are_purged_after_the_configured_days(people, finding, settings):
    record = ListImport.objects.get()
    assert record.file
    assert list_files_purge(app_clock.now()) == 0
    later = app_clock.now() + datetime.timedelta(days=settings.MATCHING_FILE_DAYS + 1)
    assert list_files_purge(later) == 1
    record.refresh_from_db()
    assert not record.file and record.purged_at == later
    assert record.rows.count() == 1  # the staged rows (hashed and masked) stay
