"""The field app's pages: the shell a director's phone keeps (the same Django forms as the
online pages, bound on the phone to what it cached), the session check the phone makes before
sending, the service worker and the web app manifest.

The shell carries no child's data: the phone fetches that from /api/v1/offline/ and keeps it in
IndexedDB (static/field/db.js). It does carry the director's own villages (the registration
form's choices), so the service worker keeps it in a cache that signing out deletes.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from children.choices import ParentRelation
from children.fields import PARENT_FIELDS
from core import clock, permissions, scoping
from core.http import AuthenticatedRequest
from core.roles import Role
from fieldapp.forms import EDITABLE_FIELDS, field_forms, id_messages
from fieldapp.strings import strings
from visits import offline
from visits.forms import FOLLOW_UP_ROWS
from visits.services import VISIT_FIELDS

# What the service worker keeps before it is needed (hashed names in production), so that the
# app opens with no network: the app's own scripts, the vendored libraries and the styles.
PRECACHED = (
    "vendor/bootstrap.min.css",
    "carecase.css",
    "vendor/bootstrap.bundle.min.js",
    "vendor/idb/umd.js",
    "carecase/idnumber.js",
    "field/db.js",
    "field/outbox.js",
    "field/entries.js",
    "field/register.js",
    "field/app.js",
    "field/app.css",
    "field/icon-192.png",
    "field/icon-512.png",
)
WORKBOX = "vendor/workbox/"


def is_field_user(user: Any) -> bool:
    """The offline app is the village child director's (R20: nothing cached for other roles),
    by the rule of what a phone may keep (visits.offline)."""
    return bool(user.is_authenticated and offline.may_keep_offline(user))


@never_cache
def shell(request: AuthenticatedRequest) -> HttpResponse:
    if not is_field_user(request.user):
        messages.info(request, _("The offline app is for village child directors."))
        return redirect("home")
    villages = scoping.get_scope(request.user).regions(Role.CHILD_DIRECTOR)
    forms = field_forms(request.user, villages)
    context = {
        "forms": forms,
        "config": {
            "user": request.user.pk,
            "time_zone": settings.TIME_ZONE,
            # The server's "now" as the shell is rendered; the app compares it with the
            # phone's clock (static/field/app.js, today()).
            "server_now": clock.now().isoformat(),
            "max_age_days": settings.OFFLINE_MAX_AGE_DAYS,
            "strings": strings(),
            "visit_fields": list(VISIT_FIELDS),
            "follow_up_rows": FOLLOW_UP_ROWS,
            "editable_fields": list(EDITABLE_FIELDS),
            "field_labels": {
                name: str(forms["edit"].fields[name].label) for name in EDITABLE_FIELDS
            },
            "parent_relations": list(ParentRelation.values),
            "parent_fields": list(PARENT_FIELDS),
            "village_codes": {str(v.pk): v.code for v in villages},
            "nullable": ["entrustment_signed_on"],
        },
        "id_messages": id_messages(),
        "refusal": permissions.work_refusal(request.user),
        "max_age_days": settings.OFFLINE_MAX_AGE_DAYS,
    }
    return render(request, "field/app.html", context)


@never_cache
def session(request: HttpRequest) -> JsonResponse:
    """Whether this phone's session is signed in, as whom, and the CSRF token its sends carry.
    Signed out (expired or never), the phone keeps its outbox and asks the director to sign in."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"signed_in": False})
    return JsonResponse(
        {
            "signed_in": True,
            "user": user.pk,
            "name": user.get_full_name() or user.get_username(),
            "director": is_field_user(user),
            "csrf": get_token(request),
            "now": clock.now().isoformat(),
        }
    )


@cache
def _worker_source() -> tuple[str, str]:
    """The service worker's text and its version (a hash of the text and the asset names it
    precaches: a new deployment changes the names, so phones install the new worker)."""
    assets = [static(name) for name in PRECACHED]
    with translation.override(settings.LANGUAGE_CODE):
        text = _render_worker(assets)
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]


def _render_worker(assets: list[str]) -> str:
    return loader.render_to_string(
        "field/sw.js",
        {
            "assets_json": json.dumps(assets),
            "workbox": static(WORKBOX + "workbox-sw.js"),
            "workbox_prefix": static(WORKBOX + "workbox-sw.js").rsplit("/", 1)[0] + "/",
            "idb": static("vendor/idb/umd.js"),
            "db": static("field/db.js"),
            "outbox": static("field/outbox.js"),
            "entries": static("field/entries.js"),
            "visit_config_json": json.dumps(
                {
                    "visit_fields": list(VISIT_FIELDS),
                    "follow_up_rows": FOLLOW_UP_ROWS,
                    "label": strings()["entry_visit"],
                },
                ensure_ascii=False,
            ),
        },
    )


def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site's root so that its scope is the whole site (a navigation to "my
    work" with no network is answered from the phone's cache); never cached by the browser's
    HTTP cache, so an update is seen at the next visit."""
    text, version = _worker_source() if not settings.DEBUG else _uncached_worker_source()
    response = HttpResponse(
        text.replace("__VERSION__", version), content_type="application/javascript"
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


def _uncached_worker_source() -> tuple[str, str]:
    _worker_source.cache_clear()
    return _worker_source()


def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("CareCase"),
        "short_name": _("CareCase"),
        "description": _("Visits and records of the children of your village, also offline."),
        "lang": "zh-Hans",
        "start_url": "/field/#/work",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": [
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("field/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "no-cache"
    return response
