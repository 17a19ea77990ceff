"""Person names as typed: invisible and control characters removed, direction overrides
refused (a name that displays as something else than it is)."""

from __future__ import annotations

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
