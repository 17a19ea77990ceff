"""Filing a mandatory report (R17): one transaction, never refused by the certification
gate. Its alerts (in-app notifications and SMS copies) go through notifications.notify in
that transaction and are sent on commit, so the page answers without waiting for the SMS
gateway and no alert is lost."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from children.models import Child
from core import clock, permissions, scoping
from core.regions import Level
from core.roles import DATA_ROLES
from notifications.models import Channel, NotificationKind
from notifications.services import notify
from org.models import Region, User
from reports import risk as report_risk
from reports.models import MandatoryReport, ReportStep, Situation, Stage, StepKind
from reports.selectors import alert_recipients
from reports.workflow import default_due
from visits.models import FINDING_AREAS, Visit


@dataclass
class ReportInput:
    situations: list[str]
    found_at: datetime.datetime | None = None
    child: Child | None = None
    village: Region | None = None
    child_description: str = ""
    location: str = ""
    how_found: str = ""
    what_seen: str = ""
    immediate_danger: bool = False
    police_station: str = ""
    police_reported_at: datetime.datetime | None = None
    police_officer: str = ""
    police_receipt: str = ""
    civil_affairs_informed: bool = False
    education_informed: bool = False
    visit: Visit | None = None  # the visit that found the child in danger


def from_visit(visit: Visit) -> dict[str, Any]:
    """The form's first values for a report filed from `visit` (issue 15: she does not retype
    what she just wrote): the child, found at the visit's date with the time it was logged,
    at the child's address, how (the kind of visit, who was seen) and what was seen (the
    findings' notes, the problems found). All editable."""
    logged = timezone.localtime(visit.created_at)
    at = logged.time().replace(second=0, microsecond=0)
    found_at = datetime.datetime.combine(visit.visit_date, at, tzinfo=logged.tzinfo)
    how = _("Found on a visit: %(kind)s on %(date)s.") % {
        "kind": visit.get_kind_display(),
        "date": formats.date_format(visit.visit_date, "DATE_FORMAT"),
    }
    if visit.seen:
        how += " " + _("Seen: %(seen)s.") % {"seen": visit.seen}
    seen = [
        _("%(area)s: %(note)s") % {"area": label, "note": getattr(visit, f"{area}_note").strip()}
        for area, label in FINDING_AREAS
        if getattr(visit, f"{area}_note").strip()
    ]
    if visit.problems.strip():
        seen.append(visit.problems.strip())
    return {
        "child": visit.child_id,
        "visit": visit.pk,
        "found_at": min(found_at, clock.now()),
        "location": visit.child.address,
        "how_found": how,
        "what_seen": "\n".join(seen),
        "immediate_danger": visit.danger_found,
    }


def may_file(user: User) -> bool:
    """Any data-role user may file (R17): the certification gate never blocks a report."""
    permissions.require_work(user, mandatory_report=True)  # documents the bypass; never raises
    return scoping.get_scope(user).has_role(*DATA_ROLES)


def _validate(user: User, data: ReportInput, now: datetime.datetime) -> Region | None:
    errors: dict[str, list[str]] = {}
    village: Region | None = None
    if data.visit is not None:
        if not Visit.objects.visible_to(user).filter(pk=data.visit.pk).exists():
            errors["visit"] = [_("This visit is not in your regions.")]
        elif data.child is None:
            data.child = data.visit.child  # a report from a visit is about the visited child
        elif data.child.pk != data.visit.child_id:
            errors["visit"] = [_("This visit is of another child.")]
    if data.child is not None:
        if not Child.objects.visible_to(user).filter(pk=data.child.pk).exists():
            errors["child"] = [_("This child is not in your regions.")]
        village = data.child.village
    else:
        if not (data.child_description or "").strip():
            errors["child_description"] = [
                _("Choose a registered child, or describe the child (a name if known, sex, age).")
            ]
        if data.village is None:
            errors["village"] = [_("Choose the village where the child was found.")]
        elif data.village.level != Level.VILLAGE or not scoping.get_scope(user).covers(
            data.village.code
        ):
            errors["village"] = [_("Choose a village in your regions.")]
        else:
            village = data.village
    codes = list(dict.fromkeys(data.situations or []))
    if not codes:
        errors["situations"] = [_("Choose at least one situation.")]
    elif any(code not in Situation.values for code in codes):
        errors["situations"] = [_("Choose situations from the list.")]
    if data.found_at is None:
        errors["found_at"] = [_("Give when the situation was found.")]
    elif data.found_at > now:
        errors["found_at"] = [_("The time it was found cannot be in the future.")]
    if data.police_reported_at is not None:
        if data.police_reported_at > now:
            errors.setdefault("police_reported_at", []).append(
                _("The police report time cannot be in the future.")
            )
        if data.found_at is not None and data.police_reported_at < data.found_at:
            errors.setdefault("police_reported_at", []).append(
                _("The police report cannot be before the situation was found.")
            )
    if errors:
        raise ValidationError(errors)
    data.situations = codes
    return village


def report_file(
    *,
    by: User,
    data: ReportInput,
    client_uuid: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> tuple[MandatoryReport, bool]:
    """File a mandatory report. Returns (report, created); the same client_uuid again returns
    the first report and files nothing. Never refused by the certification gate."""
    now = now or clock.now()
    if client_uuid is not None:
        earlier = MandatoryReport.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:
            return earlier, False
    if not may_file(by):
        raise PermissionDenied(_("Your role does not file reports here."))
    village = _validate(by, data, now)
    if village is None or data.found_at is None:  # pragma: no cover - _validate refused it
        raise ValidationError({"village": [_("Choose the village where the child was found.")]})
    try:
        with transaction.atomic():
            report = MandatoryReport(
                child=data.child,
                child_description=data.child_description.strip(),
                location=data.location.strip(),
                visit=data.visit,
                village=village,
                region_code=village.code,
                situations=data.situations,
                found_at=data.found_at,
                how_found=data.how_found,
                what_seen=data.what_seen,
                immediate_danger=data.immediate_danger,
                police_station=data.police_station,
                police_reported_at=data.police_reported_at,
                police_officer=data.police_officer,
                police_receipt=data.police_receipt,
                civil_affairs_informed=data.civil_affairs_informed,
                education_informed=data.education_informed,
                reporter=by,
                stage=Stage.REPORTED,
                stage_since=now,
            )
            if client_uuid is not None:
                report.client_uuid = client_uuid
            report.save()
            report.next_step = str(Stage(Stage.EMERGENCY_RESPONSE).label)
            report.next_due_at = default_due(report, Stage.EMERGENCY_RESPONSE)
            report.save(update_fields=["next_step", "next_due_at"])
            ReportStep.objects.create(
                report=report,
                stage=Stage.REPORTED,
                kind=StepKind.REPORT,
                what=_report_summary(report),
                by=by,
                done_at=now,
                child_location=report.location,
                next_step=report.next_step,
                next_due_at=report.next_due_at,
            )
            _alert(report)
            if report.child_id is not None:
                report_risk.risk_reports_update(child_id=report.child_id, now=now)
    except IntegrityError:
        if client_uuid is None:
            raise
        earlier = MandatoryReport.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is None:
            raise ValidationError(
                {"client_uuid": [_("This id has already been used for another report.")]}
            ) from None
        return earlier, False
    return report, True


def _report_summary(report: MandatoryReport) -> str:
    parts = ["; ".join(report.situation_labels())]
    if report.police_station:
        parts.append(
            _("Police informed: %(station)s %(receipt)s")
            % {"station": report.police_station, "receipt": report.police_receipt}
        )
    return " · ".join(p for p in parts if p.strip())


def _alert(report: MandatoryReport) -> None:
    """Tell the alert recipients in-app, with an SMS copy to those with a phone."""
    title = _("Mandatory report: %(child)s (%(village)s)") % {
        "child": report.child_label,
        "village": report.village.name,
    }
    body = "; ".join(report.situation_labels())
    if report.immediate_danger:
        body = _("Immediate danger.") + " " + body
    notify(
        recipients=alert_recipients(report.region_code),
        kind=NotificationKind.REPORT_FILED,
        title=title,
        body=body,
        link=reverse("reports:detail", args=[report.pk]),
        child_id=report.child_id,
        channels=(Channel.SMS,),
    )
