"""The kinds of list other departments send, the columns each may have, and what a row says.

A source kind declares its fields (a canonical key, the Chinese headers it is usually found
under, whether it is required) and the values of its "what the row says" column. A district's
column mapping (models.ColumnMapping) overrides the headers for the next upload of the kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from children.choices import Category


class SourceKind(models.TextChoices):
    EDUCATION_ENROLMENT = "edu_enrolment", _("Education: enrolment")
    EDUCATION_DROPOUT = "edu_dropout", _("Education: dropouts and long absences")
    POLICE_MOVES = "police_moves", _("Public security: moves in and out")
    POLICE_DEATHS = "police_deaths", _("Public security: deaths")
    POLICE_PARENTS = "police_parents", _("Public security: parent detained, in rehab or missing")
    ASSISTANCE = "assistance", _("Civil affairs: assistance rolls")
    DISABILITY = "disability", _("Disabled persons' federation: certificates")
    HEALTH_BIRTHS = "health_births", _("Health: births")
    HEALTH_ILLNESS = "health_illness", _("Health: serious illness")


@dataclass(frozen=True)
class Field:
    key: str
    label: Promise
    headers: tuple[str, ...]
    required: bool = False


ID = Field("id_number", _("ID number"), ("公民身份号码", "身份证号码", "身份证号", "证件号码"))
NAME = Field("name", _("name"), ("姓名", "学生姓名", "儿童姓名", "name"), required=True)
BIRTH = Field("birth_date", _("date of birth"), ("出生日期", "出生年月日", "生日"))
VILLAGE = Field("village", _("village/community"), ("村（社区）", "村(社区)", "村社区", "村"))
ADDRESS = Field("address", _("address"), ("住址", "现住址", "家庭住址", "户籍地址", "地址"))
COMMON = (ID, NAME, BIRTH, VILLAGE, ADDRESS)
# The day the department registered what the row says (a parent reported missing: R19's
# six-month clock runs from it); the day of the import when the list has no such column.
REPORTED = Field(
    "reported_on",
    _("reported on"),
    ("登记日期", "受理日期", "报告日期", "报案日期", "失联日期", "失踪日期", "立案日期"),
)

# The "what the row says" column of each kind, and the words it may hold → a stored value.
STATUS = "status"
DETAIL = "detail"  # free text kept with the row (a school, a grade, an illness)


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    status_label: Promise | None = None
    status_headers: tuple[str, ...] = ()
    status_words: tuple[tuple[str, str], ...] = ()  # (word, value)
    status_default: str = ""
    detail_headers: tuple[str, ...] = ()
    dated: bool = False  # has a REPORTED column

    def fields(self) -> tuple[Field, ...]:
        extra = [REPORTED] if self.dated else []
        if self.status_headers:
            extra.append(
                Field(
                    STATUS,
                    self.status_label or _("status"),
                    self.status_headers,
                    required=not self.status_default,
                )
            )
        if self.detail_headers:
            extra.append(Field(DETAIL, _("details"), self.detail_headers))
        return (*COMMON, *extra)

    def status_of(self, text: str) -> str | None:
        """The stored value of a status cell; the default when empty; None when unknown."""
        text = text.strip()
        if not text:
            return self.status_default or None
        for word, value in self.status_words:
            if word in text:
                return value
        return None


# Status values.
DROPPED_OUT, LONG_ABSENT, ENROLLED = "dropped_out", "long_absent", "enrolled"
MOVED_IN, MOVED_OUT = "moved_in", "moved_out"
DEAD = "dead"
DETAINED, IN_REHAB, MISSING = "detained", "in_rehab", "missing"
DIBAO, TEKUN, TEMPORARY = "dibao", "tekun", "temporary"
ORPHAN, UNSUPPORTED = "orphan", "unsupported"
CERTIFIED = "certified"
BORN = "born"
ILL = "ill"

SOURCES: dict[str, Source] = {
    SourceKind.EDUCATION_ENROLMENT: Source(
        SourceKind.EDUCATION_ENROLMENT,
        status_default=ENROLLED,
        detail_headers=("学校", "学校名称", "就读学校"),
    ),
    SourceKind.EDUCATION_DROPOUT: Source(
        SourceKind.EDUCATION_DROPOUT,
        _("dropout or absence"),
        ("类型", "情况", "辍学类型"),
        (
            ("辍学", DROPPED_OUT),
            ("失学", DROPPED_OUT),
            ("长期", LONG_ABSENT),
            ("缺课", LONG_ABSENT),
            ("旷课", LONG_ABSENT),
        ),
        status_default=DROPPED_OUT,
        detail_headers=("学校", "学校名称"),
    ),
    SourceKind.POLICE_MOVES: Source(
        SourceKind.POLICE_MOVES,
        _("move"),
        ("迁移类型", "类型", "迁移"),
        (("迁出", MOVED_OUT), ("迁入", MOVED_IN)),
    ),
    SourceKind.POLICE_DEATHS: Source(SourceKind.POLICE_DEATHS, status_default=DEAD),
    SourceKind.POLICE_PARENTS: Source(
        SourceKind.POLICE_PARENTS,
        _("parent's situation"),
        ("父母情况", "情况", "类型"),
        (
            ("羁押", DETAINED),
            ("服刑", DETAINED),
            ("拘留", DETAINED),
            ("戒毒", IN_REHAB),
            ("失踪", MISSING),
            ("失联", MISSING),
        ),
        dated=True,
    ),
    SourceKind.ASSISTANCE: Source(
        SourceKind.ASSISTANCE,
        _("assistance"),
        ("救助类型", "保障类型", "类别", "类型"),
        (
            ("低保", DIBAO),
            ("特困", TEKUN),
            ("临时", TEMPORARY),
            ("孤儿", ORPHAN),
            ("事实无人抚养", UNSUPPORTED),
        ),
    ),
    SourceKind.DISABILITY: Source(
        SourceKind.DISABILITY,
        status_default=CERTIFIED,
        detail_headers=("残疾类别", "残疾类型", "残疾等级"),
    ),
    SourceKind.HEALTH_BIRTHS: Source(SourceKind.HEALTH_BIRTHS, status_default=BORN),
    SourceKind.HEALTH_ILLNESS: Source(
        SourceKind.HEALTH_ILLNESS, status_default=ILL, detail_headers=("疾病", "病种", "疾病名称")
    ),
}

# The category a row suggests for a child not in the archive (possibly eligible).
SUGGESTED_CATEGORY: dict[str, str] = {
    DROPPED_OUT: Category.GUARDIANSHIP,
    LONG_ABSENT: Category.GUARDIANSHIP,
    DETAINED: Category.PRISONER_CHILD,
    IN_REHAB: Category.REHAB_CHILD,
    MISSING: Category.GUARDIANSHIP,
    DIBAO: Category.POVERTY,
    TEKUN: Category.POVERTY,
    TEMPORARY: Category.POVERTY,
    ORPHAN: Category.ORPHAN,
    UNSUPPORTED: Category.UNSUPPORTED,
    CERTIFIED: Category.DISABILITY_ILLNESS,
    ILL: Category.DISABILITY_ILLNESS,
}
