"""Log filters and the JSON formatter. `MaskIdentifiers` masks resident ID numbers (18
characters: 17 digits and a digit or X, GB 11643) in every record, as the pages mask them: an
exact-ID search (GET ?q=<ID>) must not leave the full number in the server's request log; and
phone numbers and e-mail addresses (core.text.mask_contacts: 138****5678, z***@example.cn),
whatever line names them (a failed SMS or e-mail copy, a search by a carer's phone).
`LogContext` adds the request id and the user's id (carecase.requestid), and in a worker the
task's name and id, to every record; `JsonFormatter` writes a record as one JSON object a
line (LOG_FORMAT=json)."""

from __future__ import annotations

import datetime
import json
import logging
import re
from typing import Any

from carecase import requestid
from core.text import mask_contacts

ID_NUMBER = re.compile(r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")


def mask(text: str) -> str:
    return mask_contacts(ID_NUMBER.sub(r"\1********\2", text))


class MaskIdentifiers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class LogContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requestid.request_id()
        record.user_id = requestid.user_id()
        record.task_name, record.task_id = requestid.task()
        return True


class JsonFormatter(logging.Formatter):
    """time (UTC, ISO 8601), level, logger, message, request_id, user_id, task_name and
    task_id (in a worker), and the exception's trace when there is one. The message is the
    masked one (MaskIdentifiers runs first, on the handler)."""

    FIELDS = ("request_id", "user_id", "task_name", "task_id")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in self.FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = mask(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
