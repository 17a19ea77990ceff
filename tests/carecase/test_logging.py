"""ID numbers never reach the server's log in full."""

import logging

from django.conf import settings

from carecase.logfilters import MaskIdentifiers, mask


def test_mask_keeps_the_ends_only():
    assert mask("GET /children/?q=11010519491231002X HTTP/1.1") == (
        "GET /children/?q=110105********002X HTTP/1.1"
    )
    assert mask("q=500109201501010018&page=2") == "q=500109********0018&page=2"
    # A phone is no ID number: masked as a phone (core.text.mask_contacts), the id kept.
    assert mask("phone 13900000000, id 12") == "phone 139****0000, id 12"


def test_the_filter_masks_messages_and_arguments():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s',
        ("GET /?q=500109201501010018", 200),
        None,
    )
    assert MaskIdentifiers().filter(record)
    assert "500109201501010018" not in record.getMessage()
    assert "500109********0018" in record.getMessage()


def test_the_console_handler_uses_it():
    assert "mask_ids" in settings.LOGGING["handlers"]["console"]["filters"]


def test_a_search_by_id_leaves_no_full_id_in_the_request_log(people, client, caplog):
    handler_filter = MaskIdentifiers()
    logger = logging.getLogger("django.request")
    logger.addFilter(handler_filter)
    try:
        client.force_login(people["director"])
        with caplog.at_level(logging.WARNING, logger="django.request"):
            client.get("/children/500109201501010018/")  # a 404 is logged with its path
    finally:
        logger.removeFilter(handler_filter)
    assert caplog.records
    assert all("500109201501010018" not in r.getMessage() for r in caplog.records)


def test_phones_and_email_addresses_are_masked_in_every_line():
    line = "sms to 13812345678 and +86 13912345678, email to zhang.san@example.cn, 023-68881234"
    masked = mask(line)
    for full in ("13812345678", "13912345678", "zhang.san@example.cn", "68881234"):
        assert full not in masked
    assert "138****5678" in masked
    assert "z***@example.cn" in masked
    assert "023-****1234" in masked


def test_longer_numbers_are_not_taken_for_phones():
    # A village code (12 digits), a millisecond timestamp and a masked ID number stay.
    line = "region 500109001001 at 1764830000123, id 500109********0018"
    assert mask(line) == line


def test_the_filter_masks_a_phone_in_the_arguments():
    record = logging.LogRecord(
        "notifications.delivery", logging.WARNING, __file__, 1, "%s to %s failed: %s",
        ("sms", "13812345678", "refused"), None,
    )  # fmt: skip
    assert MaskIdentifiers().filter(record)
    assert record.getMessage() == "sms to 138****5678 failed: refused"
