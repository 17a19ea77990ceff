"""What mandatory reports tell the risk level (children.risk): an open report about the child
(the newest, with its date and how many are open). Called in the transaction of filing a
report, of a step that closes or reopens one, and of linking one to a child's archive; when
the level changes the child's due dates move (visits.cadence) in the same transaction."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from children.models import Child
from children.models_risk import RiskSource
from children.risk import RiskReason, Signal, risk_signals_set
from reports.models import MandatoryReport
from visits import cadence


def report_signals(child: Child) -> list[Signal]:
    reports = list(
        MandatoryReport.objects.filter(child=child).open().order_by("-found_at", "-pk")[:1]
    )
    if not reports:
        return []
    count = MandatoryReport.objects.filter(child=child).open().count()
    latest = reports[0]
    note = _("%(count)d open report(s)") % {"count": count}
    return [
        Signal(
            code=RiskReason.OPEN_REPORT,
            dated=timezone.localdate(latest.found_at),
            record_id=latest.pk,
            note=note,
        )
    ]


def risk_reports_update(*, child_id: int, now: datetime.datetime | None = None) -> bool:
    """The child's open reports changed: the reason, the level and, when the level changed,
    the due dates. Locks the child's row (in the caller's transaction)."""
    child = Child.objects.select_for_update().get(pk=child_id)
    changed = risk_signals_set(
        child=child, source=RiskSource.REPORT, signals=report_signals(child), now=now
    )
    if changed:
        cadence.recompute(child)
    return changed
