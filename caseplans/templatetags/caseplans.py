"""`{% my_plan_actions %}`: the open actions of approved case plans that are the user's, a
section of "my work" (one query)."""

from __future__ import annotations

from typing import Any

from django import template

from caseplans.selectors import my_actions
from core import clock

register = template.Library()


@register.inclusion_tag("caseplans/_my_actions.html", takes_context=True)
def my_plan_actions(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    return {
        "actions": my_actions(request.user),
        "today": clock.today(),
        "csrf_token": context.get("csrf_token"),
    }
