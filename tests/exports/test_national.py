"""Exports for the national children's welfare information system (issue 16, section 4): the
national columns of the roster template, the ledger, the "changes since the last export" mode
(a registration, an edit with its fields named, a closure), masking, scoping, the access log,
the page and the API, and a job whose query count does not grow with the children."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from children import national
from children.closing import child_close
from children.models import AccessLog, Child
from children.registration import child_save
from children.roster_columns import COLUMNS, COLUMNS_BY_KEY, ROSTER_SHEET
from children.roster_writing import write_template
from core import clock as app_clock
from core.spreadsheets import MARKED_FILL
from exports import jobs, services
from exports.models import ExportJob, ExportStatus, NationalExport
from tests.factories import (
    BEIBEI,
    JINGGUAN,
    TIANSHENG,
    XINGCHENG,
    XINXINGLU,
    ZHIDA,
    child_input,
    make_child,
)

TODAY = app_clock.today()
API = "/api/v1/exports/"
LEDGER_API = "/api/v1/national-exports/"
HEADERS = [c.header for c in COLUMNS]
ID = HEADERS.index(COLUMNS_BY_KEY["id_number"].header)
NAME = HEADERS.index(COLUMNS_BY_KEY["name"].header)
CHANGE = len(HEADERS)
FIELDS = CHANGE + 1
NOTE = CHANGE + 2


def grant_full_ids(user) -> None:
    user.user_permissions.add(Permission.objects.get(codename="export_identifier"))
    for attr in [a for a in vars(user) if a.startswith("_perm_cache") or a.startswith("_user_")]:
        delattr(user, attr)


def export(user, area=JINGGUAN, mode="full") -> ExportJob:
    job = services.export_request(
        user=user, kind="national", area_code=area, params={"mode": mode}, today=TODAY
    )
    built = jobs.run_export(job.pk)
    assert built is not None
    assert built.status == ExportStatus.DONE, built.message
    return built


def sheet_rows(job: ExportJob) -> list[list[object]]:
    with job.file.open("rb") as handle:
        book = load_workbook(handle)
    assert book.sheetnames == [national.SHEET]
    return [list(row) for row in book[national.SHEET].iter_rows(values_only=True)]


def filled(job: ExportJob) -> set[tuple[str, str]]:
    """(child's name, header) of the cells filled as changed."""
    with job.file.open("rb") as handle:
        sheet = load_workbook(handle)[national.SHEET]
    marked = set()
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.fill.fgColor.rgb.endswith(MARKED_FILL.fgColor.rgb[-6:]) and cell.fill.fill_type:
                marked.add((row[NAME].value, HEADERS[cell.column - 1]))
    return marked


def later(minutes: int = 5):
    """Move the frozen clock on (history rows and the ledger's instants keep their order)."""
    return time_machine.travel(app_clock.now() + datetime.timedelta(minutes=minutes), tick=True)


def template_headers() -> list[str]:
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    sheet = load_workbook(buffer)[ROSTER_SHEET]
    return [cell.value for cell in next(sheet.iter_rows(max_row=1))]


# --- Every child ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_full_export_has_the_templates_national_columns(people):
    first = make_child(people["director"], ZHIDA, name="张小明")
    second = make_child(people["neighbour"], XINGCHENG, name="李小红", gender="F")
    make_child(people["civil"], XINXINGLU, name="王小刚")  # another town of the district
    job = export(people["supervisor"])

    rows = sheet_rows(job)
    assert rows[0] == template_headers() == HEADERS
    assert sorted(row[NAME] for row in rows[1:]) == ["张小明", "李小红"]
    by_name = {row[NAME]: row for row in rows[1:]}
    # No permission to export identifiers: masked, as the roster export masks them.
    assert by_name["张小明"][ID] == first.id_masked != first.id_number
    assert by_name["李小红"][HEADERS.index("性别")] == "女"
    assert by_name["李小红"][HEADERS.index("所在村（社区）区划代码")] == XINGCHENG
    # Phone numbers masked like them (issue 19).
    assert by_name["张小明"][HEADERS.index("父亲联系电话")] == "138****2222"
    assert job.row_count == 2

    entry = NationalExport.objects.get()
    assert (entry.job, entry.area.code, entry.mode, entry.children) == (job, JINGGUAN, "full", 2)
    assert entry.exported_by == people["supervisor"] and entry.since is None
    assert entry.full_ids is False
    assert entry.file_name == job.download_name() == f"national-full-{JINGGUAN}-{TODAY}.xlsx"
    assert {second.pk, first.pk} == set(
        AccessLog.objects.filter(user=people["supervisor"], child__isnull=False).values_list(
            "child_id", flat=True
        )
    )


@pytest.mark.django_db
def test_full_ids_only_with_the_export_permission(people):
    child = make_child(people["director"])
    grant_full_ids(people["civil"])
    job = export(people["civil"], area=BEIBEI)
    assert sheet_rows(job)[1][ID] == child.id_number
    assert sheet_rows(job)[1][HEADERS.index("父亲联系电话")] == "13800002222"
    assert NationalExport.objects.get().full_ids is True
    logged = AccessLog.objects.get(user=people["civil"], child=child)
    assert logged.scope.endswith("ids=full") and logged.row_count == 1


@pytest.mark.django_db
def test_a_closed_child_is_not_in_the_full_export(people):
    kept = make_child(people["director"], name="张小明")
    gone = make_child(people["director"], name="李小红", gender="F")
    child_close(by=people["director"], child=gone, reason="moved_away", closed_on=TODAY,
                new_address="重庆市渝北区")  # fmt: skip
    rows = sheet_rows(export(people["supervisor"]))
    assert [row[NAME] for row in rows[1:]] == [kept.name]


# --- Changes since the last export ---------------------------------------------------------


@pytest.mark.django_db
def test_the_changes_since_the_last_export(people):
    edited = make_child(people["director"], ZHIDA, name="张小明")
    closed = make_child(people["director"], ZHIDA, name="李小红", gender="F")
    untouched = make_child(people["neighbour"], XINGCHENG, name="赵小强")
    first = export(people["supervisor"])

    with later(5):
        new = make_child(people["director"], ZHIDA, name="王小芳", gender="F")
        data = child_input(
            id_number=edited.id_number,
            name="张小明",
            school_name="静观中学",
            schooling="junior",
            parents={"father": {"name": "张建国", "status": "working_away",
                                "work_province": "广东", "work_city": "深圳",
                                "phone": "13800002222", "id_number": "", "missing_since": None}},
        )  # fmt: skip
        child_save(by=people["director"], data=data, instance=edited)
        child_close(by=people["director"], child=closed, reason="moved_away", closed_on=TODAY,
                    new_address="重庆市渝北区")  # fmt: skip
        # Saved again without a change of what the national form says: not a change.
        again = Child.objects.get(pk=untouched.pk)
        child_save(by=people["neighbour"], data=child_input(
            XINGCHENG, id_number=untouched.id_number, name="赵小强",
            psychological_note="已回访"), instance=again)  # fmt: skip
    with later(10):
        job = export(people["supervisor"], mode="changes")

    rows = sheet_rows(job)
    assert rows[0] == [*HEADERS, "变更类型", "变更字段", "说明"]
    body = {row[NAME]: row for row in rows[1:]}
    assert list(body) == ["王小芳", "张小明", "李小红"]  # new, changed, closed
    assert body["王小芳"][CHANGE] == "新增" and body["王小芳"][FIELDS] in ("", None)
    assert body["王小芳"][ID] == new.id_masked
    assert body["张小明"][CHANGE] == "变更"
    assert body["张小明"][FIELDS] == "父亲务工城市、就学状况、学校名称"  # in column order
    assert body["张小明"][HEADERS.index("学校名称")] == "静观中学"
    assert filled(job) == {("张小明", h) for h in ("父亲务工城市", "就学状况", "学校名称")}
    assert body["李小红"][CHANGE] == "注销"
    assert body["李小红"][NOTE] == f"迁出 {TODAY:%Y-%m-%d}"  # the reason and the day
    assert body["李小红"][ID] == closed.id_masked

    first_entry, second_entry = NationalExport.objects.order_by("as_of")
    assert first_entry.job == first and second_entry.job == job
    assert second_entry.since == first_entry and second_entry.mode == "changes"
    assert (second_entry.children, second_entry.new_count, second_entry.changed_count,
            second_entry.closed_count) == (3, 1, 1, 1)  # fmt: skip
    assert job.row_count == 3
    logged = set(
        AccessLog.objects.filter(scope__contains=f"job {job.pk}", child__isnull=False).values_list(
            "child_id", flat=True
        )
    )
    assert logged == {new.pk, edited.pk, closed.pk}

    # Nothing changed since: an empty sheet, relative to the latest row.
    with later(15):
        nothing = export(people["supervisor"], mode="changes")
    assert sheet_rows(nothing) == [[*HEADERS, "变更类型", "变更字段", "说明"]]
    assert NationalExport.objects.get(job=nothing).since == second_entry


@pytest.mark.django_db
def test_a_child_moved_to_another_town_leaves_the_towns_changes(people):
    child = make_child(people["director"], ZHIDA, name="张小明")
    export(people["supervisor"])
    export(people["civil"], area=BEIBEI)
    with later(5):
        moved = child_input(XINXINGLU, id_number=child.id_number, name="张小明")
        child_save(by=people["civil"], data=moved, instance=Child.objects.get(pk=child.pk))
    with later(10):
        town = sheet_rows(export(people["supervisor"], mode="changes"))
        district = sheet_rows(export(people["civil"], area=BEIBEI, mode="changes"))
    assert [(r[NAME], r[CHANGE], r[NOTE]) for r in town[1:]] == [("张小明", "注销", "已不在本区域")]
    assert [(r[NAME], r[CHANGE]) for r in district[1:]] == [("张小明", "变更")]
    assert "所在村（社区）区划代码" in district[1][FIELDS]


@pytest.mark.django_db
def test_changes_need_an_earlier_export_of_the_same_region(people, login):
    make_child(people["director"])
    export(people["civil"], area=BEIBEI)  # the district, not the town
    client = login(people["supervisor"])
    response = client.post(reverse("exports:national_new"), {"area": JINGGUAN, "mode": "changes"})
    assert response.status_code == 400
    assert "mode" in response.context["form"].errors
    api = client.post(
        API, {"kind": "national", "area": JINGGUAN, "mode": "changes"},
        content_type="application/json",
    )  # fmt: skip
    assert api.status_code == 400 and "mode" in api.json()
    assert ExportJob.objects.filter(area__code=JINGGUAN).count() == 0


# --- Scoping -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_supervisor_exports_only_her_town(people):
    make_child(people["civil"], XINXINGLU)  # 天生街道, another town
    for area in (BEIBEI, TIANSHENG):
        with pytest.raises(Http404):
            services.export_request(user=people["supervisor"], kind="national", area_code=area,
                                    params={"mode": "full"}, today=TODAY)  # fmt: skip
    assert sheet_rows(export(people["supervisor"]))[1:] == []


@pytest.mark.django_db
def test_another_district_gets_404_and_directors_are_refused(people, login):
    make_child(people["director"])
    client = login(people["other_civil"])
    response = client.post(reverse("exports:national_new"), {"area": BEIBEI, "mode": "full"})
    assert response.status_code == 404
    api = client.post(API, {"kind": "national", "area": BEIBEI}, content_type="application/json")
    assert api.status_code == 404
    assert not ExportJob.objects.exists()
    director = login(people["director"])
    assert director.get(reverse("exports:national_new")).status_code == 403
    assert director.get(reverse("exports:national_ledger")).status_code == 403
    assert director.get(LEDGER_API).status_code == 403


@pytest.mark.django_db
def test_the_ledger_shows_the_regions_in_scope_by_anyone(people, login):
    make_child(people["director"])
    town = export(people["supervisor"])
    with later(5):
        district = export(people["civil"], area=BEIBEI)

    civil = login(people["civil"]).get(reverse("exports:national_ledger"))
    assert [row.job for row in civil.context["rows"]] == [district, town]
    assert reverse("exports:download", args=[district.pk]).encode() in civil.content
    # The supervisor's file is listed, but only she downloads it.
    assert reverse("exports:download", args=[town.pk]).encode() not in civil.content
    assert town.download_name().encode() in civil.content

    supervisor = login(people["supervisor"]).get(LEDGER_API).json()
    rows = supervisor["results"] if isinstance(supervisor, dict) else supervisor
    assert [row["job"] for row in rows] == [str(town.pk)]  # not the district's
    assert rows[0]["mode"] == "full" and rows[0]["children"] == 1
    assert rows[0]["exported_by"] == "supervisor"
    assert rows[0]["download_url"].endswith(f"{API}{town.pk}/download/")

    other = login(people["other_civil"])
    listing = other.get(LEDGER_API).json()
    assert (listing["results"] if isinstance(listing, dict) else listing) == []
    entry = NationalExport.objects.get(job=town)
    assert other.get(f"{LEDGER_API}{entry.pk}/").status_code == 404
    assert other.get(reverse("exports:national_ledger")).context["rows"] == []


# --- Page and API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_starts_an_export_linked_from_the_exports_page(
    people, login, django_capture_on_commit_callbacks
):
    make_child(people["director"])
    client = login(people["supervisor"])
    listing = client.get(reverse("exports:list"))
    assert reverse("exports:national_new").encode() in listing.content
    page = client.get(reverse("exports:national_new"))
    assert [c[0] for c in page.context["form"].fields["area"].widget.choices] == [JINGGUAN]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports:national_new"), {"area": JINGGUAN, "mode": "full"})
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("exports:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.kind == "national" and job.status == ExportStatus.DONE
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    assert AccessLog.objects.filter(scope__startswith=f"national download {JINGGUAN}").count() == 1


@pytest.mark.django_db
def test_the_api_queues_a_national_export(people, login, django_capture_on_commit_callbacks):
    make_child(people["director"])
    client = login(people["civil"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            API, {"kind": "national", "area": BEIBEI, "mode": "full"},
            content_type="application/json",
        )  # fmt: skip
    assert response.status_code == 202
    body = client.get(response["Location"]).json()
    assert body["kind"] == "national" and body["mode"] == "full" and body["status"] == "done"
    ledger = client.get(LEDGER_API, {"area": BEIBEI}).json()
    rows = ledger["results"] if isinstance(ledger, dict) else ledger
    assert [row["job"] for row in rows] == [body["id"]]
    assert client.get(LEDGER_API, {"area": JINGGUAN}).json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )
    with translation.override("en"):
        bad = client.post(API, {"kind": "national", "area": BEIBEI, "mode": "all"},
                          content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "mode" in bad.json()


# --- Queries -------------------------------------------------------------------------------


NAMES = "一二三四五六七八九十"


def _children(people, count: int, start: int) -> list[Child]:
    return [
        make_child(people["director"], name=f"张{NAMES[(start + index) % 10]}")
        for index in range(count)
    ]


def _regrade(people, children, grade: str) -> None:
    for child in children:
        data = child_input(id_number=child.id_number, name=child.name, grade=grade)
        child_save(by=people["director"], data=data, instance=child)


def _queries(mode: str, user) -> tuple[int, ExportJob]:
    with CaptureQueriesContext(connection) as captured:
        job = export(user, mode=mode)
    return len(captured), job


@pytest.mark.django_db
def test_the_build_reads_a_fixed_number_of_queries(people, django_assert_max_num_queries):
    """The same number of queries for 2 children as for 12, in either mode (the job's
    request, claim, build, ledger and access log included)."""
    supervisor = people["supervisor"]
    _children(people, 2, 0)
    small, _job = _queries("full", supervisor)
    with later(5):
        _children(people, 10, 2)
    with later(10), django_assert_max_num_queries(small):
        big = export(supervisor)
    assert big.row_count == 12

    with later(15):
        changed = list(Child.objects.order_by("pk")[:2])
        _regrade(people, changed, "六年级")
    with later(20):
        few_queries, few = _queries("changes", supervisor)
    assert few.row_count == 2
    with later(25):
        _regrade(people, Child.objects.exclude(pk__in=[c.pk for c in changed]), "四年级")
    with later(30), django_assert_max_num_queries(few_queries):
        many = export(supervisor, mode="changes")
    assert many.row_count == 10


@pytest.mark.django_db
def test_a_change_of_categories_is_named(people):
    child = make_child(people["director"], name="张小明")
    export(people["supervisor"])
    with later(5):
        data = child_input(id_number=child.id_number, name="张小明",
                           categories=["rural_left_behind", "poverty"])  # fmt: skip
        child_save(by=people["director"], data=data, instance=child)
    with later(10):
        rows = sheet_rows(export(people["supervisor"], mode="changes"))
    assert [(r[NAME], r[CHANGE], r[FIELDS]) for r in rows[1:]] == [("张小明", "变更", "儿童类别")]


@pytest.mark.django_db
def test_the_purge_deletes_the_file_and_the_ledger_keeps_the_row(people, login):
    make_child(people["director"])
    job = export(people["supervisor"])
    name = job.file.name
    assert default_storage.exists(name)
    assert jobs.purge_expired(app_clock.now() + datetime.timedelta(days=8)) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not default_storage.exists(name)
    entry = NationalExport.objects.get()
    assert entry.job == job and entry.children == 1
    page = login(people["supervisor"]).get(reverse("exports:national_ledger"))
    assert reverse("exports:download", args=[job.pk]).encode() not in page.content
    assert entry.file_name.encode() in page.content
    # The next changes export is still relative to it.
    with later(5):
        later_job = export(people["supervisor"], mode="changes")
    assert NationalExport.objects.get(job=later_job).since == entry


@pytest.mark.django_db
def test_the_ledger_page_query_count_is_constant_and_in_chinese(
    people, login, django_assert_max_num_queries
):
    make_child(people["director"])
    client = login(people["civil"])
    for minutes in (1, 2):
        with later(minutes):
            export(people["civil"], area=BEIBEI)
    with django_assert_max_num_queries(12), translation.override("zh-hans"):
        small = client.get(reverse("exports:national_ledger"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    for minutes in range(3, 9):
        town = minutes % 2 == 1
        with later(minutes):
            export(
                people["supervisor"] if town else people["civil"],
                area=JINGGUAN if town else BEIBEI,
                mode="changes" if minutes > 4 else "full",
            )
    with django_assert_max_num_queries(12), translation.override("zh-hans"):
        large = client.get(reverse("exports:national_ledger"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert len(small.context["rows"]) == 2 and len(large.context["rows"]) == 8
    assert "全国系统报送台账" in large.content.decode()
