"""The visit cadence (R14/R15): when each child's next contact and home visit are due.

Two faces of one rule:

* `due_dates` is the pure rule, on plain values (tests read it as a table);
* `recompute` (one child) and `apply_rule_to_district` (every child of a district) run the
  same rule in SQL as ONE set-based UPDATE over `Child`, the latest qualifying visit read by
  correlated MAX subqueries. No Python loop over children.

Calendar months clamp to the month's end: 2026-01-31 + 1 month = 2026-02-28.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    DateField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from children.choices import Status
from children.models_risk import RiskLevel, RiskRule, level_at_least_q
from core.calendar import add_months
from core.regions import district_code, district_prefix, prefix_range
from visits.models import IN_PERSON_KINDS, CadenceRule, Visit, VisitKind

# --- Pure rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    contact_months: int = 1
    home_visit_months: int = 3
    key_home_visit_months: int = 1
    key_remote_counts: bool = False
    first_home_visit_days: int = 30
    # From this risk level a child is home-visited like a key child (the district's risk rule,
    # children.models_risk.RiskRule.monthly_home_visit_from; 0: no level).
    monthly_from_level: int = RiskLevel.HIGH

    @classmethod
    def of(cls, rule: CadenceRule | None, monthly_from_level: int | None = None) -> Rule:
        level = RiskLevel.HIGH if monthly_from_level is None else monthly_from_level
        if rule is None:
            return cls(monthly_from_level=level)
        return cls(
            contact_months=rule.contact_months,
            home_visit_months=rule.home_visit_months,
            key_home_visit_months=rule.key_home_visit_months,
            key_remote_counts=rule.key_remote_counts,
            first_home_visit_days=rule.first_home_visit_days,
            monthly_from_level=level,
        )

    def contact_kinds(self, is_key: bool) -> tuple[str, ...]:
        if is_key and not self.key_remote_counts:
            return tuple(IN_PERSON_KINDS)
        return tuple(VisitKind.values)

    def home_months(self, is_key: bool, risk_level: int = RiskLevel.LOW) -> int:
        monthly = is_key or (
            bool(self.monthly_from_level) and risk_level >= self.monthly_from_level
        )
        return self.key_home_visit_months if monthly else self.home_visit_months


DEFAULT_RULE = Rule()


def due_dates(
    *,
    registered_on: datetime.date,
    is_key: bool,
    active: bool,
    visits: Iterable[tuple[str, datetime.date]],
    rule: Rule = DEFAULT_RULE,
    risk_level: int = RiskLevel.LOW,
) -> tuple[datetime.date | None, datetime.date | None]:
    """(next contact due, next home visit due) of one child from its visits (kind, date).

    Contact: latest qualifying visit (any kind; in person only for a key child) + the contact
    interval; with none, registration + the interval. Home visit: latest home visit + the
    home interval (the key one for a key child, or a child at the rule's monthly risk level);
    with none, registration + the first-visit
    days. A closed child has neither."""
    if not active:
        return None, None
    visits = list(visits)
    contact_kinds = rule.contact_kinds(is_key)
    last_contact = max((d for k, d in visits if k in contact_kinds), default=None)
    last_home = max((d for k, d in visits if k == VisitKind.HOME), default=None)
    contact_due = add_months(last_contact or registered_on, rule.contact_months)
    if last_home is None:
        home_due = registered_on + datetime.timedelta(days=rule.first_home_visit_days)
    else:
        home_due = add_months(last_home, rule.home_months(is_key, risk_level))
    return contact_due, home_due


# --- The rule in SQL -----------------------------------------------------------------------


class AddMonths(Func):
    """date + n calendar months, clamped to the month's end, on SQLite and PostgreSQL."""

    output_field = DateField()

    def __init__(self, expression: Any, months: int) -> None:
        self.months = int(months)
        super().__init__(expression, output_field=DateField())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # PostgreSQL clamps month arithmetic to the month's end itself.
        return super().as_sql(
            compiler,
            connection,
            template=f"CAST((%(expressions)s) + INTERVAL '{self.months} months' AS date)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite overflows (01-31 + 1 month = 03-03): take the smaller of that and the last
        # day of the target month.
        n = self.months
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"MIN(date({sql}, '+{n} months'), "
            f"date({sql}, 'start of month', '+{n + 1} months', '-1 day'))",
            (*params, *params),
        )


class AddDays(Func):
    output_field = DateField()

    def __init__(self, expression: Any, days: int) -> None:
        self.days = int(days)
        super().__init__(expression, output_field=DateField())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template=f"CAST((%(expressions)s) + {self.days} AS date)", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler, connection, template=f"date(%(expressions)s, '+{self.days} days')", **extra
        )


def _latest(kinds: Iterable[str]) -> Subquery:
    return Subquery(
        Visit.objects.filter(child=OuterRef("pk"), kind__in=list(kinds))
        .order_by("-visit_date")
        .values("visit_date")[:1],
        output_field=DateField(),
    )


def due_date_expressions(
    rule: Rule,
    latest: Callable[[Iterable[str]], Any],
    registered: Any,
    is_key: str = "is_key",
    risk_of: str | None = "pk",
) -> tuple[Case, Case]:
    """The cadence rule as two expressions, (contact due, home-visit due), from `latest(kinds)`
    (the date of the child's latest visit of those kinds that counts), `registered` (the
    registration date) and the lookup of the child's key flag. The one statement of the rule:
    stored due dates (due_expressions) and the due dates a child had on a past day
    (supervision's timeliness figures) are both built here. `risk_of`: the lookup of the
    child's id whose risk level (children.models_risk.ChildRisk) sets the home-visit interval
    of `Rule.home_months` (None: not considered)."""
    key = Q(**{is_key: True})
    monthly = key
    if risk_of is not None and rule.monthly_from_level:
        monthly = key | level_at_least_q(rule.monthly_from_level, risk_of)
    contact = Case(
        When(
            key,
            then=AddMonths(
                Coalesce(latest(rule.contact_kinds(True)), registered), rule.contact_months
            ),
        ),
        default=AddMonths(Coalesce(latest(VisitKind.values), registered), rule.contact_months),
        output_field=DateField(),
    )
    first_home = AddDays(registered, rule.first_home_visit_days)
    last_home = latest([VisitKind.HOME])
    home = Case(
        When(monthly, then=Coalesce(AddMonths(last_home, rule.key_home_visit_months), first_home)),
        default=Coalesce(AddMonths(last_home, rule.home_visit_months), first_home),
        output_field=DateField(),
    )
    return contact, home


def due_expressions(rule: Rule) -> dict[str, Any]:
    """UPDATE assignments for next_contact_due and next_home_visit_due under `rule` (none for a
    closed child)."""
    contact, home = due_date_expressions(rule, _latest, TruncDate("created_at"))
    closed = Q(status=Status.CLOSED)
    none = Value(None, output_field=DateField())
    return {
        "next_contact_due": Case(
            When(closed, then=none), default=contact, output_field=DateField()
        ),
        "next_home_visit_due": Case(
            When(closed, then=none), default=home, output_field=DateField()
        ),
    }


def remote_key_districts() -> list[str]:
    """The 6-digit prefixes of the districts whose rule lets a phone or video contact count for
    key children (`Rule.key_remote_counts`). One small query; the districts are few."""
    codes = CadenceRule.objects.filter(key_remote_counts=True).values_list(
        "district__code", flat=True
    )
    return sorted(district_prefix(code) for code in codes)


def any_kind_counts_q(
    remote_districts: Iterable[str], *, is_key: str = "is_key", region_code: str = "region_code"
) -> Q:
    """`Rule.contact_kinds` in SQL, on a row carrying the child's key flag and region code: the
    children for whom a contact of any kind counts (not a key child, or a key child in a district
    that counts remote contacts); for the others only an in-person contact counts."""
    condition = Q(**{is_key: False})
    for prefix in remote_districts:
        condition |= Q(**{f"{region_code}__range": prefix_range(prefix)})
    return condition


def counts_as_contact_q(
    remote_districts: Iterable[str],
    *,
    kind: str = "kind",
    is_key: str = "child__is_key",
    region_code: str = "child__region_code",
) -> Q:
    """On visit rows: the visit counts as a contact of its child under the child's district
    rule (in person always; phone or video where `any_kind_counts_q` holds)."""
    return Q(**{f"{kind}__in": list(IN_PERSON_KINDS)}) | any_kind_counts_q(
        remote_districts, is_key=is_key, region_code=region_code
    )


def _monthly_from_level(district: Q) -> int | None:
    return (
        RiskRule.objects.filter(district).values_list("monthly_home_visit_from", flat=True).first()
    )


def rule_for_code(region_code: str) -> Rule:
    code = district_code(region_code)
    rule = CadenceRule.objects.filter(district__code=code).first()
    return Rule.of(rule, _monthly_from_level(Q(district__code=code)))


def level_moves_due_dates_q(rule: Rule) -> Q | None:
    """A filter on risk changes (children.models_risk.RiskChange): those whose level crossed
    the rule's monthly home-visit level, the only changes of level that move a child's due
    dates (`Rule.home_months`). None: under this rule no change of level moves them."""
    level = rule.monthly_from_level
    if not level:
        return None
    return (Q(from_level__lt=level) & Q(to_level__gte=level)) | (
        Q(from_level__gte=level) & Q(to_level__lt=level)
    )


def apply(children: QuerySet[Any], rule: Rule) -> int:
    """Recompute the due dates of `children` under `rule` in one UPDATE statement."""
    return children.update(**due_expressions(rule))


def recompute(child: Any) -> None:
    """Recompute one child's stored due dates (in the caller's transaction) and refresh them
    on the instance."""
    from children.models import Child

    apply(Child.objects.filter(pk=child.pk), rule_for_code(child.region_code))
    fresh = (
        Child.objects.filter(pk=child.pk).values("next_contact_due", "next_home_visit_due").get()
    )
    child.next_contact_due = fresh["next_contact_due"]
    child.next_home_visit_due = fresh["next_home_visit_due"]


def apply_rule_to_district(district: Any) -> int:
    """Apply the district's rule to all of its children: one set-based UPDATE."""
    from children.models import Child

    rule = Rule.of(
        CadenceRule.objects.filter(district=district).first(),
        _monthly_from_level(Q(district=district)),
    )
    children = Child.objects.filter(region_code__range=prefix_range(district_prefix(district.code)))
    return apply(children, rule)
