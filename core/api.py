"""Helpers shared by the apps' API views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.replica import replica_reading

_W = TypeVar("_W", bound=models.Model)

# The done part of a work item (core.workitems.WorkItem), read-only in every work item's
# serializer: an item is marked done through its own endpoint (workitem_done).
WORK_ITEM_DONE_FIELDS = ["done", "done_on", "done_note", "done_by"]


# Base of a work item's serializer: who marked it done (a username) and when. (A comment, not a
# docstring: drf-spectacular would put a docstring into every subclass's schema.)
class WorkItemSerializer(serializers.ModelSerializer[_W]):
    done_by = serializers.CharField(
        source="done_by.username", read_only=True, default=None, allow_null=True
    )
    done_on = serializers.DateField(read_only=True, allow_null=True)


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


# --- Reads from the replica ----------------------------------------------------------------


def replica_list(method: Callable[..., Response]) -> Callable[..., Response]:
    """Mark a viewset's list method: its reads may come from the replica, like a list page
    marked `@replica_reads` (core/replica.py: not for a user who wrote within
    READ_YOUR_WRITES_SECONDS, nor inside a transaction, nor when the replica lags). DRF calls
    it after authenticating, so the user is known; a list is a GET, never a write."""

    @wraps(method)
    def wrapped(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        with replica_reading(user=request.user):
            return method(self, request, *args, **kwargs)

    return wrapped


class ReplicaListMixin:
    """A viewset whose list action may read from the replica (placed before ListModelMixin);
    its other actions, and every write, read the primary."""

    @replica_list
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return cast(Any, super()).list(request, *args, **kwargs)  # type: ignore[no-any-return]
