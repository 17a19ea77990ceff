import datetime

import pytest
from django.core.exceptions import ValidationError

from children import idnumber

VALID = "11010519491231002X"
TODAY = datetime.date(2026, 11, 23)


def test_the_standard_example_is_valid():
    facts = idnumber.parse(VALID, TODAY)
    assert facts.birth_date == datetime.date(1949, 12, 31)
    assert facts.gender == "F"  # digit 17 is 2: even
    assert facts.area_code == "110105"


def test_lower_case_x_and_spaces_are_accepted():
    assert idnumber.parse(" 11010519491231002x ", TODAY).number == VALID


@pytest.mark.parametrize("position", range(18))
def test_every_single_character_change_is_invalid(position):
    original = VALID[position]
    for replacement in "0123456789X":
        if replacement == original or (replacement == "X" and position != 17):
            continue
        changed = VALID[:position] + replacement + VALID[position + 1 :]
        with pytest.raises(ValidationError):
            idnumber.parse(changed, TODAY)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002X1", "id_length"),
        ("11010519491231A02X", "id_characters"),
        ("X10105194912310021", "id_characters"),
        ("110105194902300020", "id_date"),  # 30 February
        ("110105202712310020", "id_date_impossible"),  # in the future
        ("1.10105194912E+17", "id_float"),
    ],
)
def test_errors_say_what_is_wrong(value, code):
    with pytest.raises(ValidationError) as exc:
        idnumber.parse(value, TODAY)
    assert exc.value.code == code
    assert exc.value.messages[0]


def test_the_checksum_message_is_chinese(settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        idnumber.parse("110105194912310021", TODAY)
    assert "校验" in exc.value.messages[0]


def test_male_from_odd_sequence():
    first17 = "50010920150308001"
    assert idnumber.parse(first17 + idnumber.check_character(first17), TODAY).gender == "M"


def test_mask_keeps_area_and_last_four():
    assert idnumber.mask("50010920150308123X") == "500109********123X"
    assert idnumber.mask("") == ""
