"""Roster import: the template, the dry run, the commit and its guarantees."""

from __future__ import annotations

import datetime
import io
import os
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from children import crypto, idnumber, roster_columns
from children.choices import (
    CarerCapacity,
    Category,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Health,
    ParentStatus,
    Schooling,
)
from children.fields import CHILD_FIELDS, PARENT_FIELDS
from children.models import AccessAction, AccessLog, Child, Parent
from children.models_roster import RosterImport, RosterImportStatus
from children.roster_reading import Lookups
from core import clock as app_clock
from core import spreadsheets
from tests.factories import CHENGUANG, XINGCHENG, ZHIDA, make_child, make_id

BIRTH = datetime.date(2015, 3, 8)
H = {c.key: c.header for c in roster_columns.COLUMNS}


def zh(choices: Any, code: str) -> str:
    return roster_columns.zh_labels(choices)[code]


def good_row(id_number: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A complete valid row, keyed by column key."""
    row: dict[str, Any] = {
        "name": "张小明",
        "gender": zh(Gender, "M"),
        "ethnicity": "汉族",
        "id_number": id_number if id_number is not None else make_id(BIRTH, "M"),
        "birth_date": BIRTH.isoformat(),
        "hukou_address": "重庆市北碚区静观镇",
        "hukou_registered": spreadsheets.YES,
        "address": "重庆市北碚区静观镇志达社区3组",
        "village": ZHIDA,
        "categories": zh(Category, "rural_left_behind"),
        "father_name": "张建国",
        "father_status": zh(ParentStatus, "working_away"),
        "father_work_province": "广东",
        "father_work_city": "东莞",
        "father_phone": "13800002222",
        "mother_name": "李秀英",
        "mother_status": zh(ParentStatus, "working_away"),
        "mother_work_province": "浙江",
        "mother_work_city": "宁波",
        "guardian_type": zh(GuardianType, "grandparents"),
        "carer_name": "张大爷",
        "carer_relation": "祖父",
        "carer_phone": "13900001111",
        "carer_capacity": zh(CarerCapacity, "capable"),
        "entrustment_signed_on": "2026-02-01",
        "guardianship_quality": zh(GuardianshipQuality, "good"),
        "schooling": zh(Schooling, "primary"),
        "school_name": "静观镇中心小学",
        "grade": "五年级",
        "boarding": spreadsheets.NO,
        "health": zh(Health, "healthy"),
        "psychological_concern": spreadsheets.NO,
    }
    row.update(overrides)
    return row


def workbook(rows: list[dict[str, Any]], keys: list[str] | None = None) -> bytes:
    keys = keys or [c.key for c in roster_columns.COLUMNS]
    book = Workbook()
    sheet = book.active
    sheet.append([H[k] for k in keys])
    for row in rows:
        sheet.append([row.get(k) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "名册.xlsx"):
    return client.post(
        reverse("children:import"), {"file": SimpleUploadedFile(name, content)}, follow=False
    )


def preview(client, content: bytes) -> RosterImport:
    response = upload(client, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    record = RosterImport.objects.latest("pk")
    assert response["Location"] == reverse("children:import_preview", args=[record.pk])
    return record


def errors_at(record: RosterImport) -> set[tuple[int, str]]:
    return {(e["row"], e["column"]) for e in record.errors}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded rosters go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def civil(client, people):
    client.force_login(people["civil"])
    return client


def test_template_downloads_with_the_headers(civil):
    response = civil.get(reverse("children:import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book[roster_columns.ROSTER_SHEET]
    assert [cell.value for cell in sheet[1]] == [c.header for c in roster_columns.COLUMNS]
    id_letter = sheet.cell(
        row=1, column=[c.key for c in roster_columns.COLUMNS].index("id_number") + 1
    )
    assert sheet.cell(row=2, column=id_letter.column).number_format == "@"
    notes = book[roster_columns.NOTES_SHEET]
    listed = {row[0] for row in notes.iter_rows(min_row=2, values_only=True)}
    assert {c.header for c in roster_columns.COLUMNS} <= listed
    assert sheet.data_validations.dataValidation  # drop-down lists for the choice columns


def test_the_template_itself_imports_as_an_empty_roster(civil):
    template = b"".join(civil.get(reverse("children:import_template")).streaming_content)
    record = preview(civil, template)
    assert record.row_count == 0
    assert record.errors and record.errors[0]["row"] == 0  # "no children below the header"


def test_directors_and_supervisors_cannot_import(client, people):
    for who in ("director", "supervisor", "nobody"):
        client.force_login(people[who])
        assert client.get(reverse("children:import")).status_code == 403
        assert client.get(reverse("children:import_template")).status_code == 403
        assert upload(client, workbook([good_row()])).status_code == 403
    assert not RosterImport.objects.exists()


def test_dry_run_lists_every_bad_row_and_saves_nothing(civil):
    first = good_row()
    bad_checksum = first["id_number"][:17] + ("0" if first["id_number"][17] != "0" else "1")
    rows = [
        first,  # row 2: good
        good_row(id_number=bad_checksum),  # row 3
        good_row(id_number=1.1e17),  # row 4: a number cell
        good_row(id_number=first["id_number"]),  # row 5: the same child again
        good_row(village=CHENGUANG),  # row 6: another district's village
        good_row(id_number="1.1E+17"),  # row 7: the number as Excel shows it
        good_row(gender="?"),  # row 8: not an allowed value
    ]
    record = preview(civil, workbook(rows))
    assert record.status == RosterImportStatus.PREVIEWED
    assert not record.can_commit
    assert record.row_count == 7
    found = errors_at(record)
    assert {(3, H["id_number"]), (4, H["id_number"]), (5, H["id_number"])} <= found
    assert {(6, H["village"]), (7, H["id_number"]), (8, H["gender"])} <= found
    assert not any(row == 2 for row, _column in found)
    with pytest.raises(ValidationError) as exc:
        idnumber.parse("1.1E+17")
    float_message = exc.value.messages[0]
    messages = {(e["row"]): e["message"] for e in record.errors if e["column"] == H["id_number"]}
    assert messages[4] == float_message and messages[7] == float_message
    assert record.new_count == 1  # the good row would be new
    assert not Child.objects.exists()
    assert not Parent.objects.exists()

    page = civil.get(reverse("children:import_preview", args=[record.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    for row in (3, 4, 5, 6, 7, 8):
        assert f'data-row="{row}"' in body
    assert 'data-testid="commit"' not in body

    refused = civil.post(reverse("children:import_commit", args=[record.pk]))
    assert refused.status_code == 302
    assert not Child.objects.exists()
    record.refresh_from_db()
    assert record.status == RosterImportStatus.PREVIEWED


def test_a_missing_column_is_named(civil):
    keys = [c.key for c in roster_columns.COLUMNS if c.key != "guardian_type"]
    record = preview(civil, workbook([good_row()], keys=keys))
    assert record.errors[0]["row"] == 0
    assert H["guardian_type"] in record.errors[0]["column"]
    assert H["guardian_type"] in record.errors[0]["message"]
    page = civil.get(reverse("children:import_preview", args=[record.pk])).content.decode()
    assert H["guardian_type"] in page


def test_blank_required_values_and_masked_ids_are_refused(civil, people):
    masked = idnumber.mask(make_id(BIRTH, "M"))
    rows = [good_row(hukou_address=""), good_row(id_number=masked), good_row(schooling=None)]
    record = preview(civil, workbook(rows))
    assert {(2, H["hukou_address"]), (3, H["id_number"]), (4, H["schooling"])} <= errors_at(record)


def test_an_id_registered_in_another_district_is_refused_without_revealing_it(civil, people):
    number = make_id(BIRTH, "M")
    make_child(people["other_director"], CHENGUANG, id_number=number, name="王秘密")
    record = preview(civil, workbook([good_row(id_number=number)]))
    assert errors_at(record) == {(2, H["id_number"])}
    assert "王秘密" not in record.errors[0]["message"]
    assert Child.objects.count() == 1


def test_commit_creates_the_children_and_logs_the_import(civil, people):
    numbers = [make_id(BIRTH, "M"), make_id(BIRTH, "F")]
    rows = [
        good_row(id_number=numbers[0]),
        good_row(
            id_number=numbers[1],
            name="张小红",
            gender="",  # taken from the ID number
            birth_date=None,
            village=XINGCHENG,
            categories=f"{zh(Category, 'rural_left_behind')},{zh(Category, 'poverty')}",
            mother_id_number=make_id(datetime.date(1990, 1, 1), "F").lower(),
        ),
    ]
    record = preview(civil, workbook(rows))
    assert record.errors == []
    assert (record.new_count, record.updated_count, record.unchanged_count) == (2, 0, 0)
    assert not Child.objects.exists()

    response = civil.post(reverse("children:import_commit", args=[record.pk]))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == RosterImportStatus.COMMITTED
    assert record.committed_at is not None
    assert Child.objects.count() == 2
    girl = Child.objects.get(id_hash=crypto.lookup_hash(numbers[1]))
    assert girl.gender == "F" and girl.birth_date == BIRTH
    assert girl.village.code == XINGCHENG
    assert sorted(girl.category_codes()) == ["poverty", "rural_left_behind"]
    assert girl.guardian_type == "grandparents"
    assert girl.entrustment_signed_on == datetime.date(2026, 2, 1)
    mother = girl.parents.get(relation="mother")
    assert mother.status == "working_away"
    assert mother.id_number == mother.id_number.upper()
    assert girl.created_by == people["civil"]
    log = AccessLog.objects.get(action=AccessAction.IMPORT)
    assert log.user == people["civil"] and log.row_count == 2

    again = civil.post(reverse("children:import_commit", args=[record.pk]))
    assert again.status_code == 302
    assert Child.objects.count() == 2  # a committed import is not applied twice


def test_importing_the_same_file_again_changes_nothing(civil):
    content = workbook([good_row(), good_row(name="李四", id_number=make_id(BIRTH, "M"))])
    first = preview(civil, content)
    civil.post(reverse("children:import_commit", args=[first.pk]))
    assert Child.objects.count() == 2
    history = (Child.history.count(), Parent.history.count())
    updated_at = sorted(Child.objects.values_list("updated_at", flat=True))

    second = preview(civil, content)
    assert (second.new_count, second.updated_count, second.unchanged_count) == (0, 0, 2)
    civil.post(reverse("children:import_commit", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == RosterImportStatus.COMMITTED
    assert Child.objects.count() == 2
    assert (Child.history.count(), Parent.history.count()) == history
    assert sorted(Child.objects.values_list("updated_at", flat=True)) == updated_at


def test_a_changed_row_updates_the_child_and_keeps_what_the_file_leaves_out(civil, people):
    number = make_id(BIRTH, "M")
    child = make_child(people["director"], id_number=number, carer_address="志达社区3组")
    keys = [c.key for c in roster_columns.COLUMNS if not c.key.startswith("mother_")]
    row = good_row(id_number=number, school_name="静观中学", grade="初一", schooling=zh(
        Schooling, "junior"
    ))  # fmt: skip
    record = preview(civil, workbook([row], keys=keys))
    assert record.errors == []
    assert (record.new_count, record.updated_count, record.unchanged_count) == (0, 1, 0)
    civil.post(reverse("children:import_commit", args=[record.pk]))
    child.refresh_from_db()
    assert (child.schooling, child.school_name, child.grade) == ("junior", "静观中学", "初一")
    assert child.carer_address == "志达社区3组"  # no column for it: kept
    assert child.parents.get(relation="mother").name == "李秀英"  # no mother columns: kept
    assert child.history.count() == 2


def test_nothing_is_imported_when_a_row_fails_at_commit(civil, people):
    late = make_id(BIRTH, "M")
    record = preview(civil, workbook([good_row(), good_row(id_number=late, name="李四")]))
    assert record.can_commit
    # Between the check and the commit, another district registers the second child.
    make_child(people["other_director"], CHENGUANG, id_number=late)
    civil.post(reverse("children:import_commit", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == RosterImportStatus.FAILED
    assert errors_at(record) == {(3, H["id_number"])}
    assert Child.objects.count() == 1  # only the other district's child
    assert not AccessLog.objects.filter(action=AccessAction.IMPORT).exists()


def test_someone_elses_import_is_not_found(client, people):
    client.force_login(people["civil"])
    record = preview(client, workbook([good_row()]))
    client.force_login(people["other_civil"])
    assert client.get(reverse("children:import_preview", args=[record.pk])).status_code == 404
    assert client.post(reverse("children:import_commit", args=[record.pk])).status_code == 404
    assert not Child.objects.exists()
    client.force_login(people["director"])
    assert client.get(reverse("children:import_preview", args=[record.pk])).status_code == 403


def test_upload_form_refuses_what_is_not_an_xlsx(civil, settings):
    response = civil.post(
        reverse("children:import"), {"file": SimpleUploadedFile("名册.xls", b"not excel")}
    )
    assert response.status_code == 200
    assert 'data-field-error="file"' in response.content.decode()
    fake = civil.post(
        reverse("children:import"), {"file": SimpleUploadedFile("名册.xlsx", b"PK\x03\x04junk")}
    )
    assert 'data-field-error="file"' in fake.content.decode()
    settings.ATTACHMENT_MAX_BYTES = 100
    big = civil.post(reverse("children:import"), {"file": SimpleUploadedFile("a.xlsx", b"x" * 200)})
    assert 'data-field-error="file"' in big.content.decode()
    assert not RosterImport.objects.exists()


def test_the_stored_upload_is_private(civil):
    record = preview(civil, workbook([good_row()]))
    assert record.file.name.startswith("rosters/")
    assert "名册" not in record.file.name
    assert civil.get("/" + record.file.name).status_code == 404  # no URL serves uploads


def test_the_columns_are_the_childs_fields_but_the_named_ones():
    child_keys = {c.key for c in roster_columns.COLUMNS if not c.relation}
    assert child_keys - {"id_number", "village", "categories"} == set(CHILD_FIELDS) - set(
        roster_columns.NOT_IN_ROSTER
    )
    parent_attrs = {c.attr for c in roster_columns.COLUMNS if c.relation}
    assert parent_attrs == set(PARENT_FIELDS) - {"missing_since"}


def test_labels_codes_and_english_labels_are_all_accepted(people):
    lookups = Lookups()
    column = roster_columns.COLUMNS_BY_KEY["guardian_type"]
    with translation.override("en"):
        english = str(GuardianType.GRANDPARENTS.label)
    assert lookups.choice(column, english) == "grandparents"
    assert lookups.choice(column, "grandparents") == "grandparents"
    assert lookups.choice(column, zh(GuardianType, "grandparents")) == "grandparents"
    multi = roster_columns.COLUMNS_BY_KEY["categories"]
    both = f"{zh(Category, 'poverty')}、{zh(Category, 'orphan')}"
    assert lookups.multi(multi, both) == ["poverty", "orphan"]


def test_children_without_an_id_number_match_by_name_birth_and_village(civil, people):
    make_child(people["director"], id_number="", name="王小")
    record = preview(civil, workbook([good_row(id_number="", name="王小")]))
    assert record.errors == []
    assert (record.new_count, record.updated_count, record.unchanged_count) == (0, 0, 1)
    make_child(people["director"], id_number="", name="王小")
    record = preview(civil, workbook([good_row(id_number="", name="王小")]))
    assert errors_at(record) == {(2, H["id_number"])}  # two candidates: ambiguous


def test_a_title_row_above_the_headers_and_unknown_columns_are_tolerated(civil):
    keys = [c.key for c in roster_columns.COLUMNS]
    book = Workbook()
    sheet = book.active
    sheet.append(["农村留守儿童基本情况登记表"])
    sheet.append([*[H[k] for k in keys], "备注"])
    row = good_row()
    sheet.append([*[row.get(k) for k in keys], "随便写"])
    buffer = io.BytesIO()
    book.save(buffer)
    record = preview(civil, buffer.getvalue())
    assert record.errors == []
    assert record.new_count == 1
    assert [w["column"] for w in record.warnings if w["row"] == 0] == ["备注"]


def test_uploaded_workbooks_are_purged(civil, people):
    import datetime as dt

    from children.tasks import purge_roster_uploads

    fresh = preview(civil, workbook([good_row()]))
    old = preview(civil, workbook([good_row()]))
    RosterImport.objects.filter(pk=old.pk).update(
        created_at=app_clock.now() - dt.timedelta(hours=30)
    )
    old_path = RosterImport.objects.get(pk=old.pk).file.path
    assert purge_roster_uploads() == 1
    assert not os.path.exists(old_path)
    assert RosterImport.objects.get(pk=old.pk).file.name == ""
    assert RosterImport.objects.get(pk=fresh.pk).file.name


def test_the_dry_run_reports_every_bad_cell_of_a_row_at_once(civil):
    """A row with a bad cell used to skip the archive's rules: "父亲状况" (a father named
    without his situation) appeared only on the second dry run, once the cell was fixed."""
    rows = [
        good_row(gender="?", father_status="", carer_phone="12"),  # row 2
        good_row(village="500109999999", mother_status=""),  # row 3: a village not in scope
        good_row(ethnicity="火星族", father_status=""),  # row 4
    ]
    record = preview(civil, workbook(rows))
    found = errors_at(record)
    assert {(2, H["gender"]), (2, H["father_status"]), (2, H["carer_phone"])} <= found
    assert {(3, H["village"]), (3, H["mother_status"])} <= found
    assert {(4, H["ethnicity"]), (4, H["father_status"])} <= found
    # Each cell once: the rules do not repeat the parse's message on a cell it refused.
    cells = [(e["row"], e["column"]) for e in record.errors]
    assert len(cells) == len(set(cells)), record.errors
    assert not Child.objects.exists()
