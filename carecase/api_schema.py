"""The OpenAPI schema's common error responses (drf-spectacular postprocessing hook).

Every operation may answer 400 (field errors keyed as the request's fields, or
`non_field_errors`), 401 (no or a bad token), 403 (a role or the certification gate refuses,
with `detail`) and 404 (not found or out of scope, which look the same): documented once here
instead of on each of the ~110 operations.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination

DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Field errors: each key is a field of the request (or non_field_errors, or "
    "detail), each value the messages (nested objects for nested fields).",
    "additionalProperties": {},
}
ERRORS = {
    "400": ("Bad input: messages per field.", "FieldErrors"),
    "401": ("Not signed in, or the token is invalid or expired.", "ErrorDetail"),
    "403": ("Not allowed for this role (the message says why).", "ErrorDetail"),
    "404": ("Not found, or outside the caller's regions.", "ErrorDetail"),
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorDetail", DETAIL)
    components.setdefault("FieldErrors", FIELD_ERRORS)
    for path, methods in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, (description, component) in ERRORS.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": f"#/components/schemas/{component}"}
                            }
                        },
                    },
                )
    return result


class StrictPageNumberPagination(PageNumberPagination):
    """DRF's page-number pagination, except that an empty `?page=` is refused like any other
    page that is not a number (the schema says an integer)."""

    def get_page_number(self, request: Any, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise NotFound(_("Invalid page."))
        return super().get_page_number(request, paginator)
