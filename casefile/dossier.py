"""The printed dossier (一人一档): the archive's own pages (children.dossier) with what the
archive page also shows from above the archive: the visits, the mandatory reports about the
child that the reader may see and the referrals to service providers.

children.dossier renders the archive (identity, family, records, attachments, history); this
module sits above visits and reports (as the archive page does) and adds them through the
template casefile/dossier.html, which extends children/dossier.html. The queries are fixed in
number whatever the number of visits, reports and their steps.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from caseplans.models import CasePlan
from caseplans.selectors import plan_detail_queryset
from children import dossier
from children.models import Child
from core import clock
from core.calendar import add_months
from org.models import User
from providers.models import ServiceReferral
from reports.models import MandatoryReport, ReportStep, StepKind
from reports.sharing import may_see_reporter
from visits.models import Visit

# The visits printed: those of the last VISIT_MONTHS months, with a count of the older ones.
VISIT_MONTHS = 24
TEMPLATE = "casefile/dossier.html"
HIDDEN = "—"  # the reporter's identity, to a reader who may not see it (as the archive page)


@dataclass(frozen=True)
class StepRow:
    step: ReportStep
    who: str


@dataclass
class ReportRow:
    report: MandatoryReport
    reporter: str  # the name, or HIDDEN
    steps: list[StepRow] = field(default_factory=list)


def _name(user: User | None) -> str:
    if user is None:
        return HIDDEN
    return str(user.real_name or user.get_username())


def visits(child: Child, today: datetime.date) -> tuple[list[Visit], int, datetime.date]:
    """The visits since VISIT_MONTHS months before `today`, newest first, the number of older
    ones and the first day printed (two queries)."""
    since = add_months(today, -VISIT_MONTHS)
    recent = list(
        Visit.objects.filter(child=child, visit_date__gte=since)
        .select_related("author")
        .order_by("-visit_date", "-pk")
    )
    older = Visit.objects.filter(child=child, visit_date__lt=since).count()
    return recent, older, since


def reports(child: Child, reader: User) -> list[ReportRow]:
    """The mandatory reports about `child` that `reader` may see (their scope and the explicit
    grants), oldest first, with their steps. The reporter's identity follows the archive
    page's rule (reports.sharing.may_see_reporter): district staff, the protection centre and
    the reporter only; the filing step's author is the reporter, hidden the same way."""
    found = (
        MandatoryReport.objects.visible_to(reader)
        .filter(child_id=child.pk)
        .select_related("reporter", "village", "acknowledged_by")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ReportStep.objects.select_related("by").order_by("done_at", "pk"),
            )
        )
        .order_by("found_at", "pk")
    )
    rows = []
    for report in found:
        shown = may_see_reporter(reader, report)
        rows.append(
            ReportRow(
                report=report,
                reporter=_name(report.reporter) if shown else HIDDEN,
                steps=[
                    StepRow(
                        step,
                        HIDDEN if step.kind == StepKind.REPORT and not shown else _name(step.by),
                    )
                    for step in report.steps.all()
                ],
            )
        )
    return rows


def plans(child: Child) -> list[CasePlan]:
    """The child's case plans, oldest first, with their needs, goals, actions, decisions and
    reviews (a fixed number of queries)."""
    return list(plan_detail_queryset().filter(child=child).order_by("created_at", "pk"))


def records(child: Child, reader: User, today: datetime.date) -> dict[str, Any]:
    """The dossier's sections from above the archive, as template context."""
    recent, older, since = visits(child, today)
    return {
        "visits": recent,
        "older_visits": older,
        "visits_since": since,
        "reports": reports(child, reader),
        "service_referrals": list(
            ServiceReferral.objects.visible_to(reader)
            .filter(child_id=child.pk)
            .select_related("provider", "referred_by", "decided_by")
            .order_by("referred_on", "pk")
        ),
        "plans": plans(child),
        "hidden": HIDDEN,
    }


def render_html(child: Child, reader: User, now: datetime.datetime | None = None) -> str:
    now = now or clock.now()
    extra = records(child, reader, timezone.localdate(now))
    return dossier.render_html(child, reader, now, template=TEMPLATE, extra=extra)


def render_pdf(child: Child, reader: User, now: datetime.datetime | None = None) -> bytes:
    """The whole dossier of `child` as printed by `reader`; `child` from
    children.dossier.dossier_queryset() so that its records are prefetched."""
    now = now or clock.now()
    extra = records(child, reader, timezone.localdate(now))
    return dossier.render_pdf(child, reader, now, template=TEMPLATE, extra=extra)
