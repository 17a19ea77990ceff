"""The SMS edge of a worker subprocess: every message it sends is appended, one JSON line, to
the file CARECASE_FAULT_SMS_FILE names, written through before send() returns (the worker
may be killed right after), so the test reads back exactly what the "gateway" accepted."""

from __future__ import annotations

import json
import os
from pathlib import Path

from notifications.channels import SmsProvider


class FileSmsProvider(SmsProvider):
    def send(self, phone: str, text: str) -> None:
        path = Path(os.environ["CARECASE_FAULT_SMS_FILE"])
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"phone": phone, "text": text}, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())


def sent(path: Path) -> list[tuple[str, str]]:
    """(phone, text) of every message in the file, in order."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(row["phone"], row["text"]) for row in map(json.loads, lines)]
