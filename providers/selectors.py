"""Reads of the registry and of referrals, each from `visible_to` and in a fixed number of
queries: the district's providers, the referrals a person sees (the referrer's list), a
provider staff's inbox, and what a provider's staff may read of a child."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q

from core import clock, permissions
from org.models import User
from providers.models import (
    OPEN_STATUSES,
    ProviderStaff,
    ReferralStatus,
    ServiceProvider,
    ServiceProviderQuerySet,
    ServiceReferral,
    ServiceReferralQuerySet,
)


def providers_for(user: User, params: Mapping[str, Any] | None = None) -> ServiceProviderQuerySet:
    """The registry of the districts `user` sees; filters `kind`, `service`, `q` (name),
    `active` ("1"/"0")."""
    params = params or {}
    found = (
        ServiceProvider.objects.visible_to(user)
        .select_related("district")
        .prefetch_related(
            "areas", Prefetch("staff_links", queryset=ProviderStaff.objects.select_related("user"))
        )
    )
    if params.get("kind"):
        found = found.filter(kind=params["kind"])
    if params.get("service"):
        # as text: SQLite has no JSON containment, and a quoted key matches one whole member
        found = found.filter(services__icontains=f'"{params["service"]}"')
    if params.get("q"):
        found = found.filter(name__icontains=str(params["q"]).strip())
    if str(params.get("active", "")) in ("1", "True", "true"):
        found = found.filter(active=True)
    elif str(params.get("active", "")) in ("0", "False", "false"):
        found = found.filter(active=False)
    return found.order_by("district__code", "name")


def _with_related(found: ServiceReferralQuerySet) -> ServiceReferralQuerySet:
    return found.select_related(
        "child__village", "provider", "referred_by", "decided_by", "done_by"
    )


def referrals_for(
    user: User, params: Mapping[str, Any] | None = None, today: datetime.date | None = None
) -> ServiceReferralQuerySet:
    """The referrals `user` sees (their regions; a provider's staff, the open ones to their
    provider); filters `status` ("open", "closed", "overdue" or a status), `provider`,
    `child`."""
    params = params or {}
    today = today or clock.today()
    found = ServiceReferral.objects.visible_to(user)
    status = str(params.get("status") or "")
    if status == "open":
        found = found.filter(status__in=OPEN_STATUSES)
    elif status == "closed":
        found = found.exclude(status__in=OPEN_STATUSES)
    elif status == "overdue":
        found = found.filter(overdue_q(today))
    elif status in ReferralStatus.values:
        found = found.filter(status=status)
    if params.get("provider"):
        found = found.filter(provider_id=params["provider"])
    if params.get("child"):
        found = found.filter(child_id=params["child"])
    return _with_related(found).order_by("done", "-referred_on", "-pk")


def inbox(user: User) -> ServiceReferralQuerySet:
    """A provider staff's open referrals, the oldest answer first."""
    return _with_related(ServiceReferral.objects.for_provider_staff(user)).order_by(
        "status", "respond_by", "pk"
    )


def overdue_q(today: datetime.date) -> Q:
    """Open referrals past their date: not answered by `respond_by`, or accepted with no
    outcome by `due_on`."""
    return Q(status=ReferralStatus.REQUESTED, respond_by__lt=today) | Q(
        status=ReferralStatus.ACCEPTED, due_on__lt=today
    )


@dataclass(frozen=True)
class ReferredChild:
    """What a provider's staff read of a referred child: what the service needs, nothing of
    the archive beyond it (no ID number, family, records, visits or reports)."""

    name: str
    gender: str
    age: int
    village: str
    address: str
    school: str
    carer: str
    carer_phone: str


def referred_child(
    referral: ServiceReferral, viewer: User, today: datetime.date | None = None
) -> ReferredChild:
    """The child as `viewer` reads it on the referral: the carer's phone in full only when
    they may read it (core.permissions.can_view_phone: a provider's staff read it masked)."""
    today = today or clock.today()
    child = referral.child
    born = child.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    carer = " ".join(x for x in (child.carer_name, child.carer_relation) if x)
    return ReferredChild(
        name=child.name,
        gender=str(child.get_gender_display()),
        age=age,
        village=child.village.name,
        address=child.address,
        school=child.school_name,
        carer=carer,
        carer_phone=permissions.phone_as_seen(viewer, child.region_code, child.carer_phone),
    )
