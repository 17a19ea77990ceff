"""The Content-Security-Policy and Permissions-Policy (issue 19, 等保 三级): every response
carries them, the policy allows nothing inline, and no template served as a page has an inline
script, event handler or style (the browser check is tests/e2e/test_content_policy.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered by WeasyPrint into the dossier's PDF (children/dossier.py), never sent to a browser.
PDF_ONLY = {
    "children/dossier.html",
    "casefile/dossier.html",
    "providers/_dossier_referrals.html",
}
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
STYLE_ELEMENT = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE)
COMMENT = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.DOTALL)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_every_page_carries_a_policy_that_allows_nothing_inline(client, people):
    client.force_login(people["director"])
    for path in ("/", "/accounts/login/", "/children/", "/health/"):
        response = client.get(path)
        directives = policy(response)
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]
        header = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_the_api_documentation_styles_itself_with_the_responses_nonce(client, people):
    client.force_login(people["civil"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    nonce = re.search(r'<style nonce="([^"]+)"', page.content.decode())
    assert nonce, "the documentation's <style> carries a nonce"
    assert f"'nonce-{nonce.group(1)}'" in policy(page)["style-src"]
    # Its script is a second request (drf-spectacular's split view), not inline.
    assert not INLINE_SCRIPT.search(page.content.decode())
    script = re.search(r'<script src="([^"]*script=[^"]*)"', page.content.decode())
    assert script
    init = client.get(script.group(1).replace("&amp;", "&"))
    assert init.status_code == 200
    assert init.headers["Content-Type"].startswith("application/javascript")


def test_a_page_without_inline_styles_gets_no_nonce(client, people):
    client.force_login(people["director"])
    assert "nonce-" not in client.get("/").headers["Content-Security-Policy"]


def page_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).as_posix() not in PDF_ONLY
    ]


@pytest.mark.parametrize(
    "pattern", [STYLE_ATTRIBUTE, HANDLER_ATTRIBUTE, INLINE_SCRIPT, STYLE_ELEMENT], ids=str
)
def test_no_page_template_has_anything_the_policy_would_refuse(pattern):
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in page_templates()
        for match in pattern.finditer(COMMENT.sub("", path.read_text()))
    ]
    assert not found, found


def test_the_scan_finds_what_it_looks_for():
    assert STYLE_ATTRIBUTE.search('<div class="x" style="width: 3px">')
    assert HANDLER_ATTRIBUTE.search('<button onclick="go()">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/a.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script id="d" type="application/json">{}</script>')
    assert STYLE_ELEMENT.search("<style>body{}</style>")
    assert not STYLE_ELEMENT.search('<style nonce="{{ request.csp_nonce }}">')
    assert len(page_templates()) > 100
