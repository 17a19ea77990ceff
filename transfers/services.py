"""Transfers: a child who moves to another village (in the same district or another).

The sending side (the village's director or district civil affairs) sends the child; the
receiving village's director (or the receiving district's civil affairs) accepts or declines
with a reason. The receiving side may also ask for an archive closed as "moved away" when it
registers the same ID number (`transfer_claim`); the sending side then decides. Until the
decision the child stays where it is and both sides see the transfer. The acceptance moves
everything in one transaction (`transfers.moving`), once: a retried acceptance finds the
transfer decided under its row lock."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from children import crypto, idnumber
from children.choices import CloseReason, Status
from children.models import Child
from core import clock, permissions
from core.regions import Level, district_code
from core.roles import Role
from core.scoping import get_scope, role_scope
from matching.models import Finding, RuleCode
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import Region, User
from org.selectors import staff_serving
from transfers.models import Transfer, TransferKind, TransferStatus
from transfers.moving import move_child

REASON_LENGTH = 300


def _covers(user: User, role: str, code: str) -> bool:
    return role_scope(user, role).covers(code)


def may_start(user: User, child: Child) -> bool:
    """The director of the child's village or district civil affairs, for an open archive
    or one closed as moved away (its destination now known)."""
    transferable = child.status == Status.ACTIVE or child.close_reason == CloseReason.MOVED_AWAY
    return (
        transferable
        and permissions.archive_scope(user).covers(child.region_code)
        and not permissions.work_refusal(user)
    )


def may_decide(user: User, transfer: Transfer) -> bool:
    """The deciding side: for a child sent, the receiving village's director or the receiving
    district's civil affairs; for an archive asked for, the sending village's."""
    code = transfer.deciding_code
    return transfer.status == TransferStatus.REQUESTED and (
        _covers(user, Role.CHILD_DIRECTOR, code) or _covers(user, Role.CIVIL_AFFAIRS, code)
    )


def sees_archive(user: User, transfer: Transfer) -> bool:
    """Whether `user` reads the child's archive: the side that holds it now (until the
    acceptance the sending side, after it the receiving one). The other side sees only the
    transfer's own fields (name, gender, date of birth, villages, reason)."""
    return get_scope(user).covers(transfer.child.region_code)


def _deciders(transfer: Transfer, day: datetime.date) -> list[User]:
    """Who is told of a request: the deciding village's directors, and its district's civil
    affairs when the transfer crosses districts or the village has no director."""
    code = transfer.deciding_code
    ids = set(
        staff_serving(roles=[Role.CHILD_DIRECTOR], codes=[code], day=day).values_list(
            "user_id", flat=True
        )
    )
    if not ids or district_code(transfer.from_code) != district_code(transfer.to_code):
        ids |= set(
            staff_serving(
                roles=[Role.CIVIL_AFFAIRS], codes=[district_code(code)], day=day
            ).values_list("user_id", flat=True)
        )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _link(transfer: Transfer) -> str:
    return reverse("transfers:detail", args=[transfer.pk])


def _notify_request(transfer: Transfer, day: datetime.date) -> None:
    title = (
        _("Transfer of %(name)s to %(village)s: please accept or decline")
        if transfer.kind == TransferKind.SEND
        else _("%(village)s asks for the archive of %(name)s: please accept or decline")
    ) % {"name": transfer.child.name, "village": transfer.to_village.name}
    notify(
        recipients=_deciders(transfer, day),
        kind=NotificationKind.OTHER,
        title=title,
        body=transfer.reason,
        link=_link(transfer),
    )


def _reason_clean(reason: str, field: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: [missing]})
    if len(reason) > REASON_LENGTH:
        raise ValidationError({field: [_("At most %(max)d characters.") % {"max": REASON_LENGTH}]})
    return reason


def _create(
    *,
    by: User,
    child: Child,
    kind: str,
    to_village: Region,
    reason: str,
    finding: Finding | None,
    client_token: uuid.UUID | None,
    now: datetime.datetime,
) -> Transfer:
    with transaction.atomic():
        locked = Child.objects.select_for_update().get(pk=child.pk)
        if Transfer.objects.open().filter(child=locked).exists():
            raise ValidationError(
                {NON_FIELD_ERRORS: [_("A transfer of this child is already waiting.")]}
            )
        transfer = Transfer(
            child=locked,
            kind=kind,
            from_village_id=locked.village_id,
            from_code=locked.region_code,
            to_village=to_village,
            to_code=to_village.code,
            reason=reason,
            requested_by=by,
            requested_at=now,
            finding=finding,
            client_token=client_token,
        )
        try:
            with transaction.atomic():
                transfer.save()
        except IntegrityError:
            # A concurrent request of the same form (its token) or for the same child.
            earlier = Transfer.objects.filter(client_token=client_token).first()
            if client_token is not None and earlier is not None:
                return earlier
            raise ValidationError(
                {NON_FIELD_ERRORS: [_("A transfer of this child is already waiting.")]}
            ) from None
        _notify_request(transfer, now.date())
    return transfer


def _earlier(by: User, client_token: uuid.UUID | None) -> Transfer | None:
    """The transfer a retried form (the same token) already created."""
    if client_token is None:
        return None
    return Transfer.objects.filter(client_token=client_token, requested_by=by).first()


def _village_errors(child: Child, to_village: Region | None) -> dict[str, list[str]]:
    if to_village is None or to_village.level != Level.VILLAGE:
        return {"to_village": [_("Choose a village or community.")]}
    if to_village.pk == child.village_id:
        return {"to_village": [_("The child already belongs to this village.")]}
    return {}


def transfer_request(
    *,
    by: User,
    child: Child,
    to_village: Region | None,
    reason: str,
    finding: Finding | None = None,
    client_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> Transfer:
    """Send `child` to `to_village` (the caller resolved `child` through the user's scope).
    The receiving side is notified; the child stays here until it accepts. `finding` is the
    "moved out, still active here" finding it answers, closed on acceptance."""
    now = now or clock.now()
    earlier = _earlier(by, client_token)
    if earlier is not None:
        return earlier
    permissions.require_work(by)
    if not may_start(by, child):
        raise PermissionDenied(
            _("A transfer is started by the child's director or district civil affairs.")
        )
    errors = _village_errors(child, to_village)
    try:
        reason = _reason_clean(reason, "reason", _("Say why the child moves, and where to."))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if finding is not None and (
        finding.child_id != child.pk or finding.rule != RuleCode.MOVED_OUT or finding.done
    ):
        errors["finding"] = [_("This finding is not an open move of this child.")]
    if errors or to_village is None:
        raise ValidationError(errors)
    return _create(
        by=by,
        child=child,
        kind=TransferKind.SEND,
        to_village=to_village,
        reason=reason,
        finding=finding,
        client_token=client_token,
        now=now,
    )


def moved_away_child(id_number: str) -> Child | None:
    """The archive closed as moved away that holds this ID number, if any (no scope: the
    caller reveals nothing of it but that it exists)."""
    try:
        number = idnumber.normalize(id_number)
    except (ValidationError, ValueError):
        return None
    if not number:
        return None
    return (
        Child.objects.filter(
            id_hash=crypto.lookup_hash(number),
            status=Status.CLOSED,
            close_reason=CloseReason.MOVED_AWAY,
        )
        .select_related("village")
        .first()
    )


def transfer_claim(
    *,
    by: User,
    id_number: str,
    to_village: Region | None,
    reason: str,
    client_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    today: datetime.date | None = None,
) -> Transfer:
    """Ask for the archive closed as "moved away" that holds `id_number` (found when the
    receiving side registered the same ID number: see children.registration), to go on in
    `to_village`, a village where `by` keeps archives. The sending side decides."""
    now = now or clock.now()
    today = today or clock.today()
    earlier = _earlier(by, client_token)
    if earlier is not None:
        return earlier
    permissions.require_work(by)
    errors: dict[str, list[str]] = {}
    child = None
    try:
        idnumber.parse(id_number, today)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    else:
        child = moved_away_child(id_number)
        if child is None:
            errors["id_number"] = [
                _("No archive closed as moved away holds this ID number: register the child.")
            ]
    if to_village is None or not (
        Region.objects.villages_in(permissions.archive_scope(by)).filter(pk=to_village.pk).exists()
    ):
        errors["to_village"] = [_("This village is outside the regions where you keep archives.")]
    elif child is not None:
        errors.update(_village_errors(child, to_village))
    try:
        reason = _reason_clean(reason, "reason", _("Say where the child lives now."))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors or child is None or to_village is None:
        raise ValidationError(errors)
    return _create(
        by=by,
        child=child,
        kind=TransferKind.CLAIM,
        to_village=to_village,
        reason=reason,
        finding=None,
        client_token=client_token,
        now=now,
    )


def _decided(transfer: Transfer, by: User) -> None:
    """Tell the requester and the directors of the other side (not the decider)."""
    ids = {transfer.requested_by_id}
    other = transfer.from_code if transfer.kind == TransferKind.SEND else transfer.to_code
    ids |= set(
        staff_serving(roles=[Role.CHILD_DIRECTOR], codes=[other]).values_list("user_id", flat=True)
    )
    ids.discard(by.pk)
    accepted = transfer.status == TransferStatus.ACCEPTED
    title = (
        _("Transfer of %(name)s to %(village)s accepted")
        if accepted
        else _("Transfer of %(name)s to %(village)s declined")
    ) % {"name": transfer.child.name, "village": transfer.to_village.name}
    notify(
        recipients=User.objects.filter(pk__in=ids, is_active=True).order_by("pk"),
        kind=NotificationKind.OTHER,
        title=title,
        body=transfer.decline_reason,
        link=_link(transfer),
    )


def _lock_open(by: User, transfer: Transfer) -> Transfer | None:
    """The transfer locked, or None when it is decided already (a retry, or the other
    decider first)."""
    locked = (
        Transfer.objects.select_for_update()
        .select_related("from_village", "to_village", "requested_by", "child")
        .get(pk=transfer.pk)
    )
    if locked.status != TransferStatus.REQUESTED:
        return None
    return locked


def transfer_accept(
    *, by: User, transfer: Transfer, now: datetime.datetime | None = None
) -> Transfer:
    """Accept: the child, its due dates kept, its open follow-ups, findings and pending
    reminders go to the new village in one transaction; the sending village keeps read
    access to its visits. Accepting again changes nothing. The caller resolved `transfer`
    through the user's scope."""
    now = now or clock.now()
    permissions.require_work(by)
    with transaction.atomic():
        locked = _lock_open(by, transfer)
        if locked is None:
            done = Transfer.objects.get(pk=transfer.pk)
            if done.status == TransferStatus.ACCEPTED:
                return done  # a retry: applied once
            raise ValidationError({NON_FIELD_ERRORS: [_("This transfer was declined.")]})
        if not may_decide(by, locked):
            raise PermissionDenied(_("The transfer is decided by the other side."))
        child = Child.objects.select_for_update().get(pk=locked.child_id)
        if child.region_code != locked.from_code:
            raise ValidationError(
                {NON_FIELD_ERRORS: [_("The child no longer belongs to the sending village.")]}
            )
        locked.moved = move_child(locked, child, by, now.date())
        locked.status = TransferStatus.ACCEPTED
        locked.decided_by = by
        locked.decided_at = now
        locked.save(update_fields=["moved", "status", "decided_by", "decided_at"])
        locked.child = child
        _decided(locked, by)
    return locked


def transfer_decline(
    *, by: User, transfer: Transfer, reason: str, now: datetime.datetime | None = None
) -> Transfer:
    """Decline with a reason: nothing moves; the requester is told."""
    now = now or clock.now()
    permissions.require_work(by)
    reason = _reason_clean(reason, "decline_reason", _("Say why the transfer is declined."))
    with transaction.atomic():
        locked = _lock_open(by, transfer)
        if locked is None:
            done = Transfer.objects.get(pk=transfer.pk)
            if done.status == TransferStatus.DECLINED:
                return done
            raise ValidationError({NON_FIELD_ERRORS: [_("This transfer was accepted.")]})
        if not may_decide(by, locked):
            raise PermissionDenied(_("The transfer is decided by the other side."))
        locked.status = TransferStatus.DECLINED
        locked.decided_by = by
        locked.decided_at = now
        locked.decline_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        _decided(locked, by)
    return locked
