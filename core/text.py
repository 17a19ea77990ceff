"""Person names as typed: invisible and control characters removed, direction overrides
refused (a name that displays as something else than it is); phone numbers and e-mail
addresses masked (`mask_phone`, `mask_email`, and `mask_contacts` for free text such as a log
line or a gateway's error)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_name(value: str) -> str:
    """`value` without invisible (format) and control characters and outer spaces; raises
    ValidationError for a direction override or when nothing visible is left."""
    if any(ch in BIDI_CONTROLS for ch in value):
        raise ValidationError(
            _("The name contains a text-direction control character; type it again."),
            code="bidi",
        )
    kept = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cf", "Cc", "Co", "Cn"))
    kept = " ".join(kept.split())
    if not kept:
        raise ValidationError(_("Enter a name with visible characters."), code="invisible")
    return kept


def mask_phone(number: str) -> str:
    """138****5678, 023-****1234: the first three and the last four characters of a phone
    number, the digits between as stars (shorter numbers wholly starred)."""
    number = (number or "").strip()
    if len(number) < 8:
        return "*" * len(number)
    middle = "".join("*" if ch.isdigit() else ch for ch in number[3:-4])
    return number[:3] + middle + number[-4:]


def mask_email(address: str) -> str:
    """z***@example.cn: the first character of the local part, then stars; the domain kept."""
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return "*" * len(address)
    return f"{local[:1]}***@{domain}"


# A mobile number (11 digits from 13 to 19, with an optional +86 or 86 before it) or a
# landline with its area code (023-12345678, 0231234567x), not inside a longer run of digits
# (a 12-digit region code, an 18-character ID number, a millisecond timestamp).
PHONE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:\+?86[- ]?)?(?:1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8})(?![0-9])"
)
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def mask_contacts(text: str) -> str:
    """`text` with every phone number and e-mail address in it masked (138****5678,
    z***@example.cn), for log lines and stored error messages."""
    text = EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def mask_address(channel: str, address: str) -> str:
    """A delivery's address as a log or an administrator's list shows it: an e-mail address
    by `mask_email`, anything else (a phone) by `mask_phone`."""
    return mask_email(address) if channel == "email" or "@" in address else mask_phone(address)
