"""ID numbers never reach the server's log in full."""

import logging

from django.conf import settings

from carecase.logfilters import MaskIdentifiers, mask


def test_mask_keeps_the_ends_only():
    assert mask("GET /children/?q=11010519491231002X HTTP/1.1") == (
        "GET /children/?q=110105********002X HTTP/1.1"
    )
    assert mask("q=500109201501010018&page=2") == "q=500109********0018&page=2"
    assert mask("phone 13900000000, id 12") == "phone 13900000000, id 12"


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
