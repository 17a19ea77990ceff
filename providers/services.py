"""Writes of the registry and of referrals: `provider_save`, `provider_staff_add` /
`provider_staff_remove` (district civil affairs); `referral_create` (directors, supervisors and
district staff: idempotent on `client_uuid`), `referral_decide` (accept or decline),
`referral_outcome`, `referral_withdraw`. Each checks who may, validates everything before it
writes, and writes in one transaction; the people to tell are notified on commit."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from children.models import Child
from core import clock, permissions, scoping
from core.regions import Level, code_at, district_code
from core.roles import Role
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import Assignment, Region, User, phone_validator
from providers.models import (
    OPEN_STATUSES,
    Consent,
    ProviderKind,
    ProviderStaff,
    ReferralOutcome,
    ReferralStatus,
    ServiceKind,
    ServiceProvider,
    ServiceReferral,
)

# The answer is expected within RESPOND_DAYS of the referral, the outcome within OUTCOME_DAYS,
# unless the referrer says otherwise.
RESPOND_DAYS = 7
OUTCOME_DAYS = 30
PROVIDER_FIELDS = ["name", "kind", "services", "contact_name", "contact_phone", "address"]


# --- Who may ---------------------------------------------------------------------------------


def may_manage_registry(user: User, district: Region | None = None) -> bool:
    """District civil affairs (of `district`, when given), nobody the work gate refuses."""
    districts = permissions.managed_districts(user)
    if district is not None:
        districts = [d for d in districts if d.pk == district.pk]
    return bool(districts) and not permissions.work_refusal(user)


def may_refer(user: User) -> bool:
    """Directors, supervisors and district staff (every data role), gate permitting."""
    return permissions.can_add_records(user)


def is_provider_staff(user: User, referral: ServiceReferral) -> bool:
    """`user` answers this open referral as its provider's staff."""
    return ServiceReferral.objects.for_provider_staff(user).filter(pk=referral.pk).exists()


def is_referrer_side(user: User, referral: ServiceReferral) -> bool:
    """`user` sees the child's region (the referrer, her supervisor, district staff) and may add
    records: they may record the provider's answer for it, or withdraw the referral."""
    return scoping.get_scope(user).covers(
        referral.child.region_code
    ) and permissions.can_add_records(user)


# --- The registry ----------------------------------------------------------------------------


def _provider_errors(
    district: Region, values: dict[str, Any], areas: Iterable[Region]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = [_("Give the provider's name.")]
    if values.get("kind") not in ProviderKind.values:
        errors["kind"] = [_("Choose the kind of provider.")]
    services = values.get("services") or []
    if not isinstance(services, list) or not services:
        errors["services"] = [_("Choose at least one service the provider offers.")]
    elif any(s not in ServiceKind.values for s in services):
        errors["services"] = [_("Choose services from the list.")]
    phone = (values.get("contact_phone") or "").strip()
    if phone:
        try:
            phone_validator(phone)
        except ValidationError as exc:
            errors["contact_phone"] = list(exc.messages)
    outside = [a for a in areas if not a.code.startswith(district.prefix) or a.pk == district.pk]
    if outside:
        errors["areas"] = [_("The areas served are towns or villages of the district.")]
    return errors


def provider_save(
    *,
    by: User,
    district: Region,
    values: dict[str, Any],
    areas: Iterable[Region] = (),
    active: bool = True,
    provider: ServiceProvider | None = None,
) -> ServiceProvider:
    """Register a provider in `district`, or change one (`provider`): everything checked
    first, then one transaction."""
    if not may_manage_registry(by, district):
        raise PermissionDenied(_("The registry is kept by the district's civil affairs."))
    if provider is not None and provider.district_id != district.pk:
        raise PermissionDenied(_("The registry is kept by the district's civil affairs."))
    areas = list(areas)
    if provider is not None:  # a change names only what changes
        values = {**{name: getattr(provider, name) for name in PROVIDER_FIELDS}, **values}
    errors = _provider_errors(district, values, areas)
    if errors:
        raise ValidationError(errors)
    provider = provider or ServiceProvider(district=district, created_by=by)
    for name in PROVIDER_FIELDS:
        value = values.get(name, "")
        setattr(provider, name, value.strip() if isinstance(value, str) else value)
    provider.services = sorted(set(provider.services), key=ServiceKind.values.index)
    provider.active = active
    try:
        with transaction.atomic():
            provider.save()
            provider.areas.set(areas)
    except IntegrityError:
        raise ValidationError(
            {"name": [_("A provider with this name is already registered in the district.")]}
        ) from None
    return provider


def staff_candidates(provider: ServiceProvider, today: datetime.date | None = None) -> Any:
    """People who hold the service-provider role in the provider's district today and are not
    yet linked to it."""
    holders = Assignment.objects.active(today).filter(
        role=Role.SERVICE_PROVIDER, region_id=provider.district_id
    )
    return (
        User.objects.filter(pk__in=holders.values("user_id"))
        .exclude(provider_links__provider=provider)
        .order_by("username")
    )


def provider_staff_add(*, by: User, provider: ServiceProvider, user: User) -> ProviderStaff:
    if not may_manage_registry(by, provider.district):
        raise PermissionDenied(_("The registry is kept by the district's civil affairs."))
    if not staff_candidates(provider).filter(pk=user.pk).exists():
        raise ValidationError(
            {"user": [_("Choose someone who holds the service-provider role in this district.")]}
        )
    link, _created = ProviderStaff.objects.get_or_create(
        provider=provider, user=user, defaults={"added_by": by}
    )
    scoping.forget_scope(user)
    return link


def provider_staff_remove(*, by: User, provider: ServiceProvider, user: User) -> None:
    if not may_manage_registry(by, provider.district):
        raise PermissionDenied(_("The registry is kept by the district's civil affairs."))
    ProviderStaff.objects.filter(provider=provider, user=user).delete()
    scoping.forget_scope(user)


# --- Referrals -------------------------------------------------------------------------------


def providers_for(child: Child) -> Any:
    """The active providers a child may be referred to: of the child's district, serving the
    whole district (no areas) or an area that contains the child's village."""
    code = child.region_code
    covering = [code_at(code, Level.TOWN), code]
    through = ServiceProvider.areas.through
    has_areas = through.objects.filter(serviceprovider_id=OuterRef("pk"))
    covers = has_areas.filter(region__code__in=covering)
    return (
        ServiceProvider.objects.filter(district__code=district_code(code), active=True)
        .filter(Q(~Exists(has_areas)) | Q(Exists(covers)))
        .order_by("name")
    )


def _notify_provider(referral: ServiceReferral, title: str) -> None:
    staff = [link.user for link in referral.provider.staff_links.select_related("user")]
    if staff:
        link = reverse("providers:referral", args=[referral.pk])
        transaction.on_commit(
            lambda: notify(recipients=staff, kind=NotificationKind.OTHER, title=title, link=link)
        )


def _notify_referrer(referral: ServiceReferral, title: str, by: User) -> None:
    if referral.referred_by_id == by.pk:
        return
    link = reverse("providers:referral", args=[referral.pk])
    recipient = referral.referred_by
    transaction.on_commit(
        lambda: notify(recipients=[recipient], kind=NotificationKind.OTHER, title=title, link=link)
    )


def referral_create(
    *,
    by: User,
    child: Child,
    provider: ServiceProvider,
    service: str,
    reason: str,
    consent: str,
    consent_on: datetime.date | None = None,
    respond_by: datetime.date | None = None,
    due_on: datetime.date | None = None,
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[ServiceReferral, bool]:
    """Refer `child` to `provider` for `service`. Returns (referral, created): the same
    `client_uuid` again returns the first referral and saves nothing."""
    today = today or clock.today()
    if client_uuid is not None:
        earlier = ServiceReferral.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:
            return earlier, False
    permissions.require_work(by)
    if not may_refer(by):
        raise PermissionDenied(_("Your role does not refer children."))
    errors: dict[str, list[str]] = {}
    if not Child.objects.visible_to(by).filter(pk=child.pk).exists():
        errors["child"] = [_("This child is not in your regions.")]
    elif child.status != "active":
        errors["child"] = [_("This archive is closed.")]
    elif not providers_for(child).filter(pk=provider.pk).exists():
        errors["provider"] = [_("This provider does not serve the child's village.")]
    elif service not in provider.services:
        errors["service"] = [_("This provider does not offer this service.")]
    if service not in ServiceKind.values:
        errors["service"] = [_("Choose a service from the list.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason for the referral.")]
    if consent not in Consent.values:
        errors["consent"] = [_("Note who consented to the referral.")]
    elif consent != Consent.PROTECTION and consent_on is None:
        errors["consent_on"] = [_("Give the day consent was given.")]
    if consent_on is not None and consent_on > today:
        errors["consent_on"] = [_("This date cannot be in the future.")]
    respond_by = respond_by or today + datetime.timedelta(days=RESPOND_DAYS)
    due_on = due_on or today + datetime.timedelta(days=OUTCOME_DAYS)
    if respond_by < today:
        errors["respond_by"] = [_("This date cannot be in the past.")]
    if due_on < respond_by:
        errors["due_on"] = [_("The outcome cannot be expected before the answer.")]
    if errors:
        raise ValidationError(errors)
    referral = ServiceReferral(
        child=child,
        provider=provider,
        service=service,
        reason=reason,
        consent=consent,
        consent_on=consent_on,
        referred_on=today,
        respond_by=respond_by,
        due_on=due_on,
        referred_by=by,
    )
    if client_uuid is not None:
        referral.client_uuid = client_uuid
    try:
        with transaction.atomic():
            referral.save()
            _notify_provider(
                referral,
                _("New referral: %(service)s") % {"service": referral.get_service_display()},
            )
    except IntegrityError:
        if client_uuid is None:
            raise
        earlier = ServiceReferral.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is None:
            raise ValidationError(
                {"client_uuid": [_("This id has already been used for another referral.")]}
            ) from None
        return earlier, False
    return referral, True


def _answer_side(by: User, referral: ServiceReferral) -> bool:
    """True when `by` answers as the provider's staff, False as the referrer's side; refused
    otherwise."""
    if is_provider_staff(by, referral):
        return True
    if is_referrer_side(by, referral):
        return False
    raise PermissionDenied(_("The provider's staff or the referrer answer a referral."))


def _locked(referral: ServiceReferral, allowed: Iterable[str]) -> ServiceReferral:
    locked = ServiceReferral.objects.select_for_update().get(pk=referral.pk)
    if locked.status not in allowed:
        raise ValidationError(
            _("This referral is already %(status)s.") % {"status": locked.get_status_display()}
        )
    return locked


def _note(note: str, field: str = "note", required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({field: [_("Give the reason.")]})
    if len(note) > 300:
        raise ValidationError({field: [_("At most %(max)d characters.") % {"max": 300}]})
    return note


def referral_decide(
    *,
    by: User,
    referral: ServiceReferral,
    accept: bool,
    note: str = "",
    now: datetime.datetime | None = None,
) -> ServiceReferral:
    """The provider accepts or declines (a reason required); recorded by its staff, or by the
    referrer's side on its behalf (marked so)."""
    now = now or clock.now()
    for_provider = not _answer_side(by, referral)
    permissions.require_work(by)
    note = _note(note, required=not accept)
    with transaction.atomic():
        locked = _locked(referral, [ReferralStatus.REQUESTED])
        locked.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
        locked.decided_at, locked.decided_by = now, by
        locked.decided_for_provider = for_provider
        locked.decision_note = note
        locked.reminded = 0
        if not accept:
            locked.done, locked.done_on, locked.done_by = True, timezone.localdate(now), by
            locked.done_note, locked.closed_at = note, now
        locked.save()
        title = (
            _("Referral accepted by %(provider)s")
            if accept
            else _("Referral declined by %(provider)s")
        ) % {"provider": locked.provider.name}
        _notify_referrer(locked, title, by)
    return locked


def referral_outcome(
    *,
    by: User,
    referral: ServiceReferral,
    outcome: str,
    note: str = "",
    done_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> ServiceReferral:
    """The outcome of an accepted referral, which closes it (and ends the provider's reach)."""
    now = now or clock.now()
    today = timezone.localdate(now)
    for_provider = not _answer_side(by, referral)
    permissions.require_work(by)
    errors: dict[str, list[str]] = {}
    if outcome not in ReferralOutcome.values:
        errors["outcome"] = [_("Choose the outcome.")]
    done_on = done_on or today
    if done_on > today:
        errors["done_on"] = [_("This date cannot be in the future.")]
    elif done_on < referral.referred_on:
        errors["done_on"] = [_("The outcome cannot be before the referral.")]
    try:
        note = _note(note, "done_note")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked(referral, [ReferralStatus.ACCEPTED])
        locked.status, locked.outcome = ReferralStatus.COMPLETED, outcome
        locked.outcome_for_provider = for_provider
        locked.done, locked.done_on, locked.done_by, locked.done_note = True, done_on, by, note
        locked.closed_at = now
        locked.save()
        _notify_referrer(
            locked,
            _("Outcome of the referral to %(provider)s: %(outcome)s")
            % {"provider": locked.provider.name, "outcome": locked.get_outcome_display()},
            by,
        )
    return locked


def referral_withdraw(
    *,
    by: User,
    referral: ServiceReferral,
    note: str,
    now: datetime.datetime | None = None,
) -> ServiceReferral:
    """The referrer's side withdraws an open referral, with the reason."""
    now = now or clock.now()
    if not is_referrer_side(by, referral):
        raise PermissionDenied(_("A referral is withdrawn by the referrer's side."))
    permissions.require_work(by)
    note = _note(note, required=True)
    with transaction.atomic():
        locked = _locked(referral, OPEN_STATUSES)
        locked.status = ReferralStatus.WITHDRAWN
        locked.done, locked.done_on, locked.done_by = True, timezone.localdate(now), by
        locked.done_note, locked.closed_at = note, now
        locked.save()
        _notify_provider(
            locked, _("Referral withdrawn: %(service)s") % {"service": locked.get_service_display()}
        )
    return locked
