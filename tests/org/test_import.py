from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from core.regions import Level
from org.importing import import_regions
from org.models import Region
from tests.factories import DEMO_CSV


@pytest.mark.django_db
def test_demo_file_imports_as_it_is_and_again_changes_nothing():
    out = StringIO()
    call_command("import_regions", str(DEMO_CSV), stdout=out)
    assert Region.objects.count() == 509
    assert Region.objects.filter(level=Level.DISTRICT).count() == 2
    assert Region.objects.filter(level=Level.TOWN).count() == 44
    assert Region.objects.filter(level=Level.VILLAGE).count() == 460
    village = Region.objects.select_related("parent__parent").get(code="500109110004")
    assert village.parent.code == "500109110000"
    assert village.parent.parent.name == "北碚区"

    result = import_regions(DEMO_CSV.read_text(encoding="utf-8"))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 509)


@pytest.mark.django_db
def test_bad_rows_are_all_reported_and_nothing_is_imported():
    text = "\n".join(
        [
            "code,name,level",
            "500000000000,重庆市,province",
            "500100000000,重庆市市辖区,city",
            "500109000000,北碚区,district",
            "50010911000,短代码,town",  # line 5: 11 digits
            "5001091100AB,字母,town",  # line 6: letters
            "500109110004,村级代码标为乡镇,town",  # line 7: inconsistent with level
            "500241104000,不在父级下,town",  # line 8: parent 500241000000 missing
            "500109110000,,town",  # line 9: empty name
            "500109001000,天生街道,town",  # valid
            "500109001000,重复,town",  # line 11: duplicate
            "500109001028,新星路社区,hamlet",  # line 12: unknown level
        ]
    )
    result = import_regions(text)
    assert not result.ok
    assert [e.row for e in result.errors] == [5, 6, 7, 8, 9, 11, 12]
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_command_fails_loudly_with_every_bad_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name\n500000000000,重庆市\n5001,坏\n", encoding="utf-8")
    err = StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_regions", str(path), stderr=err)
    assert "Row 3 (5001)" in err.getvalue()
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_level_is_inferred_and_chinese_level_names_accepted():
    text = "code,name,level\n500000000000,重庆市,省\n500100000000,市辖区,\n"
    result = import_regions(text)
    assert result.ok, result.errors
    assert Region.objects.get(code="500100000000").level == Level.CITY


@pytest.mark.django_db
def test_dry_run_saves_nothing():
    result = import_regions("code,name\n500000000000,重庆市\n", dry_run=True)
    assert result.ok and result.created == 1
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_wrong_header_is_refused():
    result = import_regions("id,title\n500000000000,重庆市\n")
    assert not result.ok and result.errors[0].row == 1
