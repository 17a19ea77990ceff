"""Password rules: at least N of the four character classes (lower, upper, digit, symbol);
none of the person's last PASSWORD_HISTORY passwords again; an administrator's password
expires after PASSWORD_MAX_AGE_DAYS (等保2.0 三级, issue 19 §3)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import clock, permissions
from org.models import User
from org.models_security import PasswordRecord


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _(
                    "The password must contain at least %(min)d of: lower-case letters, "
                    "upper-case letters, digits and symbols."
                ),
                code="password_too_simple",
                params={"min": self.min_classes},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Use at least %(min)d kind of character: lower-case, upper-case, digits, symbols.",
            "Use at least %(min)d kinds of characters: lower-case, upper-case, digits, symbols.",
            self.min_classes,
        ) % {"min": self.min_classes}


class PasswordReuseValidator:
    """Refuses any of the person's last PASSWORD_HISTORY passwords (org.PasswordRecord, written
    by User.save), the current one included."""

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        recent = PasswordRecord.objects.filter(user_id=user.pk).values_list("password", flat=True)
        if any(check_password(password, old) for old in recent[: settings.PASSWORD_HISTORY]):
            raise ValidationError(
                ngettext(
                    "You used this password recently: choose one different from your last "
                    "password.",
                    "You used this password recently: choose one different from your last "
                    "%(count)d passwords.",
                    settings.PASSWORD_HISTORY,
                )
                % {"count": settings.PASSWORD_HISTORY},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return ngettext(
            "It must differ from your last password.",
            "It must differ from your last %(count)d passwords.",
            settings.PASSWORD_HISTORY,
        ) % {"count": settings.PASSWORD_HISTORY}


def password_expired(user: User, now: datetime.datetime | None = None) -> bool:
    """An administrator's password set more than PASSWORD_MAX_AGE_DAYS ago (or never
    recorded) must be changed before anything else."""
    if not permissions.password_ages(user):
        return False
    now = now or clock.now()
    newest = PasswordRecord.objects.filter(user_id=user.pk).values_list("set_at", flat=True).first()
    return newest is None or now - newest > datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
