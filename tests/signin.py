"""Signing people in, in tests, with their second factor.

`Client.force_login` skips the sign-in page; for a person who must have a second factor
(core.permissions.needs_two_factor) the session is then also verified the way the sign-in's
code step does it: with their authenticator (one is enrolled when they have none), through
django_otp.login. Without it the middleware signs them out, as it would a real session."""

from __future__ import annotations

import django.test
import django_otp
from django.http import HttpRequest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient as DrfApiClient

from core import permissions
from org.models import User


def authenticator(user: User) -> TOTPDevice:
    """`user`'s confirmed authenticator, enrolled now if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="CareCase", confirmed=True)
    return device


def current_code(device: TOTPDevice) -> str:
    """The 6 digits the person's app shows now (the frozen clock's now)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def verify_session(client: django.test.Client, user: User) -> None:
    """Mark the client's signed-in session as verified by `user`'s authenticator."""
    fresh = User.objects.get(pk=user.pk)
    if not permissions.needs_two_factor(fresh):
        return
    request = HttpRequest()
    request.session = client.session
    request.user = fresh
    django_otp.login(request, authenticator(fresh))
    request.session.save()


class Client(django.test.Client):
    def force_login(self, user, backend=None):  # type: ignore[no-untyped-def]
        super().force_login(user, backend)
        verify_session(self, user)


class APIClient(DrfApiClient):
    def force_login(self, user, backend=None):  # type: ignore[no-untyped-def]
        super().force_login(user, backend)
        verify_session(self, user)
