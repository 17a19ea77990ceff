"""R19's six-month clock for a missing parent: the day a public-security list registered it is
kept; more than six months later the child's director gets one finding to assess the child as
possibly de-facto unsupported (daily, set-based, never twice), with the days derived from the
frozen day."""

import datetime

import pytest
from django.urls import reverse

from children.choices import Category
from children.models_risk import RiskSignal
from children.risk import RiskReason
from core import clock as app_clock
from core.calendar import add_months
from matching import services
from matching.clocks import findings_raise_missing_parents
from matching.models import Finding, ListRow, Outcome, RuleCode
from matching.rules import describe
from matching.sources import SourceKind
from notifications.models import Notification
from tests.matching.conftest import csv_file

pytestmark = pytest.mark.django_db

HEAD = ["姓名", "身份证号码", "出生日期", "村（社区）", "父母情况", "登记日期"]
DAY = datetime.timedelta(days=1)


def import_parents(people, beibei, rows):
    record = services.list_dry_run(
        by=people["civil"],
        district=beibei,
        source=SourceKind.POLICE_PARENTS,
        upload=csv_file([HEAD, *rows]),
    )
    assert record.errors == [], record.errors
    record, done = services.list_import(by=people["civil"], pk=record.pk)
    assert done
    return record


@pytest.fixture
def reported(people, archive, beibei):
    """吴二's parent reported missing one day more than six months ago, 王小红's exactly six
    months ago, 李明's with no date (the day of the import), 赵强's parent detained."""
    kids, ids = archive
    today = app_clock.today()
    six = add_months(today, -6)
    import_parents(
        people,
        beibei,
        [
            ["吴二", ids["parent"], "", "志达社区", "失联", (six - DAY).isoformat()],
            ["王小红", ids["pupil"], "", "志达社区", "失踪", six.isoformat()],
            ["李明", ids["disabled"], "", "志达社区", "失联", ""],
            ["赵强", ids["poor"], "", "志达社区", "服刑", (six - DAY).isoformat()],
        ],
    )
    return kids, today, six


def clocked():
    return Finding.objects.filter(rule=RuleCode.MISSING_SIX_MONTHS)


def test_the_list_records_since_when(reported):
    kids, today, six = reported
    rows = {r.child_id: r.reported_on for r in ListRow.objects.all()}
    assert rows[kids["parent"].pk] == six - DAY
    assert rows[kids["pupil"].pk] == six
    assert rows[kids["disabled"].pk] == today  # no date: the day of the import


def test_after_six_months_the_director_gets_one_finding(people, reported, login):
    kids, today, six = reported
    assert findings_raise_missing_parents(today) == 1
    finding = clocked().get()
    assert finding.child_id == kids["parent"].pk
    assert finding.suggested_category == Category.UNSUPPORTED
    assert finding.created_on == today and finding.due_on == today + datetime.timedelta(days=7)
    assert finding.row.reported_on == six - DAY
    assert "R19" in describe(finding)
    assert Notification.objects.filter(recipient=people["director"]).exists()
    body = login(people["director"]).get(reverse("visits:my_work")).content.decode()
    assert f'data-finding="{finding.pk}"' in body
    signal = RiskSignal.objects.get(child=kids["parent"], code=RiskReason.OPEN_FINDING)
    assert signal.source == "finding"
    # Daily and idempotent: never twice for the child, even after it was closed.
    assert findings_raise_missing_parents(today) == 0
    services.finding_close(
        by=people["director"], finding=finding, outcome=Outcome.REFERRED, note="转区民政局认定"
    )
    findings_raise_missing_parents(today + 30 * DAY)  # 王小红's clock is over by then
    assert clocked().filter(child=kids["parent"]).count() == 1


def test_exactly_six_months_is_not_yet(reported):
    kids, today, _six = reported
    findings_raise_missing_parents(today)
    assert not clocked().filter(child=kids["pupil"]).exists()
    assert findings_raise_missing_parents(today + DAY) == 1
    assert clocked().filter(child=kids["pupil"], created_on=today + DAY).exists()
    assert not clocked().filter(child__in=[kids["disabled"], kids["poor"]]).exists()


def test_a_later_report_keeps_the_first_date(people, reported, beibei):
    kids, today, six = reported
    # 李明 was reported today; a second list dated earlier starts the clock earlier.
    earlier = six - 10 * DAY
    import_parents(
        people,
        beibei,
        [["李明", kids["disabled"].id_number, "", "志达社区", "失联", earlier.isoformat()]],
    )
    findings_raise_missing_parents(today)
    finding = clocked().get(child=kids["disabled"])
    assert finding.row.reported_on == earlier


def test_no_clock_when_the_parent_was_not_missing_or_the_child_is_already_unsupported(
    people, reported
):
    kids, today, _six = reported
    parent_finding = Finding.objects.get(rule=RuleCode.PARENT, child=kids["parent"])
    services.finding_close(
        by=people["director"],
        finding=parent_finding,
        outcome=Outcome.NOT_APPLICABLE,
        note="父亲已联系上",
    )
    kids["pupil"].categories.add(Category.UNSUPPORTED)
    assert findings_raise_missing_parents(today + DAY) == 0


def test_off_in_the_districts_rules(people, reported, beibei):
    from matching.models import FindingRuleSet

    _kids, today, _six = reported
    FindingRuleSet.objects.create(district=beibei, missing_six_months=False)
    assert findings_raise_missing_parents(today) == 0


def test_another_district_sees_nothing_of_it(people, reported, login):
    _kids, today, six = reported
    findings_raise_missing_parents(today)
    finding = clocked().get()
    page = login(people["director"]).get(reverse("matching:finding", args=[finding.pk]))
    assert page.status_code == 200
    assert 'data-testid="reported-on"' in (body := page.content.decode())
    assert (six - DAY).isoformat() in body
    for name in ("other_director", "other_supervisor", "other_civil", "neighbour"):
        url = reverse("matching:finding", args=[finding.pk])
        assert login(people[name]).get(url).status_code == 404
