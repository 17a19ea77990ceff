"""`{% my_findings %}`: a director's open findings, the first section of "my work"."""

from __future__ import annotations

from typing import Any

from django import template

from core import clock
from matching.rules import describe
from matching.selectors import my_findings as open_findings

register = template.Library()


@register.inclusion_tag("matching/_my_findings.html", takes_context=True)
def my_findings(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    found = open_findings(request.user)
    return {
        "findings": [(f, describe(f)) for f in found],
        "today": clock.today(),
    }
