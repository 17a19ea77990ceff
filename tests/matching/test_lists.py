"""Department lists: reading (CSV in GB18030 and UTF-8 with BOM, Excel), the dry run with every
bad row, all or nothing, once per file, exact and name matching, each finding rule."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from children.crypto import lookup_hash
from children.idnumber import check_character
from children.models import Assistance
from core import clock as app_clock
from matching import services
from matching.models import (
    ColumnMapping,
    Finding,
    FindingRuleSet,
    ListImport,
    ListRow,
    Review,
    RuleCode,
)
from matching.reading import legacy_to_18
from matching.sources import SourceKind
from tests.factories import make_id
from tests.matching.conftest import D, csv_file, xlsx_file

pytestmark = pytest.mark.django_db

HEAD = ["姓名", "身份证号码", "出生日期", "村（社区）", "类型", "学校"]


def run(civil, beibei, source, upload, **kw):
    record = services.list_dry_run(by=civil, district=beibei, source=source, upload=upload, **kw)
    assert record.errors == [], record.errors
    record, done = services.list_import(by=civil, pk=record.pk)
    assert done
    return record


def rules_of(record):
    return sorted((f.rule, f.child.name if f.child else f.row.name) for f in record.findings.all())


def test_dropout_list_in_gb18030_matches_by_id_and_finds_the_unregistered(people, archive, beibei):
    kids, ids = archive
    upload = csv_file(
        [
            HEAD,
            ["王小红", ids["pupil"], "", "志达社区", "辍学", "静观小学"],
            ["郑三", ids["xiushan"], "", "", "辍学", ""],  # another district: never matched
            ["新同学", "", "2015-01-02", "兴城社区", "长期缺课", ""],
        ],
        encoding="gb18030",
    )
    record = run(people["civil"], beibei, SourceKind.EDUCATION_DROPOUT, upload)
    assert record.matched_count == 1
    rows = {r.name: r for r in ListRow.objects.filter(list_import=record)}
    assert rows["王小红"].child == kids["pupil"]
    assert rows["郑三"].child is None  # 秀山县's child is untouched by 北碚区's list
    assert not Finding.objects.filter(child=kids["xiushan"]).exists()
    assert rules_of(record) == [
        (RuleCode.DROPOUT, "王小红"),
        (RuleCode.NOT_IN_ARCHIVE, "新同学"),
    ]
    new = record.findings.get(rule=RuleCode.NOT_IN_ARCHIVE)
    assert new.suggested_category == "guardianship"
    assert new.region_code == "500109110005"
    assert new.due_on == app_clock.today() + datetime.timedelta(days=7)
    # ID numbers are stored hashed and masked only.
    assert ids["pupil"] not in str(list(ListRow.objects.values()))
    assert rows["王小红"].id_masked.startswith("500109") and "*" in rows["王小红"].id_masked


def test_utf8_bom_disability_list_name_match_goes_to_review(people, archive, beibei):
    kids, ids = archive
    upload = csv_file(
        [
            ["姓名", "身份证号", "出生日期", "住址", "残疾类别"],
            ["李明", ids["disabled"], "", "志达社区3组", "肢体二级"],
            ["陈小尨", "", "2013-09-09", "重庆市北碚区静观镇志达社区", "视力"],  # one apart
        ],
        bom=True,
    )
    record = run(people["civil"], beibei, SourceKind.DISABILITY, upload)
    assert rules_of(record) == [(RuleCode.DISABILITY, "李明")]
    assert record.review_count == 1
    row = ListRow.objects.get(list_import=record, name="陈小尨")
    assert row.review == Review.PENDING and row.candidate == kids["no_id"]
    assert row.confidence == 80  # one character apart (45) + the same village (35)
    # The review list: district staff confirm; the row's finding follows.
    assert services.review_decide(by=people["civil"], row=row, confirm=True) == 1
    finding = Finding.objects.get(row=row)
    assert finding.rule == RuleCode.DISABILITY and finding.child == kids["no_id"]


def test_rejected_review_is_a_child_not_in_the_archive(people, archive, beibei):
    upload = csv_file([["姓名", "出生日期", "村（社区）"], ["陈小尨", "2013-09-09", "志达社区"]])
    record = run(people["civil"], beibei, SourceKind.DISABILITY, upload)
    row = record.rows.get()
    assert row.review == Review.PENDING and not record.findings.exists()
    services.review_decide(by=people["civil"], row=row, confirm=False)
    assert rules_of(record) == [(RuleCode.NOT_IN_ARCHIVE, "陈小尨")]
    assert record.findings.get().suggested_category == "disability_illness"


def test_same_name_birth_and_village_matches_without_review(people, archive, beibei):
    kids, _ids = archive
    upload = csv_file([["姓名", "出生日期", "村（社区）"], ["陈小龙", "2013-09-09", "志达社区"]])
    record = run(people["civil"], beibei, SourceKind.DISABILITY, upload)
    row = record.rows.get()
    assert row.child == kids["no_id"] and row.method == "name" and row.confidence == 95
    assert rules_of(record) == [(RuleCode.DISABILITY, "陈小龙")]


def test_assistance_xlsx_poverty_and_allowance_for_a_closed_child(people, archive, beibei):
    kids, ids = archive
    Assistance.objects.create(
        child=kids["pupil"],
        kind="minimum_living",
        status="active",
        started_on=D(2025, 1, 1),
        created_by=people["director"],
    )
    upload = xlsx_file(
        [
            ["姓名", "公民身份号码", "救助类型"],
            ["赵强", ids["poor"], "城乡低保"],
            ["钱多", ids["closed"], "临时救助"],
            ["王小红", ids["pupil"], "孤儿基本生活费"],  # not 低保/特困: nothing
        ]
    )
    record = run(people["civil"], beibei, SourceKind.ASSISTANCE, upload)
    assert rules_of(record) == [
        (RuleCode.ALLOWANCE_CLOSED, "钱多"),
        (RuleCode.POVERTY, "赵强"),
    ]


def test_public_security_moves_deaths_and_parents(people, archive, beibei):
    _kids, ids = archive
    civil = people["civil"]
    moves = run(
        civil,
        beibei,
        SourceKind.POLICE_MOVES,
        csv_file(
            [
                ["姓名", "身份证号码", "迁移类型"],
                ["孙悟", ids["mover"], "迁出"],
                ["王小红", ids["pupil"], "迁入"],
            ]
        ),
    )
    assert rules_of(moves) == [(RuleCode.MOVED_OUT, "孙悟")]
    deaths = run(
        civil,
        beibei,
        SourceKind.POLICE_DEATHS,
        csv_file(
            [
                ["姓名", "身份证号码"],
                ["周一", ids["dead"]],
                ["不在册", make_legacy()],
            ]
        ),
    )
    assert rules_of(deaths) == [(RuleCode.DEATH, "周一")]  # a death of no one here: nothing
    parents = run(
        civil,
        beibei,
        SourceKind.POLICE_PARENTS,
        csv_file(
            [
                ["姓名", "身份证号码", "情况"],
                ["吴二", ids["parent"], "父亲强制隔离戒毒"],
            ]
        ),
    )
    assert rules_of(parents) == [(RuleCode.PARENT, "吴二")]


def make_legacy():
    return "500109750101123"


def test_legacy_15_digit_id_is_converted_per_gb11643():
    first17 = "50010919750101123"
    assert legacy_to_18("500109750101123") == first17 + check_character(first17)
    assert legacy_to_18("12345") is None


def test_legacy_id_row_is_hashed_as_its_18_digit_form(people, archive, beibei):
    upload = csv_file([["姓名", "身份证号码"], ["老身份证", "500109750101123"]])
    record = services.list_dry_run(
        by=people["civil"], district=beibei, source=SourceKind.POLICE_DEATHS, upload=upload
    )
    services.list_import(by=people["civil"], pk=record.pk)
    row = ListRow.objects.get(list_import=record)

    assert row.id_hash == lookup_hash(legacy_to_18("500109750101123"))
    assert row.birth_date == D(1975, 1, 1)


def test_dry_run_lists_every_bad_row_and_nothing_is_imported(people, archive, beibei):
    upload = csv_file(
        [
            HEAD,
            ["", "", "2015-01-01", "志达社区", "辍学", ""],  # no name, no ID
            ["某某", "", "not a date", "志达社区", "辍学", ""],
            ["某甲", "", "2015-01-01", "不存在村", "旷课", ""],
            ["某乙", "", "2015-01-01", "志达社区", "转学", ""],
        ]
    )
    record = services.list_dry_run(
        by=people["civil"], district=beibei, source=SourceKind.EDUCATION_DROPOUT, upload=upload
    )
    assert [(e["row"], e["column"]) for e in record.errors] == [
        (2, "姓名"),
        (3, "出生日期"),
        (4, "村（社区）"),
        (5, "类型"),
    ]
    assert all(e["message"] for e in record.errors)
    record, done = services.list_import(by=people["civil"], pk=record.pk)
    assert not done and not ListRow.objects.exists() and not Finding.objects.exists()


def test_missing_columns_are_a_file_error(people, beibei):
    upload = csv_file([["学号", "班级"], ["1", "2"]])
    record = services.list_dry_run(
        by=people["civil"], district=beibei, source=SourceKind.EDUCATION_DROPOUT, upload=upload
    )
    assert [e["row"] for e in record.errors] == [0]
    assert record.errors[0]["message"]


def test_same_file_twice_is_one_import(people, archive, beibei):
    _kids, ids = archive
    rows = [HEAD, ["王小红", ids["pupil"], "", "志达社区", "辍学", ""]]
    first = run(people["civil"], beibei, SourceKind.EDUCATION_DROPOUT, csv_file(rows))
    again = services.list_dry_run(
        by=people["civil"],
        district=beibei,
        source=SourceKind.EDUCATION_DROPOUT,
        upload=csv_file(rows),
    )
    assert again.pk == first.pk
    _record, done = services.list_import(by=people["civil"], pk=again.pk)
    assert not done
    assert Finding.objects.count() == 1 and ListImport.objects.count() == 1


def test_mapping_is_kept_per_district_for_the_next_upload(people, archive, beibei):
    _kids, ids = archive
    rows = [["学生名", "证件", "备注"], ["王小红", ids["pupil"], "辍学"]]
    mapping = {"name": "学生名", "id_number": "证件", "status": "备注"}
    run(people["civil"], beibei, SourceKind.EDUCATION_DROPOUT, csv_file(rows), headers=mapping)
    assert ColumnMapping.objects.get(district=beibei).headers["name"] == "学生名"
    rows[1][2] = "长期旷课"  # another file, same headers: no mapping given
    record = run(people["civil"], beibei, SourceKind.EDUCATION_DROPOUT, csv_file(rows))
    assert record.matched_count == 1


def test_a_rule_switched_off_for_the_district_writes_nothing(people, archive, beibei):
    _kids, ids = archive
    FindingRuleSet.objects.create(district=beibei, dropout=False)
    record = run(
        people["civil"],
        beibei,
        SourceKind.EDUCATION_DROPOUT,
        csv_file([HEAD, ["王小红", ids["pupil"], "", "", "辍学", ""]]),
    )
    assert record.matched_count == 1 and not record.findings.exists()


def test_only_the_districts_staff_import(people, beibei):

    for user in ("other_civil", "supervisor", "director"):
        with pytest.raises(PermissionDenied):
            services.list_dry_run(
                by=people[user],
                district=beibei,
                source=SourceKind.DISABILITY,
                upload=csv_file([["姓名"]]),
            )
    with pytest.raises(ListImport.DoesNotExist):
        record = services.list_dry_run(
            by=people["civil"],
            district=beibei,
            source=SourceKind.DISABILITY,
            upload=csv_file([["姓名"], ["甲"]]),
        )
        services.list_import(by=people["other_civil"], pk=record.pk)


def test_an_id_unknown_here_matches_a_child_registered_without_one(people, archive, beibei):
    kids, _ids = archive
    number = make_id(D(2013, 9, 9))
    upload = csv_file(
        [
            ["姓名", "身份证号码", "村（社区）"],
            ["陈小龙", number, "志达社区"],
            ["王小红", make_id(D(2014, 5, 1)), "志达社区"],  # she has another ID: no match
        ]
    )
    record = run(people["civil"], beibei, SourceKind.DISABILITY, upload)
    rows = {r.name: r for r in record.rows.all()}
    assert rows["陈小龙"].child == kids["no_id"] and rows["陈小龙"].method == "name"
    assert rows["王小红"].child is None and rows["王小红"].review == ""


def test_deleting_an_import_takes_its_rows_and_findings(people, archive, imported):
    # The foreign keys of rows and findings have no database constraint (matching.models):
    # the ORM cascades them itself.
    assert ListRow.objects.filter(list_import=imported).exists()
    assert Finding.objects.filter(list_import=imported).exists()
    ListImport.objects.filter(pk=imported.pk).delete()
    assert not ListRow.objects.filter(list_import_id=imported.pk).exists()
    assert not Finding.objects.filter(list_import_id=imported.pk).exists()
