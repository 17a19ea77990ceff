"""Writes of mandatory reports (R17) and their steps (R18). Filing is one transaction; its
alerts (in-app notifications and SMS copies) are written in that transaction and sent on
commit, so the page answers without waiting for the SMS gateway and no alert is lost."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from children.models import Child
from core import clock, permissions, scoping
from core.calendar import add_months
from core.regions import Level
from org.models import DATA_ROLES, Assignment, Region, Role, User
from reports.models import (
    STAGE_ORDER,
    MandatoryReport,
    ReportStep,
    Situation,
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
RULE_FIELDS = (
    "emergency_response_hours",
    "assessment_days",
    "assistance_plan_days",
    "escalation_delay_hours",
)
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
ALERT_ROLES = (Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)


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


def district_code(region_code: str) -> str:
    return region_code[:6] + "000000"


def deadline_rules(district_codes: Any) -> dict[str, DeadlineRule]:
    """The rule of each district (12-digit codes) in one query; the defaults where a district
    has no row."""
    from reports.models import ReportDeadlineRule

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


def may_file(user: User) -> bool:
    """Any data-role user may file (R17): the certification gate never blocks a report."""
    permissions.require_work(user, mandatory_report=True)  # documents the bypass; never raises
    return scoping.get_scope(user).has_role(*DATA_ROLES)


def _validate(user: User, data: ReportInput, now: datetime.datetime) -> Region | None:
    errors: dict[str, list[str]] = {}
    village: Region | None = None
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


def file_report(
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
            notifications = _write_alerts(report)
            if notifications:
                transaction.on_commit(_send_alerts)
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


def alert_recipients(region_code: str) -> list[User]:
    """The town supervisor(s), district civil affairs and the protection centre of the
    district of `region_code`: one query."""
    town = region_code[:9] + "000"
    district = region_code[:6] + "000000"
    rows = (
        Assignment.objects.active()
        .filter(role__in=ALERT_ROLES, region__code__in=[town, district])
        .select_related("user", "region")
    )
    seen: dict[int, User] = {}
    for row in rows:
        wanted_region = town if row.role == Role.SUPERVISOR else district
        if row.region.code == wanted_region:
            seen.setdefault(row.user_id, row.user)
    return list(seen.values())


def _write_alerts(report: MandatoryReport) -> list[Any]:
    """In-app notifications to the alert recipients, and their SMS copies (sent on commit
    through the notifications SMS channel, retried by the delivery machinery on failure)."""
    from notifications.models import Channel, Delivery, Notification, NotificationKind

    link = reverse("reports:detail", args=[report.pk])
    title = _("Mandatory report: %(child)s (%(village)s)") % {
        "child": report.child_label,
        "village": report.village.name,
    }
    body = "; ".join(report.situation_labels())
    if report.immediate_danger:
        body = _("Immediate danger.") + " " + body
    notifications = [
        Notification(
            recipient=user,
            kind=NotificationKind.OTHER,
            title=title[:200],
            body=body,
            link=link,
            child_id=report.child_id,
        )
        for user in alert_recipients(report.region_code)
    ]
    Notification.objects.bulk_create(notifications)
    deliveries = [
        Delivery(notification=n, channel=Channel.SMS, address=n.recipient.phone)
        for n in notifications
        if n.recipient.phone
    ]
    Delivery.objects.bulk_create(deliveries)
    return notifications


def _send_alerts() -> None:
    from reports.tasks import send_report_alerts

    send_report_alerts.delay()


# --- Steps -----------------------------------------------------------------------------------


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


def may_see_reporter(user: Any, report: MandatoryReport) -> bool:
    """The reporter's identity is shown only to district staff, the protection centre and the
    reporter themself."""
    return report.reporter_id == user.pk or is_district_staff_of(user, report)


def is_district_staff_of(user: Any, report: MandatoryReport) -> bool:
    """Whether `user` serves as civil-affairs staff or in the protection centre of a region
    covering the report (the district it belongs to): a person the case was shared with from
    another district is not, however their role is called."""
    return any(
        a.role in (Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)
        and report.region_code.startswith(a.region.prefix)
        for a in scoping.get_scope(user).assignments
    )


def may_add_steps(user: User) -> bool:
    return permissions.can_add_records(user)


def _append(
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


# --- Linking a report to a child's archive ---------------------------------------------------


def link_child(
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
        step = _append(locked, StepKind.LINK, what, by, now)
    report.child = child
    return step


# --- Explicit sharing with a named person outside the region ---------------------------------


def may_share(user: Any, report: MandatoryReport) -> bool:
    """District civil-affairs staff and the protection centre of the report's district."""
    return is_district_staff_of(user, report) and not permissions.work_refusal(user)


def share_candidates(text: str = "") -> Any:
    """Active staff (an active assignment in a data role) matching `text` by username or real
    name; the caller limits the rows."""
    from django.db.models import Q

    people = User.objects.filter(
        is_active=True,
        pk__in=Assignment.objects.active().filter(role__in=DATA_ROLES).values("user_id"),
    )
    text = (text or "").strip()
    if text:
        people = people.filter(Q(username__icontains=text) | Q(real_name__icontains=text))
    return people.order_by("username")


def shared_with(report: MandatoryReport) -> list[User]:
    """The people the report is explicitly shared with (guardian view permissions)."""
    from guardian.shortcuts import get_users_with_perms

    people: Any = get_users_with_perms(
        report, only_with_perms_in=["view_mandatoryreport"], with_superusers=False
    )
    return list(people.order_by("username"))


def _person(user: User) -> str:
    return f"{user.real_name} ({user.username})" if user.real_name else user.username


def share_report(
    *,
    by: User,
    report: MandatoryReport,
    grantee: User,
    reason: str,
    now: datetime.datetime | None = None,
) -> ReportStep:
    """Share a case with a named person outside its region (for example the protection
    centre of another district that holds the child): a django-guardian view permission on
    this report only, recorded with its reason as an appended step."""
    from guardian.shortcuts import assign_perm

    now = now or clock.now()
    if not may_share(by, report):
        raise PermissionDenied(
            _("A case is shared by district civil affairs or the protection centre.")
        )
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason for sharing this case.")]
    if not share_candidates().filter(pk=grantee.pk).exists():
        errors["grantee"] = [_("Choose an active staff member.")]
    elif MandatoryReport.objects.visible_to(grantee).filter(pk=report.pk).exists():
        errors["grantee"] = [_("This person already sees this case.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = MandatoryReport.objects.select_for_update().get(pk=report.pk)
        assign_perm("view_mandatoryreport", grantee, locked)
        what = _("Shared with %(person)s: %(reason)s") % {
            "person": _person(grantee),
            "reason": reason,
        }
        step = _append(locked, StepKind.SHARE, what, by, now)
    scoping.forget_scope(grantee)
    return step


def revoke_share(
    *,
    by: User,
    report: MandatoryReport,
    grantee: User,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> ReportStep:
    """Withdraw an explicit share; recorded as an appended step."""
    from guardian.shortcuts import remove_perm

    now = now or clock.now()
    if not may_share(by, report):
        raise PermissionDenied(
            _("A case is shared by district civil affairs or the protection centre.")
        )
    if grantee.pk not in {u.pk for u in shared_with(report)}:
        raise ValidationError({"grantee": [_("This case is not shared with this person.")]})
    with transaction.atomic():
        locked = MandatoryReport.objects.select_for_update().get(pk=report.pk)
        remove_perm("view_mandatoryreport", grantee, locked)
        what = _("Sharing with %(person)s revoked.") % {"person": _person(grantee)}
        reason = (reason or "").strip()
        if reason:
            what = f"{what} {reason}"
        step = _append(locked, StepKind.UNSHARE, what, by, now)
    scoping.forget_scope(grantee)
    return step


def add_step(
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
    if data.kind not in StepKind.values or data.kind == StepKind.REPORT:
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
    return step


# --- Escalation of overdue steps (R18) -------------------------------------------------------


def escalation_delay() -> datetime.timedelta:
    """The default delay (settings.REPORT_ESCALATION_DELAY_HOURS); districts override it."""
    from django.conf import settings

    return datetime.timedelta(hours=settings.REPORT_ESCALATION_DELAY_HOURS)


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Alert about every open report whose next expected step is past its deadline: the town
    supervisor at once, then district civil affairs and the protection centre once the
    further delay has passed. Set-based (a fixed number of queries however many cases) and
    idempotent: the (report, deadline, recipient, level) key is inserted once, and only rows
    inserted without a notification yet get one. Returns the notifications created."""
    from notifications.models import Channel, Delivery, Notification, NotificationKind
    from reports.models import EscalationLevel, ReportEscalation

    now = now or clock.now()
    overdue = list(
        MandatoryReport.objects.exclude(stage=Stage.CLOSED)
        .filter(next_due_at__lt=now)
        .values_list("pk", "region_code", "next_due_at")
    )
    if not overdue:
        return 0
    towns = {code[:9] + "000" for _pk, code, _due in overdue}
    districts = {code[:6] + "000000" for _pk, code, _due in overdue}
    people: dict[tuple[str, str], set[int]] = {}
    for role, code, user_id in (
        Assignment.objects.active()
        .filter(role__in=ALERT_ROLES, region__code__in=towns | districts)
        .values_list("role", "region__code", "user_id")
    ):
        if (role == Role.SUPERVISOR) == (code in towns):
            people.setdefault((role, code), set()).add(user_id)
    later = {code: now - rule.escalation_delay for code, rule in deadline_rules(districts).items()}
    rows = []
    for pk, code, due in overdue:
        if due is None:  # pragma: no cover - filtered by next_due_at__lt
            continue
        recipients = {
            (uid, EscalationLevel.SUPERVISOR)
            for uid in people.get((Role.SUPERVISOR, code[:9] + "000"), ())
        }
        district = code[:6] + "000000"
        if due < later[district]:
            for role in (Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE):
                recipients |= {
                    (uid, EscalationLevel.DISTRICT) for uid in people.get((role, district), ())
                }
        rows += [
            ReportEscalation(report_id=pk, deadline=due, recipient_id=uid, level=level)
            for uid, level in recipients
        ]
    created = 0
    with transaction.atomic():
        ReportEscalation.objects.bulk_create(rows, ignore_conflicts=True)
        pending: list[Any] = list(
            ReportEscalation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notification__isnull=True, report_id__in=[pk for pk, _c, _d in overdue])
            .values_list(
                "pk",
                "recipient_id",
                "recipient__phone",
                "deadline",
                "report_id",
                "report__next_step",
                "report__stage",
                "report__child_id",
                "report__child__name",
                "report__child_description",
                "report__village__name",
            )
        )
        link = reverse("reports:detail", args=[0]).replace("/0/", "/{}/")
        notes = []
        for _pk, recipient_id, _phone, deadline, report_id, *case in pending:
            next_step, stage, child_id, child_name, description, village = case
            title = _("Overdue: %(step)s for %(child)s (%(village)s)") % {
                "step": next_step or str(Stage(stage).label),
                "child": child_name or _description_label(description),
                "village": village,
            }
            notes.append(
                Notification(
                    recipient_id=recipient_id,
                    kind=NotificationKind.OTHER,
                    title=title[:200],
                    body=_("Due %(due)s.")
                    % {"due": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}"},
                    link=link.format(report_id),
                    child_id=child_id,
                )
            )
        Notification.objects.bulk_create(notes, batch_size=1000)
        _attach_notifications([(row[0], note.pk) for row, note in zip(pending, notes, strict=True)])
        # SMS copies through the notifications channels, sent on commit and retried by the
        # delivery machinery; only the escalations inserted now get one, so a second run of
        # the sweep sends nothing again.
        deliveries = [
            Delivery(notification=note, channel=Channel.SMS, address=row[2])
            for row, note in zip(pending, notes, strict=True)
            if row[2]
        ]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
        if deliveries:
            transaction.on_commit(_send_alerts)
        created = len(notes)
    return created


def _description_label(description: str) -> str:
    """How a report about an unregistered child names the child (MandatoryReport.child_label)."""
    return (description or "").splitlines()[0][:40] if description else "—"


def _attach_notifications(pairs: list[tuple[int, int]], batch: int = 400) -> None:
    """Set ReportEscalation.notification_id for (escalation id, notification id) pairs: one
    UPDATE … FROM (VALUES …) per batch (PostgreSQL, SQLite 3.33+), instead of a CASE per row."""
    from django.db import connection

    from reports.models import ReportEscalation

    table = connection.ops.quote_name(ReportEscalation._meta.db_table)
    for start in range(0, len(pairs), batch):
        chunk = pairs[start : start + batch]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params = [value for pair in chunk for value in pair]
        if connection.vendor == "postgresql":
            sql = (
                f"UPDATE {table} AS e SET notification_id = v.nid "  # noqa: S608
                f"FROM (VALUES {values}) AS v(id, nid) WHERE e.id = v.id"
            )
        else:
            sql = (
                f"UPDATE {table} SET notification_id = v.column2 "  # noqa: S608
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


# --- R19 thresholds --------------------------------------------------------------------------

FLAG_TELL_CIVIL_AFFAIRS = "tell_civil_affairs"
FLAG_REVOCATION = "revocation"


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


def r19_flags(
    reports: list[MandatoryReport], today: datetime.date | None = None
) -> dict[int, list[Flag]]:
    """The R19 thresholds reached by each report, by report pk, in two queries however many
    reports: a parent missing more than six months (report to civil affairs); parents
    untraceable over a year, or a guardian refusing duties for six months or more (the court
    may be asked to revoke guardianship)."""
    from children.choices import ParentStatus
    from children.models import Parent

    today = today or clock.today()
    flags: dict[int, list[Flag]] = {r.pk: [] for r in reports}
    if not reports:
        return flags
    missing: dict[int, list[datetime.date]] = {}
    child_ids = {r.child_id for r in reports if r.child_id is not None}
    if child_ids:
        for child_id, since in Parent.objects.filter(
            child_id__in=child_ids, status=ParentStatus.MISSING, missing_since__isnull=False
        ).values_list("child_id", "missing_since"):
            if since is not None:
                missing.setdefault(child_id, []).append(since)
    refusals: dict[int, datetime.date] = {}
    for report_id, done_at in (
        ReportStep.objects.filter(report__in=[r.pk for r in reports], kind=StepKind.REFUSAL)
        .order_by("done_at")
        .values_list("report_id", "done_at")
    ):
        refusals.setdefault(report_id, timezone.localdate(done_at))
    for report in reports:
        found = flags[report.pk]
        since_dates = missing.get(report.child_id or 0, [])
        if any(add_months(since, 6) < today for since in since_dates):
            found.append(
                Flag(
                    FLAG_TELL_CIVIL_AFFAIRS,
                    _(
                        "A parent has been missing for more than six months: report to civil "
                        "affairs."
                    ),
                )
            )
        refused = refusals.get(report.pk)
        if any(add_months(since, 12) < today for since in since_dates) or (
            refused is not None and add_months(refused, 6) <= today
        ):
            found.append(
                Flag(
                    FLAG_REVOCATION,
                    _(
                        "Parents untraceable for over a year or a guardian refusing duties for "
                        "six months or more: the court may be asked to revoke guardianship."
                    ),
                )
            )
    return flags
