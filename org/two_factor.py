"""Second factors (django-otp): a TOTP app on the person's phone and ten recovery codes (a
static device, each code used once). Enrolment only under a permit the security administrator
issues (org.TwoFactorPermit): the person scans the secret themselves at their next sign-in, so
the administrator never sees it; a lost phone is reset by the security administrator. Each
permit, enrolment and reset is written to the administrators' log.

Who must have one: core.permissions.needs_two_factor."""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock, permissions
from org import adminlog, sessions
from org.models import AdminAction, User
from org.models_security import TwoFactorPermit

DEVICE_NAME = "CareCase"
RECOVERY_NAME = "recovery"


def totp_device(user: User) -> TOTPDevice | None:
    """`user`'s confirmed authenticator app, if any."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device


def has_factor(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def live_permit(user: User, now: datetime.datetime | None = None) -> TwoFactorPermit | None:
    now = now or clock.now()
    permit: TwoFactorPermit | None = TwoFactorPermit.objects.filter(
        user=user, used_at__isnull=True, expires_at__gt=now
    ).first()
    return permit


def _require_security_admin_of(by: User, user: User) -> None:
    if not permissions.is_security_admin(by):
        raise PermissionError("Two factors are managed by the security administrator.")
    if by.pk == user.pk:
        raise PermissionError("Nobody manages their own second factor.")


@transaction.atomic
def permit_issue(
    *, by: User | None, user: User, request: HttpRequest | None = None
) -> TwoFactorPermit:
    """Let `user` enrol a second factor at their next sign-in, for TWO_FACTOR_PERMIT_HOURS.
    `by` is a security administrator (not `user`), or None from the server's shell
    (`manage.py two_factor_permit`, for the first security administrator)."""
    if by is not None:
        _require_security_admin_of(by, user)
    now = clock.now()
    TwoFactorPermit.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    permit = TwoFactorPermit.objects.create(
        user=user,
        issued_by=by,
        issued_at=now,
        expires_at=now + datetime.timedelta(hours=settings.TWO_FACTOR_PERMIT_HOURS),
    )
    adminlog.record(
        by=by,
        action=AdminAction.TWO_FACTOR_PERMIT,
        target=user,
        after={"expires_at": permit.expires_at.isoformat(), "shell": by is None},
        request=request,
    )
    return permit


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator `user` is enrolling (unconfirmed until its first code)."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": DEVICE_NAME}
    )
    return device


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (drawn here: no image service)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, border=2)
    return svg


@dataclass(frozen=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]


@transaction.atomic
def enrolment_confirm(
    *, user: User, device: TOTPDevice, code: str, request: HttpRequest | None = None
) -> Enrolled | None:
    """Confirm `device` with its first code under a live permit: the permit is used, ten new
    recovery codes are made (shown once), and the enrolment is logged. None: wrong code."""
    permit = live_permit(user)
    if permit is None or device.user_id != user.pk or device.confirmed:
        return None
    if not device.verify_token(code.strip()):
        return None
    now = clock.now()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    TwoFactorPermit.objects.filter(pk=permit.pk).update(used_at=now)
    codes = recovery_codes_renew(user)
    adminlog.record(
        by=user,
        action=AdminAction.TWO_FACTOR_ENROL,
        target=user,
        after={"permit_issued_by": permit.issued_by_id},
        request=request,
    )
    return Enrolled(device=device, recovery_codes=codes)


def recovery_codes_renew(user: User) -> list[str]:
    """Replace `user`'s recovery codes with TWO_FACTOR_RECOVERY_CODES new ones."""
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


@dataclass(frozen=True)
class Renewal:
    """New recovery codes (shown once), or why not: a wrong code, or too many of them."""

    codes: list[str]
    throttled: bool = False


@transaction.atomic
def recovery_codes_replace(*, user: User, code: str, request: HttpRequest | None = None) -> Renewal:
    """A signed-in person's new recovery codes, on the code their authenticator app shows now
    (a recovery code does not renew them: whoever holds one old code must not get ten new
    ones). The old codes stop working in the same transaction; the renewal is written to the
    administrators' log without the codes. A code is accepted once (django-otp keeps the last
    time step), so a retried form renews once; django-otp throttles after wrong codes."""
    code = "".join(code.split())
    device: TOTPDevice | None = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    )
    if device is None or len(code) != 6 or not code.isdigit():
        return Renewal([])
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        return Renewal([], throttled=True)
    if not device.verify_token(code):
        return Renewal([])
    before = StaticToken.objects.filter(device__user=user).count()
    codes = recovery_codes_renew(user)
    adminlog.record(
        by=user,
        action=AdminAction.RECOVERY_RENEW,
        target=user,
        before={"unused_codes": before},
        after={"codes": len(codes)},
        request=request,
    )
    return Renewal(codes)


@dataclass(frozen=True)
class Verification:
    device: Device | None
    throttled: bool = False


@transaction.atomic
def verify(user: User, code: str) -> Verification:
    """Check a code against `user`'s authenticator (six digits) or recovery codes (a recovery
    code is used up). django-otp throttles each device after failures."""
    code = "".join(code.split()).lower()
    if not code:
        return Verification(None)
    candidates: list[Device] = []
    if len(code) == 6 and code.isdigit():
        candidates += list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
    else:
        candidates += list(
            StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
        )
    throttled = False
    for device in candidates:
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            return Verification(device)
    return Verification(None, throttled=throttled)


@transaction.atomic
def two_factor_reset(*, by: User, user: User, request: HttpRequest | None = None) -> None:
    """A lost phone: remove `user`'s authenticator and recovery codes, and end their sessions
    (they sign in again and enrol under a new permit)."""
    _require_security_admin_of(by, user)
    had = has_factor(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    TwoFactorPermit.objects.filter(user=user, used_at__isnull=True).update(expires_at=clock.now())
    ended = sessions.sessions_end_all(by=None, user=user)
    adminlog.record(
        by=by,
        action=AdminAction.TWO_FACTOR_RESET,
        target=user,
        before={"enrolled": had},
        after={"enrolled": False, "sessions_ended": ended},
        request=request,
    )


def secret_of(device: TOTPDevice) -> str:
    """The device's key as the authenticator apps type it (base32, in groups of four)."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
