"""The delivery log never names a phone number or an e-mail address in full: the warning of a
failed copy, the error stored on the row and the administrator's list (issue 19)."""

from __future__ import annotations

import logging

import pytest

from carecase.logfilters import MaskIdentifiers
from core import clock
from notifications import channels
from notifications.admin import DeliveryAdmin
from notifications.delivery import deliver_external
from notifications.models import Channel, Delivery, NotificationKind
from notifications.services import notify

PHONE = "13812345678"
EMAIL = "zhang.san@example.cn"


@pytest.fixture
def failing_copies(people, monkeypatch, django_capture_on_commit_callbacks):
    """A director with both addresses, one notification to her, and gateways that refuse
    every copy with a message naming the address (as real SMTP and SMS gateways do)."""
    director = people["director"]
    director.phone, director.email = PHONE, EMAIL
    director.save(update_fields=["phone", "email"])

    def refuse(notification, address):
        raise ConnectionError(f"recipient {address} refused by the gateway")

    monkeypatch.setitem(channels.SENDERS, "sms", refuse)
    monkeypatch.setitem(channels.SENDERS, "email", refuse)
    with django_capture_on_commit_callbacks(execute=False):
        notify(recipients=[director], kind=NotificationKind.OTHER, title="提醒")
    return director


def test_a_failed_copy_is_logged_and_stored_with_the_address_masked(failing_copies, caplog):
    with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
        deliver_external(clock.now())
    lines = [r.getMessage() for r in caplog.records if r.name == "notifications.delivery"]
    assert len(lines) == 2
    text = "\n".join(lines)
    assert PHONE not in text and EMAIL not in text
    assert "sms to 138****5678 failed: recipient 138****5678 refused" in text
    assert "email to z***@example.cn failed: recipient z***@example.cn refused" in text
    errors = list(Delivery.objects.values_list("last_error", flat=True))
    assert len(errors) == 2
    assert all(PHONE not in e and EMAIL not in e for e in errors)
    assert any("138****5678" in e for e in errors)
    assert any("z***@example.cn" in e for e in errors)


def test_a_line_naming_an_address_elsewhere_is_masked_by_the_handlers_filter(caplog):
    logger = logging.getLogger("notifications.channels")
    masking = MaskIdentifiers()
    logger.addFilter(masking)
    try:
        with caplog.at_level(logging.INFO, logger="notifications.channels"):
            logger.warning("copy for %s (%s) bounced", EMAIL, PHONE)
    finally:
        logger.removeFilter(masking)
    assert [r.getMessage() for r in caplog.records] == [
        "copy for z***@example.cn (138****5678) bounced"
    ]


def test_the_console_sms_provider_logs_the_phone_masked(caplog):
    with caplog.at_level(logging.INFO, logger="notifications.channels"):
        channels.ConsoleSmsProvider().send(PHONE, "提醒")
    assert [r.getMessage() for r in caplog.records] == ["SMS to 138****5678: 提醒"]


def test_the_administrators_delivery_list_masks_the_address(failing_copies):
    admin = DeliveryAdmin(Delivery, None)
    shown = {
        d.channel: (admin.masked_address(d), str(d))
        for d in Delivery.objects.filter(notification__recipient=failing_copies)
    }
    assert shown[Channel.SMS][0] == "138****5678"
    assert shown[Channel.EMAIL][0] == "z***@example.cn"
    assert all(PHONE not in s and EMAIL not in s for pair in shown.values() for s in pair)
    assert "address" not in admin.list_display and "address" in admin.exclude
