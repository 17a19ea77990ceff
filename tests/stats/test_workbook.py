"""The statistics workbook: every sheet's figures against a small hand-computed fixture, the
file opened with openpyxl, and a query count that does not grow with the data."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from children.models import Assistance, Child
from core import clock as app_clock
from org.models import Region
from reports.models import MandatoryReport
from stats import services as stats_services
from stats.models import RegionSnapshot
from stats.workbook import build_statistics_workbook
from tests.clock import years_before
from tests.factories import (
    BEIBEI,
    CHENGUANG,
    JINGGUAN,
    TIANSHENG,
    XINGCHENG,
    XINXINGLU,
    ZHIDA,
    make_child,
    region,
    trained_on,
)
from visits.models import Visit

pytestmark = pytest.mark.calendar

TODAY = app_clock.today()
DAY = datetime.timedelta(days=1)


def born(age: int) -> datetime.date:
    """A birth date giving `age` years on TODAY."""
    return years_before(TODAY, age) - datetime.timedelta(days=30)


def report(village_code: str, by, situations, stage="reported", **extra):
    now = app_clock.now()
    return MandatoryReport.objects.create(
        village=region(village_code),
        region_code=village_code,
        situations=situations,
        found_at=now,
        reporter=by,
        stage=stage,
        stage_since=now,
        **extra,
    )


@pytest.fixture
def fixture(people):
    """Children of 北碚区 (静观镇: 志达, 兴城; 天生街道: 新星路) and one of 秀山县.

    Counted on TODAY: c1, c2, c3, c4 and c7 (closed today). Not counted: c5 (closed
    yesterday), c8 (registered tomorrow), c6 (another district)."""
    director, neighbour, civil = people["director"], people["neighbour"], people["civil"]
    c = {}
    c["c1"] = make_child(
        director,
        ZHIDA,
        name="甲",
        gender="M",
        birth_date=born(11),
        categories=["rural_left_behind", "poverty"],
        schooling="primary",
        guardian_type="grandparents",
        guardianship_quality="good",
    )
    c["c2"] = make_child(
        director,
        ZHIDA,
        name="乙",
        gender="F",
        birth_date=born(6),
        categories=["rural_left_behind"],
        schooling="kindergarten",
        guardian_type="relatives",
        guardianship_quality="fair",
    )
    c["c3"] = make_child(
        neighbour,
        XINGCHENG,
        name="丙",
        gender="M",
        birth_date=born(17),
        categories=["orphan"],
        schooling="senior",
        boarding=True,
        guardian_type="relatives",
        guardianship_quality="good",
    )
    c["c4"] = make_child(
        civil,
        XINXINGLU,
        name="丁",
        gender="F",
        birth_date=born(2),
        categories=["disability_illness"],
        schooling="pre_kindergarten",
        guardian_type="grandparents",
        guardianship_quality="good",
    )
    c["c5"] = make_child(
        director, ZHIDA, name="戊", gender="M", birth_date=born(9), categories=["rural_left_behind"]
    )
    c["c6"] = make_child(
        people["other_director"],
        CHENGUANG,
        name="己",
        gender="M",
        birth_date=born(9),
        categories=["rural_left_behind"],
    )
    c["c7"] = make_child(
        director,
        ZHIDA,
        name="庚",
        gender="M",
        birth_date=born(13),
        categories=["rural_left_behind"],
        schooling="junior",
        guardian_type="grandparents",
        guardianship_quality="poor",
    )
    c["c8"] = make_child(civil, XINXINGLU, name="辛", gender="F", birth_date=born(9),
                         categories=["poverty"])  # fmt: skip
    Child.objects.update(created_at=app_clock.now() - 30 * DAY)  # registered a month ago
    Child.objects.filter(pk=c["c5"].pk).update(status="closed", closed_on=TODAY - DAY)
    Child.objects.filter(pk=c["c7"].pk).update(status="closed", closed_on=TODAY)
    Child.objects.filter(pk=c["c8"].pk).update(created_at=app_clock.now() + 2 * DAY)

    # Visit compliance (rule: active children now): c1 visited at home this month.
    Visit.objects.create(child=c["c1"], author=director, kind="home_visit", visit_date=TODAY,
                         seen="祖父")  # fmt: skip

    # Mandatory reports filed on or before TODAY: r1 (静观镇, two situations, overdue), r2
    # (天生街道, closed). Not counted: r3 (秀山县), r4 (filed tomorrow).
    report(ZHIDA, director, ["missing", "domestic_violence"],
           next_due_at=app_clock.now() - DAY)  # fmt: skip
    report(XINXINGLU, civil, ["missing"], stage="closed")
    report(CHENGUANG, people["other_director"], ["missing"])
    r4 = report(ZHIDA, director, ["begging"])
    MandatoryReport.objects.filter(pk=r4.pk).update(created_at=app_clock.now() + 2 * DAY)

    def aid(child, kind, status, started, ended=None, amount=None):
        return Assistance.objects.create(child=child, created_by=director, kind=kind,
                                         status=status, started_on=started, ended_on=ended,
                                         amount=amount)  # fmt: skip

    aid(c["c1"], "dibao", "granted", TODAY - 100 * DAY, amount=300)
    aid(c["c2"], "dibao", "granted", TODAY - 50 * DAY, TODAY - DAY, amount=200)  # ended
    aid(c["c4"], "dibao", "granted", TODAY - 20 * DAY, amount=100)
    aid(c["c3"], "medical", "applying", TODAY - 10 * DAY)
    aid(c["c1"], "education", "granted", TODAY + DAY, amount=50)  # starts tomorrow
    aid(c["c6"], "dibao", "granted", TODAY - 100 * DAY, amount=999)  # other district
    return c


def build(user, code, on=TODAY):
    out = io.BytesIO()
    with translation.override("en"):
        result = build_statistics_workbook(user=user, area=region(code), on=on, out=out)
    out.seek(0)
    return result, load_workbook(out)


def table(sheet, header_first: str, occurrence: int = 1):
    """The rows of the table whose header row starts with `header_first`: {first cell: row}
    keyed by the header's cells."""
    rows = list(sheet.iter_rows(values_only=True))
    seen = 0
    for index, row in enumerate(rows):
        if row and row[0] == header_first:
            seen += 1
            if seen == occurrence:
                header = row
                body = {}
                for line in rows[index + 1 :]:
                    if not line or line[0] is None:
                        break
                    body[line[0]] = dict(zip(header, line, strict=False))
                return body
    raise AssertionError(f"no table headed {header_first!r} in {sheet.title}")


@pytest.mark.django_db
def test_the_district_workbook_matches_the_hand_computed_figures(people, fixture):
    result, book = build(people["civil"], BEIBEI)
    assert book.sheetnames == [
        "About this workbook",
        "Children by category",
        "Gender and age",
        "Guardianship",
        "Schooling",
        "Visit compliance",
        "Mandatory reports",
        "Assistance",
        "Staff and training",
    ]
    assert result.sheets == 9
    jingguan, tiansheng = region(JINGGUAN).name, region(TIANSHENG).name

    cats = table(book["Children by category"], "Town/street")
    # 静观镇: c1 (left-behind + poverty), c2, c3 (orphan), c7 (closed today, still counted).
    assert cats[jingguan]["Rural left-behind"] == 3
    assert cats[jingguan]["In difficulty: poverty"] == 1
    assert cats[jingguan]["Orphan (scattered)"] == 1
    assert cats[jingguan]["Children (distinct)"] == 4
    assert cats[tiansheng]["In difficulty: disability or serious illness"] == 1
    assert cats[tiansheng]["In difficulty: poverty"] == 0  # c8 registered after the date
    assert cats[tiansheng]["Children (distinct)"] == 1
    assert cats["Total"]["Rural left-behind"] == 3
    assert cats["Total"]["Children (distinct)"] == 5  # 6 category memberships, 5 children
    assert cats["Total"]["Without a category"] == 0
    included = [fixture[k].pk for k in ("c1", "c2", "c3", "c4", "c7")]
    assert (
        cats["Total"]["Key children"] == Child.objects.filter(pk__in=included, is_key=True).count()
    )

    ages = table(book["Gender and age"], "Age on the date")
    assert ages["0-2 years"] == {"Age on the date": "0-2 years", "Male": 0, "Female": 1, "Total": 1}
    assert (ages["6-11 years"]["Male"], ages["6-11 years"]["Female"]) == (1, 1)
    assert ages["12-15 years"]["Male"] == 1
    assert ages["16-17 years"]["Male"] == 1
    assert ages["18+ years"]["Total"] == 0
    assert (ages["Total"]["Male"], ages["Total"]["Female"], ages["Total"]["Total"]) == (3, 2, 5)

    sheet = book["Guardianship"]
    types = table(sheet, "Town/street", 1)
    assert types[jingguan]["Grandparents (entrusted)"] == 2  # c1, c7
    assert types[jingguan]["Other relatives (entrusted)"] == 2  # c2, c3
    assert types["Total"]["Grandparents (entrusted)"] == 3
    assert types["Total"]["Total"] == 5
    quality = table(sheet, "Town/street", 2)
    assert (quality[jingguan]["Good"], quality[jingguan]["Fair"], quality[jingguan]["Poor"]) == (
        2,
        1,
        1,
    )
    assert quality["Total"]["Good"] == 3

    sheet = book["Schooling"]
    school = table(sheet, "Town/street", 1)
    assert school[jingguan]["Primary school"] == 1
    assert school[jingguan]["Kindergarten"] == 1
    assert school[jingguan]["Senior middle school"] == 1
    assert school[jingguan]["Junior middle school"] == 1
    assert school[tiansheng]["Not yet in kindergarten"] == 1
    boarding = table(sheet, "Town/street", 2)
    assert boarding["Total"]["Boarding"] == 1

    visits = table(book["Visit compliance"], "Town/street")
    # Children active now: 静观镇 c1, c2, c3; 天生街道 c4, c8. c1 visited at home this month.
    assert visits[jingguan]["Active children"] == 3
    assert visits[jingguan]["Contacted this month"] == 1
    assert visits[jingguan]["Visited at home this quarter"] == 1
    assert visits[jingguan]["Contact compliance (%)"] == 33.3
    assert visits[tiansheng]["Active children"] == 2
    assert visits["Total"]["Active children"] == 5
    assert visits["Total"]["Home-visit compliance (%)"] == 20.0

    sheet = book["Mandatory reports"]
    by_situation = table(sheet, "Situation")
    assert by_situation["Missing"]["Reported"] == 1
    assert by_situation["Missing"]["Closed"] == 1
    assert by_situation["Missing"]["Total"] == 2
    assert by_situation["Suspected domestic violence"]["Total"] == 1
    assert by_situation["Organised begging"]["Total"] == 0  # filed after the date
    assert by_situation["Reports (distinct)"]["Total"] == 2
    by_area = table(sheet, "Town/street")
    assert by_area[jingguan]["Reported"] == 1
    assert by_area[jingguan]["Open with an overdue step"] == 1
    assert by_area[tiansheng]["Closed"] == 1
    assert by_area[tiansheng]["Open with an overdue step"] == 0
    assert by_area["Total"]["Total"] == 2

    aid = table(book["Assistance"], "Type of assistance")
    dibao = aid["Minimum living allowance (低保)"]
    assert dibao["Granted"] == 3
    assert dibao["In force on the date"] == 2
    assert dibao["Children receiving it"] == 2
    assert dibao["Amount in force (yuan)"] == 400.0
    assert aid["Medical assistance"]["Applying"] == 1
    assert aid["Education aid"]["Granted"] == 0  # starts tomorrow
    assert aid["Total (children counted once)"]["Children receiving it"] == 2

    staff = table(book["Staff and training"], "Town/street")
    villages = Region.objects.filter(parent=region(JINGGUAN), level="village").count()
    assert staff[jingguan]["Villages"] == villages
    assert staff[jingguan]["Villages without a director"] == villages - 2
    assert staff[jingguan]["Supervisors"] == people["supervisor"].real_name
    assert staff[jingguan]["Directors and supervisors"] == 3
    # The factories' workers passed their training two months ago: this year, or last year
    # in the first two months of a year.
    this_year = trained_on().year == TODAY.year
    assert staff[jingguan]["Trained this year"] == (3 if this_year else 0)
    assert staff[jingguan]["Trained (%)"] == (100.0 if this_year else 0)
    uncovered = table(book["Staff and training"], "Regions without a worker")
    assert f"{jingguan} · {region(ZHIDA).name}" not in uncovered
    assert len(uncovered) >= villages - 2
    assert all(name.split(" · ")[0] != region(CHENGUANG).parent.name for name in uncovered)


@pytest.mark.django_db
def test_the_staff_sheet_has_a_trained_rate_for_every_town(people, fixture):
    """A town without staff shows 0 trained and "—" for 培训率 (its row has as many cells as
    the header), read back from the saved .xlsx, in Chinese as exported."""
    out = io.BytesIO()
    with translation.override("zh-hans"):
        build_statistics_workbook(user=people["civil"], area=region(BEIBEI), on=TODAY, out=out)
    out.seek(0)
    sheet = load_workbook(out)["工作人员与培训"]
    staff = table(sheet, "乡镇（街道）")
    assert len(staff) == Region.objects.filter(parent=region(BEIBEI), level="town").count() + 1
    header = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "乡镇（街道）")
    width = len([h for h in header if h is not None])
    assert width == 7 and header[6] == "培训率（%）"
    for name, row in staff.items():
        cells = [row.get(h) for h in header[:width]]
        if name != "合计":
            assert all(c is not None and c != "" for c in cells), (name, cells)
    tiansheng = staff[region(TIANSHENG).name]
    assert (tiansheng["儿童主任和儿童督导员"], tiansheng["本年度已培训"]) == (0, 0)
    assert tiansheng["培训率（%）"] == "—"
    assert staff[region(JINGGUAN).name]["培训率（%）"] in (100.0, 0.0)
    assert isinstance(staff["合计"]["培训率（%）"], int | float)


@pytest.mark.django_db
def test_a_town_workbook_breaks_down_by_village(people, fixture):
    _result, book = build(people["supervisor"], JINGGUAN)
    cats = table(book["Children by category"], "Village/community")
    zhida, xingcheng = region(ZHIDA).name, region(XINGCHENG).name
    assert cats[zhida]["Rural left-behind"] == 3
    assert cats[zhida]["Children (distinct)"] == 3
    assert cats[xingcheng]["Orphan (scattered)"] == 1
    assert cats["Total"]["Children (distinct)"] == 4  # nothing of 天生街道
    staff = book["Staff and training"]
    town = table(staff, "Town/street")
    assert town[region(JINGGUAN).name]["Directors and supervisors"] == 3
    directors = table(staff, "Village/community")
    assert directors[zhida]["Directors"] == 1
    assert directors[zhida]["Names"] == people["director"].real_name
    reports = table(book["Mandatory reports"], "Situation")
    assert reports["Reports (distinct)"]["Total"] == 1


@pytest.mark.django_db
def test_an_earlier_date_counts_what_existed_then(people, fixture):
    # Yesterday: c5 (closed yesterday) still counts, c7 (closed today) too.
    _result, book = build(people["supervisor"], JINGGUAN, on=TODAY - DAY)
    cats = table(book["Children by category"], "Village/community")
    assert cats[region(ZHIDA).name]["Rural left-behind"] == 4  # c1, c2, c5, c7


def _more_data(people, n: int) -> None:
    for i in range(n):
        child = make_child(people["director"], ZHIDA, name=f"多{i}", birth_date=born(5 + i),
                           categories=["rural_left_behind", "poverty"])  # fmt: skip
        Visit.objects.create(child=child, author=people["director"], kind="phone",
                             visit_date=TODAY)  # fmt: skip
        Assistance.objects.create(child=child, created_by=people["director"], kind="dibao",
                                  status="granted", started_on=TODAY, amount=10)  # fmt: skip
        report(ZHIDA, people["director"], ["missing"])


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_data(people, fixture):
    build(people["civil"], BEIBEI)  # warm the per-user scope and content-type caches
    with CaptureQueriesContext(connection) as small:
        build(people["civil"], BEIBEI)
    _more_data(people, 6)
    with CaptureQueriesContext(connection) as large:
        build(people["civil"], BEIBEI)
    assert len(large) == len(small), (len(small), len(large))
    assert len(small) <= 25


def _compliance(book):
    sheet = book["Visit compliance"]
    notes = [r[0] for r in sheet.iter_rows(values_only=True) if r and r[0]]
    return table(sheet, "Town/street"), [n for n in notes if str(n).startswith("As counted")]


@pytest.mark.django_db
def test_compliance_comes_from_a_fresh_snapshot_and_says_when(people, fixture):
    jingguan = region(JINGGUAN).name
    taken = app_clock.now() - datetime.timedelta(minutes=5)
    stats_services.snapshot_regions(today=TODAY, now=taken)
    # A contact after the snapshot: the live figure moves, the snapshot's does not.
    Visit.objects.create(child=fixture["c2"], author=people["director"], kind="phone",
                         visit_date=TODAY)  # fmt: skip
    _result, book = build(people["civil"], BEIBEI)
    visits, notes = _compliance(book)
    assert visits[jingguan]["Contacted this month"] == 1  # as snapshotted
    assert visits["Total"]["Active children"] == 5
    assert len(notes) == 1
    # Another day's workbook, or a stale snapshot: counted live.
    RegionSnapshot.objects.update(taken_at=taken - datetime.timedelta(days=1))
    _result, book = build(people["civil"], BEIBEI)
    visits, notes = _compliance(book)
    assert visits[jingguan]["Contacted this month"] == 2
    assert notes == []
