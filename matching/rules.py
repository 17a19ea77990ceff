"""The finding rules: what a matched (or unmatched) row says that the archive does not.

Each rule is one source's condition on the row and the child's archive; a district turns each
on or off (FindingRuleSet). `findings_for` reads the rows with the facts the rules need in a
single query (the child's status, schooling, health, poverty category, assistance, parents)
and writes the findings with COPY on PostgreSQL (executemany elsewhere): no query per row."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from children.choices import Category, Health, ParentStatus, Schooling, Status
from children.models import Assistance, Child, Parent
from matching import sources as s
from matching.engine import insert_rows
from matching.models import Finding, FindingRuleSet, ListImport, ListRow, Review, RuleCode
from org.models import Region

CHUNK = 2000
FINDING_COLUMNS = (
    "due_on",
    "done",
    "done_on",
    "done_note",
    "done_by_id",
    "list_import_id",
    "row_id",
    "rule",
    "source",
    "child_id",
    "village_id",
    "region_code",
    "suggested_category",
    "created_on",
    "outcome",
    "outcome_link",
    "escalated",
)
OUT_OF_SCHOOL = frozenset({Schooling.DROPPED_OUT, Schooling.NOT_IN_SCHOOL})
DISABLED = frozenset({Health.DISABLED, Health.DISABLED_AND_ILL})
PARENT_STATUS = {
    s.DETAINED: ParentStatus.IMPRISONED,
    s.IN_REHAB: ParentStatus.IN_REHAB,
    s.MISSING: ParentStatus.MISSING,
}
# Rows of these kinds say nothing about a child who is not in the archive.
NOT_FOR_UNREGISTERED = frozenset(
    {(s.SourceKind.POLICE_DEATHS, s.DEAD), (s.SourceKind.POLICE_MOVES, s.MOVED_OUT)}
)


@dataclass
class Facts:
    """What the rules read of one matched child."""

    status: str
    schooling: str
    health: str
    region_code: str
    village_id: int
    poverty: bool = False
    assisted: bool = False
    parent_statuses: set[str] = field(default_factory=set)


def rule_set(district: Region) -> FindingRuleSet:
    return FindingRuleSet.objects.filter(district=district).first() or FindingRuleSet(
        district=district
    )


def rules_hit(source: str, status: str, facts: Facts | None, age: int | None) -> list[str]:
    """The rules a row of `source` saying `status` breaks, for a child with `facts` (None:
    not in the archive) of `age` (None: unknown)."""
    if facts is None:
        if (source, status) in NOT_FOR_UNREGISTERED or (age is not None and age >= 18):
            return []
        return [RuleCode.NOT_IN_ARCHIVE]
    active = facts.status == Status.ACTIVE
    hits: list[str] = []
    if source == s.SourceKind.EDUCATION_DROPOUT and active and facts.schooling not in OUT_OF_SCHOOL:
        hits.append(RuleCode.DROPOUT)
    if source == s.SourceKind.DISABILITY and active and facts.health not in DISABLED:
        hits.append(RuleCode.DISABILITY)
    if source == s.SourceKind.ASSISTANCE:
        if not active:
            hits.append(RuleCode.ALLOWANCE_CLOSED)
        elif status in {s.DIBAO, s.TEKUN} and not (facts.poverty and facts.assisted):
            hits.append(RuleCode.POVERTY)
    if source == s.SourceKind.POLICE_MOVES and status == s.MOVED_OUT and active:
        hits.append(RuleCode.MOVED_OUT)
    if (
        source == s.SourceKind.POLICE_PARENTS
        and active
        and PARENT_STATUS.get(status) not in facts.parent_statuses
    ):
        hits.append(RuleCode.PARENT)
    if source == s.SourceKind.POLICE_DEATHS and active:
        hits.append(RuleCode.DEATH)
    return hits


def _with_facts(rows: QuerySet[ListRow], source: str) -> QuerySet[ListRow, dict[str, Any]]:
    """The rows with what the rules read of each matched child, in the same query: the
    archive's columns through the join, and the poverty category, an assistance record and
    the parents' statuses as EXISTS only for the sources whose rules read them."""
    facts: dict[str, Any] = {}
    child = OuterRef("child_id")
    if source == s.SourceKind.ASSISTANCE:
        facts["poverty"] = Exists(
            Child.categories.through.objects.filter(child_id=child, categorytag_id=Category.POVERTY)
        )
        facts["assisted"] = Exists(Assistance.objects.filter(child_id=child))
    if source == s.SourceKind.POLICE_PARENTS:
        for status in PARENT_STATUS.values():
            facts[f"parent_{status}"] = Exists(Parent.objects.filter(child_id=child, status=status))
    return rows.values(
        "id",
        "status",
        "child_id",
        "birth_date",
        "village_id",
        "child__status",
        "child__schooling",
        "child__health",
        "child__region_code",
        "child__village_id",
    ).annotate(**facts)


def _facts(row: dict[str, Any]) -> Facts | None:
    if not row["child_id"]:
        return None
    return Facts(
        row["child__status"],
        row["child__schooling"],
        row["child__health"],
        row["child__region_code"],
        row["child__village_id"],
        poverty=bool(row.get("poverty")),
        assisted=bool(row.get("assisted")),
        parent_statuses={
            status for status in PARENT_STATUS.values() if row.get(f"parent_{status}")
        },
    )


def _age(born: datetime.date | None, today: datetime.date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def findings_for(record: ListImport, rows: QuerySet[ListRow], *, today: datetime.date) -> int:
    """Write the findings of `rows` (of `record`) by the district's rules; returns how many.
    Rows waiting for review give none (their review decides). One query reads the rows with
    their children's facts (a server-side cursor on PostgreSQL), COPY writes the findings."""
    rules = rule_set(record.district)
    enabled = {code for code in RuleCode.values if getattr(rules, code)}
    due = today + datetime.timedelta(days=rules.due_days)
    codes = dict(
        Region.objects.filter(level="village", code__startswith=record.district.prefix).values_list(
            "id", "code"
        )
    )

    def findings() -> Iterator[tuple[Any, ...]]:
        read = _with_facts(rows.exclude(review=Review.PENDING), record.source)
        row: dict[str, Any]
        for row in read.iterator(chunk_size=CHUNK):
            child = _facts(row)
            village_id = child.village_id if child else row["village_id"]
            if village_id is None:
                continue  # no village to send it to: listed in the import's report
            for rule in rules_hit(
                record.source, row["status"], child, _age(row["birth_date"], today)
            ):
                if rule not in enabled:
                    continue
                suggested = (
                    s.SUGGESTED_CATEGORY.get(row["status"], "")
                    if rule == RuleCode.NOT_IN_ARCHIVE
                    else ""
                )
                region_code = child.region_code if child else codes[village_id]
                yield (
                    due,
                    False,
                    None,
                    "",
                    None,
                    record.pk,
                    row["id"],
                    rule,
                    record.source,
                    row["child_id"],
                    village_id,
                    region_code,
                    suggested,
                    today,
                    "",
                    "",
                    0,
                )  # in FINDING_COLUMNS' order

    return insert_rows("matching_finding", FINDING_COLUMNS, findings())


def describe(finding: Finding) -> str:
    """What the finding asks, in a sentence."""
    texts = {
        RuleCode.NOT_IN_ARCHIVE: _(
            "On the list but not in the archive: check and register if eligible."
        ),
        RuleCode.DROPOUT: _("Dropped out or long absent, while the archive says in school."),
        RuleCode.DISABILITY: _("Holds a disability certificate; the archive has no disability."),
        RuleCode.POVERTY: _(
            "A 低保/特困 family; the archive lacks the poverty category or an assistance record."
        ),
        RuleCode.ALLOWANCE_CLOSED: _("An allowance is paid for a child whose archive is closed."),
        RuleCode.MOVED_OUT: _("Moved out, while still active here: close or transfer."),
        RuleCode.PARENT: _("A parent detained, in rehabilitation or missing."),
        RuleCode.DEATH: _("Reported dead, while the archive is active."),
        RuleCode.MISSING_SIX_MONTHS: _(
            "A parent missing for more than six months (R19): assess whether the child is de "
            "facto unsupported."
        ),
    }
    reported = finding.row.reported_on if finding.rule == RuleCode.MISSING_SIX_MONTHS else None
    if reported is not None:
        return _(
            "A parent was reported missing on %(date)s, more than six months ago (R19): "
            "assess whether the child is de facto unsupported."
        ) % {"date": formats.date_format(reported, "SHORT_DATE_FORMAT")}
    text = str(texts[RuleCode(finding.rule)])
    if finding.suggested_category:
        text += " " + _("Possibly: %(category)s.") % {
            "category": Category(finding.suggested_category).label
        }
    return text
