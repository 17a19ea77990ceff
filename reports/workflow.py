"""The stage workflow of a mandatory report (R18): the order of stages, each district's
deadlines, and the append-only steps that move a case along (stages, progress,
acknowledgement, corrections, closing and reopening, linking to a child's archive). A step is
never edited; every write locks the report row and recomputes its next expected step."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from children.models import Child
from core import clock, permissions, scoping
from core.district_rules import rule_fields
from core.regions import district_code
from core.roles import Role
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import User
from reports import risk as report_risk
from reports.models import (
    STAGE_ORDER,
    SYSTEM_STEP_KINDS,
    MandatoryReport,
    ReportDeadlineRule,
    ReportStep,
    Stage,
    StepKind,
)

# Default deadlines from the filing of a report (R18), per expected stage; a district
# overrides them with a ReportDeadlineRule row (see deadline_rule).
DEFAULT_DEADLINES: dict[str, datetime.timedelta] = {
    Stage.EMERGENCY_RESPONSE: datetime.timedelta(hours=24),
    Stage.ASSESSMENT: datetime.timedelta(days=7),
    Stage.ASSISTANCE_PLAN: datetime.timedelta(days=14),
}
RULE_FIELDS = rule_fields(ReportDeadlineRule)
# The stages a stage step may move a case to, from each stage.
NEXT_STAGES: dict[str, tuple[str, ...]] = {
    Stage.REPORTED: (Stage.EMERGENCY_RESPONSE,),
    Stage.EMERGENCY_RESPONSE: (Stage.ASSESSMENT,),
    Stage.ASSESSMENT: (Stage.ASSISTANCE_PLAN, Stage.GUARDIANSHIP_INTERVENTION),
    Stage.ASSISTANCE_PLAN: (Stage.GUARDIANSHIP_INTERVENTION, Stage.CLOSED),
    Stage.GUARDIANSHIP_INTERVENTION: (Stage.ASSISTANCE_PLAN, Stage.CLOSED),
    Stage.CLOSED: (),
}
CLOSING_ROLES = (Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)


def expected_after(stage: str) -> str:
    """The stage expected after `stage` in the usual order."""
    following = NEXT_STAGES.get(stage, ())
    return following[0] if following else ""


@dataclass(frozen=True)
class DeadlineRule:
    """A district's deadlines (from the filing of the report) and escalation delay."""

    emergency_response_hours: int
    assessment_days: int
    assistance_plan_days: int
    escalation_delay_hours: int

    def deadline(self, stage: str) -> datetime.timedelta | None:
        deadlines: dict[str, datetime.timedelta] = {
            Stage.EMERGENCY_RESPONSE: datetime.timedelta(hours=self.emergency_response_hours),
            Stage.ASSESSMENT: datetime.timedelta(days=self.assessment_days),
            Stage.ASSISTANCE_PLAN: datetime.timedelta(days=self.assistance_plan_days),
        }
        return deadlines.get(stage)

    @property
    def escalation_delay(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.escalation_delay_hours)


def default_rule() -> DeadlineRule:
    """The defaults of R18; the escalation delay from settings.REPORT_ESCALATION_DELAY_HOURS."""
    return DeadlineRule(
        emergency_response_hours=int(DEFAULT_DEADLINES[Stage.EMERGENCY_RESPONSE].total_seconds())
        // 3600,
        assessment_days=DEFAULT_DEADLINES[Stage.ASSESSMENT].days,
        assistance_plan_days=DEFAULT_DEADLINES[Stage.ASSISTANCE_PLAN].days,
        escalation_delay_hours=int(escalation_delay().total_seconds()) // 3600,
    )


def deadline_rules(district_codes: Iterable[str]) -> dict[str, DeadlineRule]:
    """The rule of each district (12-digit codes) in one query; the defaults where a district
    has no row."""
    codes = set(district_codes)
    fallback = default_rule()
    rules = dict.fromkeys(codes, fallback)
    for row in ReportDeadlineRule.objects.filter(district__code__in=codes).values(
        "district__code", *RULE_FIELDS
    ):
        rules[row["district__code"]] = DeadlineRule(**{f: row[f] for f in RULE_FIELDS})
    return rules


def deadline_rule(region_code: str) -> DeadlineRule:
    """The rule of the district of `region_code`."""
    district = district_code(region_code)
    return deadline_rules([district])[district]


def default_due(
    report: MandatoryReport, stage: str, rule: DeadlineRule | None = None
) -> datetime.datetime | None:
    """When `stage` is due for `report`: the filing time plus the district's deadline (the
    rule in force now; deadlines already recorded on open cases are not moved)."""
    if report.created_at is None or stage not in DEFAULT_DEADLINES:
        return None
    delta = (rule or deadline_rule(report.region_code)).deadline(stage)
    return report.created_at + delta if delta is not None else None


def escalation_delay() -> datetime.timedelta:
    """The default delay (settings.REPORT_ESCALATION_DELAY_HOURS); districts override it."""
    return datetime.timedelta(hours=settings.REPORT_ESCALATION_DELAY_HOURS)


@dataclass
class StepInput:
    kind: str
    what: str
    stage: str = ""
    done_at: datetime.datetime | None = None
    child_location: str = ""
    next_step: str = ""
    next_due_at: datetime.datetime | None = None
    corrects: ReportStep | None = None


def stage_refusal(report: MandatoryReport, target: str) -> str | None:
    """Why a stage step to `target` may not be recorded now; None when it may."""
    if target not in STAGE_ORDER or target == Stage.REPORTED:
        return _("Choose the stage this step reaches.")
    if report.stage == Stage.CLOSED:
        return _("This case is closed: reopen it before recording a new stage.")
    if target not in NEXT_STAGES[report.stage]:
        allowed = ", ".join(str(Stage(s).label) for s in NEXT_STAGES[report.stage])
        return _("%(target)s cannot be recorded at this stage (%(stage)s); next: %(allowed)s.") % {
            "target": Stage(target).label,
            "stage": Stage(report.stage).label,
            "allowed": allowed,
        }
    return None


def may_add_steps(user: User) -> bool:
    return permissions.can_add_records(user)


def append_step(
    report: MandatoryReport, kind: str, what: str, by: User, now: datetime.datetime
) -> ReportStep:
    """A bookkeeping step (link, share, revoke) at the case's current stage."""
    return ReportStep.objects.create(
        report=report,
        stage=report.stage,
        kind=kind,
        what=what,
        by=by,
        done_at=now,
        next_step=report.next_step,
        next_due_at=report.next_due_at,
    )


def report_add_step(
    *, by: User, report: MandatoryReport, data: StepInput, now: datetime.datetime | None = None
) -> ReportStep:
    """Append a step to `report` (resolved through the user's scope by the caller). Stage
    order is enforced; corrections are new steps referencing the corrected one."""
    now = now or clock.now()
    permissions.require_work(by)  # only the filing itself bypasses the certification gate
    if not may_add_steps(by):
        raise PermissionDenied(_("Your role does not record steps of a case."))
    errors: dict[str, list[str]] = {}
    what = (data.what or "").strip()
    done_at = data.done_at or now
    if data.kind not in StepKind.values or data.kind in SYSTEM_STEP_KINDS:
        errors["kind"] = [_("Choose the kind of step.")]
    if not what and data.kind != StepKind.ACKNOWLEDGE:
        message = (
            _("Give the reason for closing and the child's situation at closure.")
            if data.stage == Stage.CLOSED
            else _("Say what was done.")
        )
        errors["what"] = [message]
    if done_at > now:
        errors["done_at"] = [_("This time cannot be in the future.")]
    if data.next_due_at is not None and data.next_due_at < done_at:
        errors["next_due_at"] = [_("The next step cannot be due before this step.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = MandatoryReport.objects.select_for_update().get(pk=report.pk)
        stage = locked.stage
        next_stage = ""
        if data.kind == StepKind.STAGE:
            refusal = stage_refusal(locked, data.stage)
            if refusal:
                raise ValidationError({"stage": [refusal]})
            if data.stage == Stage.CLOSED and not scoping.get_scope(by).has_role(*CLOSING_ROLES):
                raise PermissionDenied(_("A case is closed by a supervisor or district staff."))
            stage = data.stage
            next_stage = expected_after(stage) if stage != Stage.CLOSED else ""
        elif data.kind == StepKind.ACKNOWLEDGE:
            if locked.acknowledged_at is not None:
                raise ValidationError({"kind": [_("This report has already been acknowledged.")]})
            what = what or _("Report acknowledged.")
        elif data.kind == StepKind.REOPEN:
            if locked.stage != Stage.CLOSED:
                raise ValidationError({"kind": [_("Only a closed case can be reopened.")]})
            if not scoping.get_scope(by).has_role(*CLOSING_ROLES):
                raise PermissionDenied(_("A case is reopened by a supervisor or district staff."))
            stage = Stage.ASSESSMENT
        elif data.kind == StepKind.CORRECTION:
            if data.corrects is None or data.corrects.report_id != locked.pk:
                raise ValidationError({"corrects": [_("Choose the step this corrects.")]})
            stage = data.corrects.stage
        elif locked.stage == Stage.CLOSED:
            raise ValidationError({"kind": [_("This case is closed: reopen it first.")]})
        next_label = (data.next_step or "").strip()
        next_due = data.next_due_at
        if next_stage and not next_label:
            next_label = str(Stage(next_stage).label)
        if next_stage and next_due is None:
            next_due = default_due(locked, next_stage)
        step = ReportStep.objects.create(
            report=locked,
            stage=stage,
            kind=data.kind,
            what=what,
            by=by,
            done_at=done_at,
            child_location=(data.child_location or "").strip(),
            next_step=next_label,
            next_due_at=next_due,
            corrects=data.corrects if data.kind == StepKind.CORRECTION else None,
        )
        changed: list[str] = []
        if data.kind in (StepKind.STAGE, StepKind.REOPEN):
            locked.stage, locked.stage_since = stage, now
            changed += ["stage", "stage_since"]
            if stage == Stage.CLOSED:
                locked.next_step, locked.next_due_at = "", None
                changed += ["next_step", "next_due_at"]
        if data.kind == StepKind.ACKNOWLEDGE:
            locked.acknowledged_at, locked.acknowledged_by = now, by
            changed += ["acknowledged_at", "acknowledged_by"]
        elif locked.acknowledged_at is None:
            # Acting on a report acknowledges it.
            locked.acknowledged_at, locked.acknowledged_by = now, by
            changed += ["acknowledged_at", "acknowledged_by"]
        if locked.stage != Stage.CLOSED and (next_label or next_due is not None):
            locked.next_step, locked.next_due_at = next_label, next_due
            changed += ["next_step", "next_due_at"]
        if changed:
            locked.save(update_fields=list(dict.fromkeys(changed)))
        if "stage" in changed and locked.child_id is not None:
            # Closing or reopening a case changes the child's open reports.
            report_risk.risk_reports_update(child_id=locked.child_id, now=now)
        if "acknowledged_at" in changed:
            _tell_reporter_acknowledged(locked, by)
    return step


def _tell_reporter_acknowledged(report: MandatoryReport, by: User) -> None:
    """The person who filed the report hears that it was received (issue 15), in-app."""
    if report.reporter_id is None or report.reporter_id == by.pk:
        return
    notify(
        recipients=User.objects.filter(pk=report.reporter_id, is_active=True),
        kind=NotificationKind.REPORT_ACKNOWLEDGED,
        title=_("Your mandatory report on %(child)s was acknowledged by %(by)s")
        % {"child": report.child_label, "by": by.real_name or by.username},
        link=reverse("reports:detail", args=[report.pk]),
        child_id=report.child_id,
        channels=(),
    )


# --- Linking a report to a child's archive ---------------------------------------------------


def report_link_child(
    *, by: User, report: MandatoryReport, child: Child, now: datetime.datetime | None = None
) -> ReportStep:
    """Link a report filed for an unregistered child to the child's archive, once it exists.
    Recorded as an appended step (the report step keeps its description); the report then
    shows on the child's timeline. Refused for a child outside `by`'s scope or a report
    already linked. The report stays in the region where the child was found."""
    now = now or clock.now()
    permissions.require_work(by)
    if not may_add_steps(by):
        raise PermissionDenied(_("Your role does not record steps of a case."))
    if not Child.objects.visible_to(by).filter(pk=child.pk).exists():
        raise ValidationError({"child": [_("This child is not in your regions.")]})
    with transaction.atomic():
        locked = MandatoryReport.objects.select_for_update().get(pk=report.pk)
        if locked.child_id is not None:
            raise ValidationError(
                {"child": [_("This report is already linked to a child's archive.")]}
            )
        what = _("Linked to the archive of %(child)s (no. %(pk)s).") % {
            "child": child.name,
            "pk": child.pk,
        }
        # Only the link is set on the report row; what was filed stays as it was.
        MandatoryReport.objects.filter(pk=locked.pk, child__isnull=True).update(child=child)
        locked.child = child
        step = append_step(locked, StepKind.LINK, what, by, now)
        report_risk.risk_reports_update(child_id=child.pk, now=now)
    report.child = child
    return step
