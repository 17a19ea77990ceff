import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.regions import (
    Level,
    code_at,
    code_errors,
    district_code,
    district_prefix,
    infer_level,
    parent_code,
    prefix_code,
    prefix_range,
    scope_prefix,
    town_code,
    town_prefix,
)
from org.models import Region


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("500000000000", Level.PROVINCE, "50"),
        ("500100000000", Level.CITY, "5001"),
        ("500109000000", Level.DISTRICT, "500109"),
        ("500109110000", Level.TOWN, "500109110"),
        ("500109110004", Level.VILLAGE, "500109110004"),
    ],
)
def test_prefix_and_level(code, level, prefix):
    assert scope_prefix(code, level) == prefix
    assert infer_level(code) == level
    assert code_errors(code, level) == []


def test_prefix_range_covers_exactly_the_prefix():
    low, high = prefix_range("500109110")
    assert (low, high) == ("500109110000", "500109110999")
    assert low <= "500109110004" <= high
    assert not (low <= "500109111000" <= high)


def test_codes_and_prefixes_of_the_containing_regions():
    village = "500109110004"
    assert district_code(village) == code_at(village, Level.DISTRICT) == "500109000000"
    assert town_code(village) == code_at(village, Level.TOWN) == "500109110000"
    assert district_prefix(village) == "500109"
    assert town_prefix(village) == "500109110"
    assert district_code("500109") == prefix_code("500109") == "500109000000"
    assert prefix_code(village) == village


def test_parent_code():
    assert parent_code("500109110004", Level.VILLAGE) == "500109110000"
    assert parent_code("500109110000", Level.TOWN) == "500109000000"
    assert parent_code("500000000000", Level.PROVINCE) is None


@pytest.mark.parametrize(
    ("code", "level", "parent", "fragment"),
    [
        ("50010911000", Level.TOWN, None, "12"),
        ("5001091100001", Level.TOWN, None, "12"),
        ("50010911000A", Level.TOWN, None, "digits only"),
        ("500109110004", Level.TOWN, None, "3 zeros"),  # a town code must end in 000
        ("500109000000", Level.TOWN, None, "cannot all be zero"),  # town digits all zero
        ("500241104000", Level.TOWN, "500109000000", "500109"),  # not under its parent
    ],
)
def test_bad_codes_are_explained(code, level, parent, fragment):
    with translation.override("en"):
        errors = code_errors(code, level, parent)
    assert errors
    assert any(fragment in e for e in errors), errors


@pytest.mark.django_db
def test_region_clean_refuses_inconsistent_rows():
    province = Region.objects.create(code="500000000000", name="重庆市", level=Level.PROVINCE)
    city = Region.objects.create(
        code="500100000000", name="市辖区", level=Level.CITY, parent=province
    )
    with pytest.raises(ValidationError) as err:
        Region(code="510109000000", name="X", level=Level.DISTRICT, parent=city).full_clean()
    assert "code" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        Region(code="500109110000", name="X", level=Level.TOWN, parent=city).full_clean()
    assert "parent" in err.value.message_dict
    with pytest.raises(ValidationError):
        Region(code="500109000000", name="X", level=Level.DISTRICT).full_clean()
    Region(code="500109000000", name="北碚区", level=Level.DISTRICT, parent=city).full_clean()


def test_messages_are_chinese_by_default():
    (message,) = code_errors("5001", Level.TOWN)
    assert "12" in message and "区划代码" in message
