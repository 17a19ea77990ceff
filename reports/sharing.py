"""Who sees a case beyond its region: the reporter's identity (district staff only), and
explicit shares with a named person outside the region (a django-guardian view permission on
one report, recorded as an appended step)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from core import clock, permissions, scoping
from core.roles import DATA_ROLES, Role
from org.models import Assignment, User
from reports.models import MandatoryReport, ReportStep, StepKind
from reports.workflow import append_step


def may_see_reporter(user: User, report: MandatoryReport) -> bool:
    """The reporter's identity is shown only to district staff, the protection centre and the
    reporter themself."""
    return report.reporter_id == user.pk or is_district_staff_of(user, report)


def is_district_staff_of(user: User, report: MandatoryReport) -> bool:
    """Whether `user` serves as civil-affairs staff or in the protection centre of a region
    covering the report (the district it belongs to): a person the case was shared with from
    another district is not, however their role is called."""
    return any(
        a.role in (Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)
        and report.region_code.startswith(a.region.prefix)
        for a in scoping.get_scope(user).assignments
    )


def may_share(user: User, report: MandatoryReport) -> bool:
    """District civil-affairs staff and the protection centre of the report's district."""
    return is_district_staff_of(user, report) and not permissions.work_refusal(user)


def share_candidates(text: str = "") -> QuerySet[User]:
    """Active staff (an active assignment in a data role) matching `text` by username or real
    name; the caller limits the rows."""
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
    people: Any = get_users_with_perms(
        report, only_with_perms_in=["view_mandatoryreport"], with_superusers=False
    )
    return list(people.order_by("username"))


def _person(user: User) -> str:
    return f"{user.real_name} ({user.username})" if user.real_name else user.username


def report_share(
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
        step = append_step(locked, StepKind.SHARE, what, by, now)
    scoping.forget_scope(grantee)
    return step


def report_unshare(
    *,
    by: User,
    report: MandatoryReport,
    grantee: User,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> ReportStep:
    """Withdraw an explicit share; recorded as an appended step."""
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
        step = append_step(locked, StepKind.UNSHARE, what, by, now)
    scoping.forget_scope(grantee)
    return step
