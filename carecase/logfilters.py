"""Log filters. `MaskIdentifiers` masks resident ID numbers (18 characters: 17 digits and a
digit or X, GB 11643) in every record, as the pages mask them: an exact-ID search (GET
?q=<ID>) must not leave the full number in the server's request log."""

from __future__ import annotations

import logging
import re

ID_NUMBER = re.compile(r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def mask(text: str) -> str:
    return ID_NUMBER.sub(r"\1********\2", text)


class MaskIdentifiers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
