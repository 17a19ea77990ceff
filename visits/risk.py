"""What visits tell the risk level (children.risk): the latest visit's findings — danger
found, guardianship poor, a concern about the child's mental state — with the visit and its
date. Called by `visit_record` and `visit_correct` in their transaction."""

from __future__ import annotations

import datetime

from children.models import Child
from children.models_risk import RiskSource
from children.risk import RiskReason, Signal, risk_signals_set
from visits.models import Finding, Visit


def visit_signals(child: Child) -> list[Signal]:
    """The reasons the child's latest visit (by date) gives."""
    latest = Visit.objects.filter(child=child).order_by("-visit_date", "-pk").first()
    if latest is None:
        return []
    signals: list[Signal] = []

    def add(code: str, note: str) -> None:
        signals.append(Signal(code=code, dated=latest.visit_date, record_id=latest.pk, note=note))

    if latest.danger_found:
        add(RiskReason.DANGER_FOUND, latest.problems[:200])
    if latest.guardianship == Finding.CONCERN:
        add(RiskReason.VISIT_GUARDIANSHIP, latest.guardianship_note)
    if latest.mental == Finding.CONCERN:
        add(RiskReason.VISIT_MENTAL, latest.mental_note)
    return signals


def risk_visits_update(*, child: Child, now: datetime.datetime | None = None) -> bool:
    """The child's visits changed: their reasons, and the level (True when it changed)."""
    return risk_signals_set(
        child=child, source=RiskSource.VISIT, signals=visit_signals(child), now=now
    )
