"""The resident-ID refusal messages for the phone's own check (static/carecase/idnumber.js).

    {% load resident_id %}{% id_error_messages "carecase-id-messages" %}

renders <script type="application/json" id="carecase-id-messages">{code: message}</script> in
the active language; the page reads it with
JSON.parse(document.getElementById('carecase-id-messages').textContent) and shows
CareCaseId.message(CareCaseId.check(value), messages).
"""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from children import idnumber

register = template.Library()


@register.simple_tag
def id_error_messages(element_id: str) -> SafeString:
    return json_script(idnumber.error_messages(), element_id)
