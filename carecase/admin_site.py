"""The Django admin, for the system and security administrators (三员分立) and the
break-glass superuser; what each sees is `permissions.ADMIN_PERMISSIONS`."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext_lazy as _

from core import permissions

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


class CareCaseAdminSite(admin.AdminSite):
    site_header = _("CareCase administration")
    site_title = _("CareCase administration")
    index_title = _("Administration")

    def has_permission(self, request: HttpRequest) -> bool:
        return permissions.may_use_admin_site(request.user)

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return cast(_View, update_wrapper(guarded, inner))

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # One login page for everyone; a signed-in user without an admin role is refused.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next", request.get_full_path()))
