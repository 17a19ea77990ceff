"""The requests of a signed-in user, for the type checker: `request.user` is the project's
`User`, never AnonymousUser.

This holds at run time: every page is behind `LoginRequiredMiddleware`
(carecase/middleware.py; only sign-in, health, static files, language switching and the API
are left out), and every API endpoint behind DRF's `IsAuthenticated`, the default permission
of REST_FRAMEWORK in carecase/settings.py (the one exception, the token sign-in endpoint,
does not use these types). Views annotate their `request` with these classes; the objects
are Django's and DRF's own requests, nothing is subclassed at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

if TYPE_CHECKING:
    from org.models import User


class AuthenticatedRequest(HttpRequest):
    """A page's request: its user is signed in."""

    user: User


class AuthenticatedApiRequest(Request):
    """An API request: its user is authenticated (token or session)."""

    user: User


def signed_in(request: HttpRequest | Request) -> User:
    """`request.user` where the request cannot be typed as above (the admin's hooks, DRF's
    `@api_view` functions, a service handed Django's request): only signed-in users get there,
    so the refusal below is never reached."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user
