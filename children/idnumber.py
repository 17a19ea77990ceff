"""Resident identity numbers (GB 11643-1999): validation, derived facts and masking.

18 characters: 6 area code, 8 birth date (YYYYMMDD), 3 sequence (odd = male), 1 check character
by ISO 7064 MOD 11-2 where 10 is written X.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core import clock

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, ...
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
_FLOATISH = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


@dataclass(frozen=True)
class IdFacts:
    number: str
    area_code: str
    birth_date: datetime.date
    gender: str  # "M" or "F", as children.choices.Gender


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize(raw: str) -> str:
    """Upper-case, without spaces (a lower-case x is common)."""
    return re.sub(r"\s+", "", str(raw)).upper()


def parse(raw: str, today: datetime.date | None = None) -> IdFacts:
    """The facts in a valid number; ValidationError naming what is wrong otherwise."""
    number = normalize(raw)
    if _FLOATISH.match(number):
        raise ValidationError(
            _(
                "The ID number was stored as a number (%(value)s) and lost its last digits: "
                "format the column as text and enter the 18 characters again."
            ),
            code="id_float",
            params={"value": number},
        )
    if len(number) != 18:
        raise ValidationError(
            _("An ID number has 18 characters (got %(n)d)."),
            code="id_length",
            params={"n": len(number)},
        )
    if not _SHAPE.match(number):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_characters"
        )
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("Digits 7-14 of the ID number (%(digits)s) are not a real date of birth."),
            code="id_date",
            params={"digits": number[6:14]},
        ) from None
    today = today or clock.today()
    if birth > today or birth.year < 1900:
        raise ValidationError(
            _("The date of birth in the ID number (%(date)s) is impossible."),
            code="id_date",
            params={"date": birth.isoformat()},
        )
    if check_character(number[:17]) != number[17]:
        raise ValidationError(
            _("The check character of the ID number is wrong: check every digit."),
            code="id_checksum",
        )
    return IdFacts(
        number=number,
        area_code=number[:6],
        birth_date=birth,
        gender="M" if int(number[16]) % 2 else "F",
    )


def mask(number: str) -> str:
    """500109********123X: area code and the last four characters only."""
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
