"""A family member's phone number on a page, as the viewer may read it
(core.permissions.can_view_phone):

    {% load family_phone %}{% family_phone child.carer_phone child.region_code %}

renders a tap-to-call link with the full number for those who may read it (the child director
of the child's village, holders of `children.view_identifier`) and the masked number
(138****5678) as plain text for everyone else. Nothing for an empty number."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core import permissions
from core.text import mask_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def family_phone(context: dict[str, Any], number: str | None, region_code: str) -> SafeString:
    number = (number or "").strip()
    if not number:
        return SafeString("")
    user = context.get("user") or context["request"].user
    if permissions.can_view_phone(user, region_code):
        return format_html('<a href="tel:{}">{}</a>', number, number)
    return format_html('<span class="phone-masked">{}</span>', mask_phone(number))
