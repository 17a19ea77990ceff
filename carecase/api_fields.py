"""One refinement of DRF's DateField for every serializer: a date in the right format that does
not exist (2026-02-30) is "not a real date", not "wrong format". Installed by
CareCaseConfig.ready()."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import fields, serializers

_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def install() -> None:
    original = fields.DateField.to_internal_value
    if getattr(original, "_carecase", False):
        return

    def to_internal_value(self: fields.DateField, value: Any) -> Any:
        try:
            return original(self, value)
        except serializers.ValidationError:
            if isinstance(value, str) and _ISO_SHAPE.match(value.strip()):
                raise serializers.ValidationError(
                    _("This date does not exist (for example 30 February)."), code="invalid"
                ) from None
            raise

    to_internal_value._carecase = True  # type: ignore[attr-defined]
    fields.DateField.to_internal_value = to_internal_value  # type: ignore[method-assign,assignment]
