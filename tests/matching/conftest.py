import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from children.closing import child_close
from core import clock as app_clock
from matching import services
from matching.sources import SourceKind
from tests.factories import BEIBEI, CHENGUANG, XINGCHENG, ZHIDA, make_child, make_id, region

D = datetime.date


def csv_file(rows, encoding="utf-8", bom=False, name="list.csv"):
    text = "\n".join(",".join(str(c) for c in row) for row in rows) + "\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_file(rows, name="list.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


@pytest.fixture
def archive(people):
    """Children of 北碚区 (志达社区, 星城) and one of 秀山县 with their ID numbers."""
    director, other = people["director"], people["other_director"]
    ids = {
        key: make_id(D(2014, 5, n + 1))
        for n, key in enumerate(
            ["pupil", "disabled", "poor", "closed", "mover", "dead", "parent", "xiushan"]
        )
    }
    kids = {
        "pupil": make_child(
            director, name="王小红", birth_date=D(2014, 5, 1), id_number=ids["pupil"]
        ),
        "disabled": make_child(
            director, name="李明", birth_date=D(2014, 5, 2), id_number=ids["disabled"]
        ),
        "poor": make_child(director, name="赵强", birth_date=D(2014, 5, 3), id_number=ids["poor"]),
        "closed": make_child(
            director, name="钱多", birth_date=D(2014, 5, 4), id_number=ids["closed"]
        ),
        "mover": make_child(
            director, name="孙悟", birth_date=D(2014, 5, 5), id_number=ids["mover"]
        ),
        "dead": make_child(director, name="周一", birth_date=D(2014, 5, 6), id_number=ids["dead"]),
        "parent": make_child(
            director, name="吴二", birth_date=D(2014, 5, 7), id_number=ids["parent"]
        ),
        "xiushan": make_child(
            other,
            CHENGUANG,
            name="郑三",
            birth_date=D(2014, 5, 8),
            id_number=make_id(D(2014, 5, 8), area="500241"),
        ),
        "no_id": make_child(director, name="陈小龙", birth_date=D(2013, 9, 9), id_number=""),
    }
    ids["xiushan"] = kids["xiushan"].id_number
    child_close(
        by=director,
        child=kids["closed"],
        reason="moved_away",
        closed_on=app_clock.today(),
        new_address="重庆市渝中区",
    )
    kids["closed"].refresh_from_db()
    return kids, ids


@pytest.fixture
def beibei():
    return region(BEIBEI)


PAGE_HEAD = ["姓名", "身份证号码", "出生日期", "村（社区）", "类型"]


@pytest.fixture
def imported(people, archive, beibei):
    _kids, ids = archive
    upload = csv_file(
        [
            PAGE_HEAD,
            ["王小红", ids["pupil"], "", "志达社区", "辍学"],
            ["新同学", "", "2015-01-02", "兴城社区", "辍学"],
            ["陈小尨", "", "2013-09-09", "志达社区", "辍学"],
        ]
    )
    record = services.list_dry_run(
        by=people["civil"], district=beibei, source=SourceKind.EDUCATION_DROPOUT, upload=upload
    )
    record, _done = services.list_import(by=people["civil"], pk=record.pk)
    return record


__all__ = ["XINGCHENG", "ZHIDA", "D", "csv_file", "xlsx_file"]
