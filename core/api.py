"""Helpers shared by the apps' API views."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


def as_drf_error(
    exc: DjangoValidationError, rename: dict[str, str] | None = None
) -> serializers.ValidationError:
    """A service's ValidationError as a DRF 400 with field errors; `rename` maps a service's
    field names to the API's where they differ."""
    if hasattr(exc, "error_dict"):
        names = rename or {}
        return serializers.ValidationError(
            {names.get(field, field): messages for field, messages in exc.message_dict.items()}
        )
    return serializers.ValidationError({"non_field_errors": exc.messages})
