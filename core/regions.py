"""The 12-digit statistical division code (统计用区划代码): levels, prefixes and validation.

Layout: province 2 + city 2 + district/county 2 + town/street 3 + village/community 3 digits.
A region's scope prefix is its code cut to its level, so "everything in this town" is a range
over one indexed column (see `prefix_range`).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CODE_LENGTH = 12


class Level(models.TextChoices):
    PROVINCE = "province", gettext_lazy("Province")
    CITY = "city", gettext_lazy("City")
    DISTRICT = "district", gettext_lazy("District/county")
    TOWN = "town", gettext_lazy("Town/street")
    VILLAGE = "village", gettext_lazy("Village/community")


PREFIX_LENGTH: dict[str, int] = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.TOWN: 9,
    Level.VILLAGE: 12,
}
LEVEL_ORDER: list[str] = [
    Level.PROVINCE,
    Level.CITY,
    Level.DISTRICT,
    Level.TOWN,
    Level.VILLAGE,
]


def parent_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index else None


def scope_prefix(code: str, level: str) -> str:
    return code[: PREFIX_LENGTH[level]]


def prefix_code(prefix: str) -> str:
    """The 12-digit code of the region whose scope prefix is `prefix` (zeros appended):
    `prefix_code("500109") == "500109000000"`."""
    return prefix.ljust(CODE_LENGTH, "0")


def code_at(code: str, level: str) -> str:
    """The 12-digit code of the region of `level` that contains `code` (a code or a prefix):
    `code_at("500109101203", Level.DISTRICT) == "500109000000"`."""
    return prefix_code(code[: PREFIX_LENGTH[level]])


def district_code(code: str) -> str:
    """The code of the district/county containing `code`."""
    return code_at(code, Level.DISTRICT)


def town_code(code: str) -> str:
    """The code of the town/street containing `code` (a town or village code)."""
    return code_at(code, Level.TOWN)


def district_prefix(code: str) -> str:
    """The 6-digit scope prefix of the district containing `code`."""
    return code[: PREFIX_LENGTH[Level.DISTRICT]]


def town_prefix(code: str) -> str:
    """The 9-digit scope prefix of the town containing `code`."""
    return code[: PREFIX_LENGTH[Level.TOWN]]


def prefix_range(prefix: str) -> tuple[str, str]:
    """The inclusive range of 12-digit codes that start with `prefix`.

    Codes are fixed-length digit strings, so they sort the same under every collation and a
    plain B-tree index serves the range on SQLite and PostgreSQL alike.
    """
    return prefix_code(prefix), prefix.ljust(CODE_LENGTH, "9")


def infer_level(code: str) -> str:
    """The level a well-formed code denotes: the last non-zero segment decides."""
    for index in range(len(LEVEL_ORDER) - 1, 0, -1):
        level, above = LEVEL_ORDER[index], LEVEL_ORDER[index - 1]
        if code[PREFIX_LENGTH[above] : PREFIX_LENGTH[level]].strip("0"):
            return level
    return Level.PROVINCE


def parent_code(code: str, level: str) -> str | None:
    above = parent_level(level)
    if above is None:
        return None
    return code_at(code, above)


def code_errors(code: str, level: str | None, parent: str | None = None) -> list[str]:
    """Every reason `code` is not a valid division code of `level` under `parent` (a code).

    Returns translated messages; an empty list means valid.
    """
    if len(code) != CODE_LENGTH:
        return [_("A division code has exactly 12 digits (got %(n)d).") % {"n": len(code)}]
    if not code.isascii() or not code.isdigit():
        return [_("A division code may contain digits only.")]
    if level not in PREFIX_LENGTH:
        return [_("Unknown level “%(level)s”.") % {"level": level}]
    errors: list[str] = []
    length = PREFIX_LENGTH[level]
    above = parent_level(level)
    own_start = PREFIX_LENGTH[above] if above else 0
    if code[length:].strip("0"):
        errors.append(
            _("A %(level)s code must end in %(n)d zeros.")
            % {"level": Level(level).label, "n": CODE_LENGTH - length}
        )
    elif not code[own_start:length].strip("0"):
        errors.append(
            _("Digits %(start)d-%(end)d of a %(level)s code cannot all be zero.")
            % {"start": own_start + 1, "end": length, "level": Level(level).label}
        )
    if parent is not None and above is not None:
        expected = scope_prefix(parent, above)
        if not code.startswith(expected):
            errors.append(
                _("The code must start with its parent's prefix %(prefix)s.") % {"prefix": expected}
            )
    return errors
