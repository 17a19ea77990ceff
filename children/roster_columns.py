"""The columns of a child roster spreadsheet: the import template, the importer and both
exports use this one list, so an exported .xlsx (with full ID numbers) imports again unchanged.

The columns follow the national screening form 农村留守儿童基本情况登记表 (2016), in its order.
Headers and cell values are a file format, not interface text: headers are the Chinese
constants below, and values are the Chinese labels of the choices (the zh-hans translations).
The importer also accepts the stored codes and the English labels.

The child's columns are the editable fields of children.fields but NOT_IN_ROSTER (the national
form has no column for them), plus the identity number, the village and the categories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import override

from children.choices import (
    ETHNICITIES,
    CarerCapacity,
    Category,
    DisabilityGrade,
    DisabilityType,
    Gender,
    GuardianshipQuality,
    GuardianType,
    Health,
    ParentRelation,
    ParentStatus,
    Schooling,
)
from children.models import Child, Parent
from core.spreadsheets import NO, YES, fold

LIST_SEPARATOR = "、"
MAX_ROWS = 10000
ROSTER_SHEET = "儿童名册"
NOTES_SHEET = "填写说明"

TEXT = "text"
CHOICE = "choice"
MULTI = "multi"
BOOL = "bool"
DATE = "date"
ID = "id"
VILLAGE = "village"
ETHNICITY = "ethnicity"


_RELATIONS = frozenset(ParentRelation.values)


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header: part of the file format
    key: str  # the child field, "categories", "village", or "<relation>_<parent field>"
    kind: str = TEXT
    choices: type[models.TextChoices] | None = None
    required: bool = False  # the column must be in the file and (mostly) filled in
    as_text: bool = False  # formatted as text in workbooks (identity numbers, phones, codes)
    width: int = 12
    note: str = ""  # shown on the instructions sheet

    @cached_property
    def relation(self) -> str:
        """The parent relation of a parent column ("father", "mother"), "" otherwise."""
        head, _sep, _rest = self.key.partition("_")
        return head if head in _RELATIONS else ""

    @cached_property
    def attr(self) -> str:
        """The model attribute: the key without the parent relation."""
        return self.key.split("_", 1)[1] if self.relation else self.key

    @property
    def phone(self) -> bool:
        """A phone number (a parent's or the carer's): masked in exports, like ID numbers,
        for those who may not export identifiers (children.roster_writing)."""
        return self.attr == "phone" or self.attr.endswith("_phone")

    @property
    def max_length(self) -> int | None:
        model: type[models.Model] = Parent if self.relation else Child
        try:
            model_field = model._meta.get_field(self.attr)
        except FieldDoesNotExist:  # id_number, categories, village
            return None
        return getattr(model_field, "max_length", None) if self.kind == TEXT else None


def _parent_columns(relation: str, label: str) -> list[Column]:
    return [
        Column(f"{label}姓名", f"{relation}_name", width=10),
        Column(f"{label}身份证号", f"{relation}_id_number", ID, as_text=True, width=21,
               note="18位，单元格格式须为文本；末位可为X"),
        Column(f"{label}状况", f"{relation}_status", CHOICE, ParentStatus, width=12),
        Column(f"{label}务工省份", f"{relation}_work_province", width=10),
        Column(f"{label}务工城市", f"{relation}_work_city", width=10),
        Column(f"{label}联系电话", f"{relation}_phone", as_text=True, width=14,
               note="11位手机号码或固定电话（如023-68861234）"),
    ]  # fmt: skip


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", required=True, width=10),
    Column("性别", "gender", CHOICE, Gender, required=True, width=6,
           note="可留空，按身份证号码填入"),
    Column("民族", "ethnicity", ETHNICITY, width=8, note="留空为汉族"),
    Column("公民身份号码", "id_number", ID, required=True, as_text=True, width=21,
           note="18位，单元格格式须为文本；末位可为X。按此号码匹配已建档儿童：已有则更新，没有则新建。"
                "户籍未登记的儿童可留空，按姓名、出生日期和所在村匹配"),
    Column("出生日期", "birth_date", DATE, required=True, width=12,
           note="如 2015-03-08；可留空，按身份证号码填入"),
    Column("户籍所在地", "hukou_address", required=True, width=24),
    Column("户籍是否登记(是/否)", "hukou_registered", BOOL, width=10, note="留空为是"),
    Column("现住址", "address", required=True, width=28),
    Column("所在村（社区）区划代码", "village", VILLAGE, required=True, as_text=True, width=15,
           note="12位统计用区划代码，须为本人负责的村（社区）"),
    Column("儿童类别", "categories", MULTI, Category, width=20,
           note="可填多个，用“、”或“,”分隔"),
    *_parent_columns(ParentRelation.FATHER, "父亲"),
    *_parent_columns(ParentRelation.MOTHER, "母亲"),
    Column("监护类型", "guardian_type", CHOICE, GuardianType, required=True, width=14),
    Column("受委托监护人姓名", "carer_name", width=10),
    Column("与儿童关系", "carer_relation", width=8),
    Column("监护人联系电话", "carer_phone", as_text=True, width=14),
    Column("监护人能力", "carer_capacity", CHOICE, CarerCapacity, width=10),
    Column("委托监护确认书签订日期", "entrustment_signed_on", DATE, width=12, note="如 2026-02-01"),
    Column("监护状况", "guardianship_quality", CHOICE, GuardianshipQuality, required=True,
           width=10),
    Column("就学状况", "schooling", CHOICE, Schooling, required=True, width=12),
    Column("学校名称", "school_name", width=18),
    Column("年级", "grade", width=8),
    Column("是否寄宿", "boarding", BOOL, width=8, note="留空为否"),
    Column("健康状况", "health", CHOICE, Health, width=10, note="留空为健康"),
    Column("残疾类型", "disability_type", CHOICE, DisabilityType, width=10),
    Column("残疾等级", "disability_grade", CHOICE, DisabilityGrade, width=8),
    Column("疾病名称", "illness", width=12),
    Column("心理行为问题(是/否)", "psychological_concern", BOOL, width=10, note="留空为否"),
)  # fmt: skip
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
# Editable child fields (children.fields.CHILD_FIELDS) without a column.
NOT_IN_ROSTER = ("carer_address", "psychological_note", "over_age_reason")
# Columns only the export writes; the importer ignores them.
STATUS_HEADER = "状态"
KEY_CHILD_HEADER = "重点儿童"
UPDATED_HEADER = "更新时间"
EXPORT_ONLY_HEADERS = (STATUS_HEADER, KEY_CHILD_HEADER, UPDATED_HEADER)
EXPORT_HEADERS = tuple(c.header for c in COLUMNS) + EXPORT_ONLY_HEADERS


def normalize_header(value: Any) -> str:
    """A header as the importer matches it: no spaces, ASCII parentheses, no trailing "*" or
    "(是/否)"."""
    text = re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")")
    text = text.rstrip("*")
    return re.sub(r"\((是/否|是或否)\)$", "", text)


def zh_labels(choices: type[models.TextChoices]) -> dict[str, str]:
    """Code -> the label written in files (the zh-hans translation)."""
    with override("zh-hans"):
        return {str(code): str(label) for code, label in choices.choices}


def label_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Normalised code, Chinese label or English label -> code."""
    lookup: dict[str, str] = {}
    for language in ("zh-hans", "en"):
        with override(language):
            for code, label in choices.choices:
                lookup.setdefault(fold(str(label)), str(code))
    for code in choices.values:
        lookup[fold(str(code))] = str(code)
    return lookup


def allowed_values(column: Column) -> str:
    """The values a column accepts, as the template lists them ("" for free text)."""
    if column.choices is not None:
        return LIST_SEPARATOR.join(zh_labels(column.choices).values())
    if column.kind == BOOL:
        return f"{YES}{LIST_SEPARATOR}{NO}"
    if column.kind == ETHNICITY:
        return LIST_SEPARATOR.join(name for _code, name in ETHNICITIES)
    return ""


def column_position(header: str) -> int:
    """The index of the column with this header (-1 for none: the file as a whole)."""
    for index, column in enumerate(COLUMNS):
        if column.header == header:
            return index
    return -1
