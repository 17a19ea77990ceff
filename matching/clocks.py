"""R19's six-month clock for a missing parent (000 五(三); 003 (十)): a parent a public-security
list reports missing (失联) for more than six months may leave the child de-facto unsupported
(事实无人抚养). Each row of a parents' list records the day the police registered it
(`ListRow.reported_on`, the day of the import when the list has no date column); the clock of
a child runs from its earliest such row.

`findings_raise_missing_parents` (daily, matching.tasks) gives the child's director a finding
— assess the child as possibly de-facto unsupported — once the six months are over: one
INSERT … SELECT per district whose rule has it on, never twice for a child (any finding of
the rule, open or closed, stops it), not for a child already in the category or no longer
active, and not from a row whose parent finding the director closed as not applicable (the
parent was not missing). Then the children's risk level (matching.risk) and one notification
per director, in the same transaction."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.utils.translation import gettext as _

from children.choices import Category, Status
from children.models import Child
from core import clock
from core.calendar import add_months
from core.regions import prefix_range
from matching import sources as s
from matching.importing import notify_directors
from matching.models import (
    Finding,
    FindingRuleSet,
    ListImport,
    ListImportStatus,
    ListRow,
    Outcome,
    RuleCode,
)
from matching.risk import children_of, risk_findings_update
from matching.rules import rule_set
from org.models import Region

MONTHS = 6


def missing_rows() -> QuerySet[ListRow]:
    """Rows of imported parents' lists saying a parent of a matched child is missing, less
    those whose parent finding was closed as not applicable."""
    dismissed = Finding.objects.filter(
        row=OuterRef("pk"), rule=RuleCode.PARENT, outcome=Outcome.NOT_APPLICABLE
    )
    return ListRow.objects.filter(
        list_import__source=s.SourceKind.POLICE_PARENTS,
        list_import__status=ListImportStatus.COMMITTED,
        status=s.MISSING,
        child__isnull=False,
        reported_on__isnull=False,
    ).exclude(Exists(dismissed))


def due_rows(district: Region, today: datetime.date) -> QuerySet[ListRow]:
    """Each child of `district` whose clock is over: its earliest row, if that is more than
    MONTHS months before `today`."""
    missing = missing_rows().filter(list_import__district=district)
    first = missing.filter(child_id=OuterRef("child_id")).order_by("reported_on", "pk")
    unsupported = Child.categories.through.objects.filter(
        child_id=OuterRef("child_id"), categorytag_id=Category.UNSUPPORTED
    )
    raised = Finding.objects.filter(child_id=OuterRef("child_id"), rule=RuleCode.MISSING_SIX_MONTHS)
    return missing.filter(
        pk=Subquery(first.values("pk")[:1]),
        reported_on__lt=add_months(today, -MONTHS),
        child__status=Status.ACTIVE,
        child__region_code__range=prefix_range(district.prefix),
    ).exclude(Exists(unsupported) | Exists(raised))


COLUMNS = ("row_id", "list_import_id", "child_id", "village_id", "region_code", "due_on",
           "done", "done_note", "rule", "source", "suggested_category", "created_on",
           "outcome", "outcome_link", "escalated")  # fmt: skip


def _raise(district: Region, rules: FindingRuleSet, today: datetime.date) -> int:
    rows = (
        due_rows(district, today)
        .order_by()
        .values_list("pk", "list_import_id", "child_id", "child__village_id", "child__region_code")
        .annotate(
            f_due=Value(today + datetime.timedelta(days=rules.due_days)),
            f_done=Value(False),
            f_note=Value(""),
            f_rule=Value(RuleCode.MISSING_SIX_MONTHS.value),
            f_source=Value(s.SourceKind.POLICE_PARENTS.value),
            f_category=Value(Category.UNSUPPORTED.value),
            f_created=Value(today),
            f_outcome=Value(""),
            f_link=Value(""),
            f_escalated=Value(0),
        )
    )
    select, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Finding._meta.db_table} ({', '.join(COLUMNS)}) {select}",
            params,
        )
        return int(max(cursor.rowcount, 0))


def findings_raise_missing_parents(today: datetime.date | None = None) -> int:
    """Raise the findings owed today; returns how many (none twice: run it as often as you
    like)."""
    today = today or clock.today()
    now = clock.now()
    districts = Region.objects.filter(
        pk__in=ListImport.objects.filter(
            source=s.SourceKind.POLICE_PARENTS, status=ListImportStatus.COMMITTED
        ).values("district")
    ).order_by("code")
    written = 0
    for district in districts:
        rules = rule_set(district)
        if not rules.missing_six_months:
            continue
        with transaction.atomic():
            raised = _raise(district, rules, today)
            if not raised:
                continue
            new = Finding.objects.filter(
                rule=RuleCode.MISSING_SIX_MONTHS,
                created_on=today,
                region_code__range=prefix_range(district.prefix),
            )
            risk_findings_update(children=children_of(new), region_code=district.code, now=now)
            notify_directors(new, _("A parent missing for more than six months (R19)"))
            written += raised
    return written
