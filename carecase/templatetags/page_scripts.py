"""Only the scripts a page uses (issue 14, light pages on a weak network).

    {% load page_scripts %}
    {% scripts_where_used %} … the page … {% end_scripts_where_used %}

renders the page, then appends a deferred <script> for each library whose markup appears in
it: htmx where an element asks for a request (`hx-get`, `hx-post`, …: the "mark done" forms,
the child picker, an export's progress), Bootstrap's bundle where a component needs it
(`data-bs-toggle`, `data-bs-dismiss`: the navigation toggler of a signed-in page). Deciding
from the rendered markup keeps the rule in one place: an include or a widget that starts
using htmx brings it along, and a page that does not (the home page, a child's page, the
sign-in page) does not download it.
"""

from __future__ import annotations

import re

from django import template
from django.template.base import NodeList, Parser, Token
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# (script, what in the rendered page needs it), in the order they are to run.
LIBRARIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("vendor/bootstrap.bundle.min.js", re.compile(r"\sdata-bs-(?:toggle|dismiss)=")),
    (
        "vendor/htmx.min.js",
        re.compile(r"\s(?:data-)?hx-(?:get|post|put|patch|delete|boost|trigger)="),
    ),
)


# Markup a library needs before it runs: htmx adds no <style> of its own, which the
# Content-Security-Policy would refuse (its indicator rules are in carecase.css).
HTMX_CONFIG = """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>"""
BEFORE = {"vendor/htmx.min.js": HTMX_CONFIG}


def scripts_for(html: str) -> list[str]:
    """The static paths of the libraries the markup uses."""
    return [path for path, marker in LIBRARIES if marker.search(html)]


class ScriptsWhereUsedNode(template.Node):
    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        html = self.nodelist.render(context)
        tags = [
            BEFORE.get(p, "") + format_html('<script src="{}" defer></script>', static(p))
            for p in scripts_for(html)
        ]
        return mark_safe(html + "\n".join(tags))  # noqa: S308 - rendered template + escaped tags


@register.tag
def scripts_where_used(parser: Parser, token: Token) -> ScriptsWhereUsedNode:
    nodelist = parser.parse(("end_scripts_where_used",))
    parser.delete_first_token()
    return ScriptsWhereUsedNode(nodelist)
