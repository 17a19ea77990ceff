"""Outbound channels. In-app is the Notification row itself (always); email goes through
Django's email backend to people with an address; SMS through an `SmsProvider` chosen by the
SMS_PROVIDER setting (a dotted path; the console provider only logs)."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from core.text import mask_phone

if TYPE_CHECKING:
    from notifications.models import Notification

logger = logging.getLogger(__name__)
DEFAULT_SMS_PROVIDER = "notifications.channels.ConsoleSmsProvider"
SMS_MAX_CHARS = 300


class SmsProvider:
    """Send one text message; raise on failure (the caller retries with backoff)."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSmsProvider(SmsProvider):
    """Development default: the message goes to the log, nowhere else."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


class RecordingSmsProvider(SmsProvider):
    """A fake for tests: records every (phone, text) it is asked to send. Set `failures` to
    make the next n sends raise."""

    sent: ClassVar[list[tuple[str, str]]] = []
    failures: ClassVar[int] = 0
    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self._lock:
            if RecordingSmsProvider.failures > 0:
                RecordingSmsProvider.failures -= 1
                raise ConnectionError("SMS gateway unavailable (simulated)")
            RecordingSmsProvider.sent.append((phone, text))

    @classmethod
    def reset(cls) -> None:
        cls.sent.clear()
        cls.failures = 0


@lru_cache(maxsize=4)
def _provider(path: str) -> SmsProvider:
    provider = import_string(path)()
    if not isinstance(provider, SmsProvider):
        raise TypeError(f"{path} is not an SmsProvider")
    return provider


def sms_provider() -> SmsProvider:
    return _provider(settings.SMS_PROVIDER or DEFAULT_SMS_PROVIDER)


def _absolute(link: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{link}" if link and base else link


def send_email(notification: Notification, address: str) -> None:
    body = notification.body
    if notification.link:
        body = f"{body}\n\n{_absolute(notification.link)}"
    send_mail(
        notification.title,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        fail_silently=False,
    )


def send_sms(notification: Notification, address: str) -> None:
    text = notification.title
    if notification.body and notification.kind != "digest":
        text = f"{text} {notification.body}"
    sms_provider().send(address, text[:SMS_MAX_CHARS])


SENDERS = {"email": send_email, "sms": send_sms}
