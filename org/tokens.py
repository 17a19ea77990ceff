"""API tokens (django-rest-knox with org.ApiToken): issued per device at POST /api/v1/token/,
stored as a hash, expiring after REST_KNOX["TOKEN_TTL"], listed for their owner with their last
use, revoked by the owner or the security administrator, and revoked whenever the person's
password changes, their account is deactivated or suspended, or one of their assignments ends.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.settings import knox_settings
from rest_framework import exceptions

from core import clock
from org.models import AdminAction, ApiToken, StaffStatus, User

# A token's last use is written at most this often (a read must not cost a write each time).
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):  # type: ignore[misc]  # knox is untyped
    """Knox's check, plus: staff who left or are suspended are refused, and the token's last
    use is recorded."""

    def validate_user(self, auth_token: ApiToken) -> tuple[User, ApiToken]:
        user, token = super().validate_user(auth_token)
        if user.status != StaffStatus.ACTIVE:
            raise exceptions.AuthenticationFailed(_("This account is disabled."))
        now = clock.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


def active_tokens(user: User) -> Any:
    now = clock.now()
    return ApiToken.objects.filter(user=user, expiry__gt=now).order_by("-created")


class TokenLimitReached(Exception):
    pass


@transaction.atomic
def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for one device; returns the row and the secret (shown once, never stored).
    Expired tokens of the person are deleted first; past TOKEN_LIMIT_PER_USER live tokens the
    request is refused (the owner revokes one first)."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    ApiToken.objects.filter(user=user, expiry__lte=clock.now()).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and active_tokens(user).count() >= limit:
        raise TokenLimitReached
    token, secret = ApiToken.objects.create(
        user=user, expiry=knox_settings.TOKEN_TTL, name=name.strip()[:100]
    )
    return token, secret


@transaction.atomic
def token_revoke(*, by: User, token: ApiToken, request: Any = None) -> None:
    """Revoke one token: its owner, or a security administrator (recorded in the
    administrators' log)."""
    from core import permissions
    from org import adminlog

    if token.user_id != by.pk:
        if not permissions.is_security_admin(by):
            raise PermissionError("Only the owner or a security administrator revokes a token.")
        adminlog.record(
            by=by,
            action=AdminAction.REVOKE_TOKEN,
            target_type="org.apitoken",
            target_id=str(token.public_id),
            label=f"{token.user.get_username()} · {token.name}",
            before={"user": token.user.get_username(), "name": token.name},
            request=request,
        )
    ApiToken.objects.filter(pk=token.pk).delete()


def revoke_all(user: User) -> int:
    """Revoke every token of `user` (password changed, deactivated, an assignment ended)."""
    deleted: int
    deleted, _rows = ApiToken.objects.filter(user_id=user.pk).delete()
    return deleted
