"""What findings tell the risk level (children.risk, issue 16 §2: "open findings"): a child
with open findings has the reason `open_finding`, from its latest open finding (the rule and
the list it came from in the note, the day it was found as the reason's date).

Called in the transaction that writes findings (a list's import, a reviewed match, the R19
clock) or closes one, for all the children concerned at once: a few statements whatever
their number (children.risk.risk_signals_set_many), then the due dates of the children
whose level changed (visits.cadence, one UPDATE)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models
from django.db.models import Case, F, Value, When, Window
from django.db.models.functions import Concat, Left, RowNumber

from children.models import Child
from children.models_risk import RiskChange, RiskSource
from children.risk import RiskReason, risk_signals_set_many
from core import clock
from core.regions import district_code
from matching.models import Finding, RuleCode
from matching.sources import SourceKind
from visits import cadence


def _labels(field: str, choices: Any) -> Case:
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=Value(""),
        output_field=models.CharField(),
    )


def finding_signals() -> models.QuerySet[Any]:
    """One row per child with open findings: its latest open finding, its date and a note
    naming the rule and the list ("Dropped out or long absent · Education: dropouts …")."""
    # The latest per child by a window (one pass over the findings), not a subquery per
    # finding (at 1,000,000 children and 190,000 findings the correlated form took minutes).
    # Filters on the child added by the caller go inside, before the ranking.
    latest = Window(
        RowNumber(),
        partition_by=[F("child_id")],
        order_by=[F("created_on").desc(), F("pk").desc()],
    )
    note = Concat(
        _labels("rule", RuleCode.choices),
        Value(" · "),
        _labels("source", SourceKind.choices),
        output_field=models.CharField(),
    )
    return (
        Finding.objects.filter(done=False, child__isnull=False)
        .annotate(latest=latest)
        .filter(latest=1)
        .order_by()
        .values_list("child_id", "pk", "created_on")
        .annotate(signal_note=Left(note, 200))
    )


def risk_findings_update(
    *,
    children: models.QuerySet[Child],
    region_code: str,
    now: datetime.datetime | None = None,
) -> int:
    """The open findings of `children` (of the district of `region_code`) changed: their
    reason, level and, where the level changed, due dates. Returns how many changed level."""
    now = now or clock.now()
    district = district_code(region_code)
    changed = risk_signals_set_many(
        children=children,
        district_code=district,
        source=RiskSource.FINDING,
        code=RiskReason.OPEN_FINDING,
        signals=finding_signals(),
        now=now,
    )
    rule = cadence.rule_for_code(district)
    crossing = cadence.level_moves_due_dates_q(rule)
    if changed and crossing is not None:
        # Only the children whose level crossed the monthly home-visit level: at 1,000,000
        # children a first list moves ~150,000 from low to moderate, and recomputing all of
        # their due dates from their visits took minutes for dates that do not change.
        moved = (
            RiskChange.objects.filter(
                child__in=children.values("pk"), cause=RiskSource.FINDING, changed_at=now
            )
            .filter(crossing)
            .values("child_id")
        )
        cadence.apply(Child.objects.filter(pk__in=moved), rule)
    return changed


def children_of(findings: models.QuerySet[Finding]) -> models.QuerySet[Child]:
    return Child.objects.filter(pk__in=findings.filter(child__isnull=False).values("child_id"))
