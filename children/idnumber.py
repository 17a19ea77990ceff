"""Resident identity numbers (GB 11643-1999): validation, derived facts and masking.

18 characters: 6 area code, 8 birth date (YYYYMMDD), 3 sequence (odd = male), 1 check character
by ISO 7064 MOD 11-2 where 10 is written X.

The phone runs the same check offline (static/carecase/idnumber.js): every refusal here has a
stable code in ERROR_MESSAGES, the JavaScript returns the same codes and params, and the shared
vectors in tests/vectors/resident_ids.json hold both to the same answers. The messages stay in
Django's catalogue: pages hand them to the phone with error_messages() (or the template tag
`{% id_error_messages "element-id" %}` of children/templatetags/resident_id.py).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from core import clock

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, ...
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
_FLOATISH = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")

# The refusals, by stable code (ValidationError.code; the JavaScript check returns the same).
ID_FLOAT = "id_float"
ID_LENGTH = "id_length"
ID_CHARACTERS = "id_characters"
ID_DATE = "id_date"
ID_DATE_IMPOSSIBLE = "id_date_impossible"
ID_CHECKSUM = "id_checksum"
ERROR_MESSAGES: dict[str, Promise] = {
    ID_FLOAT: gettext_lazy(
        "The ID number was stored as a number (%(value)s) and lost its last digits: "
        "format the column as text and enter the 18 characters again."
    ),
    ID_LENGTH: gettext_lazy("An ID number has 18 characters (got %(n)d)."),
    ID_CHARACTERS: gettext_lazy("An ID number is 17 digits followed by a digit or X."),
    ID_DATE: gettext_lazy(
        "Digits 7-14 of the ID number (%(digits)s) are not a real date of birth."
    ),
    ID_DATE_IMPOSSIBLE: gettext_lazy(
        "The date of birth in the ID number (%(date)s) is impossible."
    ),
    ID_CHECKSUM: gettext_lazy("The check character of the ID number is wrong: check every digit."),
}


def error_messages() -> dict[str, str]:
    """{code: message} in the active language, the params left as %(name)s / %(name)d for the
    phone to fill in (CareCaseId.message in static/carecase/idnumber.js)."""
    return {code: str(message) for code, message in ERROR_MESSAGES.items()}


def _refusal(code: str, params: dict[str, object] | None = None) -> ValidationError:
    # Translated now, in the language active where the number is checked (as before the codes).
    return ValidationError(str(ERROR_MESSAGES[code]), code=code, params=params)


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
        raise _refusal(ID_FLOAT, {"value": number})
    if len(number) != 18:
        raise _refusal(ID_LENGTH, {"n": len(number)})
    if not _SHAPE.match(number):
        raise _refusal(ID_CHARACTERS)
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _refusal(ID_DATE, {"digits": number[6:14]}) from None
    today = today or clock.today()
    if birth > today or birth.year < 1900:
        raise _refusal(ID_DATE_IMPOSSIBLE, {"date": birth.isoformat()})
    if check_character(number[:17]) != number[17]:
        raise _refusal(ID_CHECKSUM)
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
