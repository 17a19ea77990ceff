"""Sign-in security (等保2.0 三级, issue 19 §3): the passwords a person set (their age and the
last ones, never reused), the sessions they are signed in with, and the security
administrator's permit to enrol a second factor. The factors themselves are django-otp's
devices (a TOTP device and a static device of recovery codes): org.two_factor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import clock

if TYPE_CHECKING:
    from org.models import User


class PasswordRecord(models.Model):
    """A password hash a person set, with when: the newest is the current password (its age),
    the last PASSWORD_HISTORY are refused again (carecase.passwords.PasswordReuseValidator)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="password_records",
    )
    password = models.CharField(_("password"), max_length=128)
    set_at = models.DateTimeField(_("set"))

    class Meta:
        verbose_name = _("password record")
        verbose_name_plural = _("password records")
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["user", "-set_at"], name="password_record_user_idx")]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} {self.set_at:%Y-%m-%d}"

    @classmethod
    def record(cls, user: User) -> None:
        """Write `user`'s new password hash (User.save calls this) and keep only the last
        PASSWORD_HISTORY."""
        cls.objects.create(user=user, password=user.password, set_at=clock.now())
        kept = cls.objects.filter(user=user).values_list("pk", flat=True)[
            : settings.PASSWORD_HISTORY
        ]
        cls.objects.filter(user=user).exclude(pk__in=list(kept)).delete()


class UserSession(models.Model):
    """A signed-in session of a person (the session store knows no owner): written at sign-in,
    its last use kept, ended at sign-out or when the owner or the security administrator ends
    it. Ended rows stay as the person's sign-in history ("last sign-in: when, from where")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="signed_in_sessions",
    )
    session_key = models.CharField(_("session"), max_length=40, db_index=True)
    created_at = models.DateTimeField(_("signed in"))
    last_seen_at = models.DateTimeField(_("last seen"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "ended_at"], name="user_session_user_idx")]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class TwoFactorPermit(models.Model):
    """The security administrator's leave for one person to enrol a second factor at their
    next sign-in, until `expires_at`: the person scans the secret themselves, so nobody else
    ever sees it. Used once (`used_at`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="two_factor_permits",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor enrolment permit")
        verbose_name_plural = _("two-factor enrolment permits")
        ordering = ["-issued_at", "-pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id} {self.issued_at:%Y-%m-%d %H:%M}"
