"""The Django admin under 三员分立: the system administrator keeps accounts and regions, the
security administrator roles and assignments. Nobody changes their own account here, makes a
superuser, edits groups or permissions, or sets a password (district staff reset their
workers' passwords; an administrator's password is reset from the command line). Every change
is written to the administrators' log (who, what, before → after)."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock
from core.http import signed_in
from org import adminlog, separation
from org.models import AdminAction, Assignment, Region, User

_M = TypeVar("_M", bound=Model)


class LoggedAdmin(admin.ModelAdmin[_M]):
    """Writes each save to the administrators' log with the values before and after."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = {}
        if change and obj.pk:
            stored = type(obj).objects.filter(pk=obj.pk).first()
            before = adminlog.snapshot(stored) if stored is not None else {}
        super().save_model(request, obj, form, change)
        after = adminlog.snapshot(obj)
        if change:
            before, after = adminlog.changes(before, after)
        adminlog.record(
            by=signed_in(request),
            action=AdminAction.CHANGE if change else AdminAction.CREATE,
            target=obj,
            before=before,
            after=after,
            request=request,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # history is kept: nothing is deleted from the admin


@admin.register(Region)
class RegionAdmin(LoggedAdmin[Region]):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]


def _protected_account(request: HttpRequest, obj: User | None) -> bool:
    """Accounts an administrator may not change here: their own, and superusers."""
    return obj is not None and (obj.pk == request.user.pk or obj.is_superuser)


@admin.register(User)
class StaffAdmin(UserAdmin[User], LoggedAdmin[User]):
    list_display = ["username", "real_name", "phone", "position", "status", "managing_district"]
    list_filter = ["status", "is_active"]
    search_fields = ["username", "real_name", "phone"]
    raw_id_fields = ["managing_district"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("username",)}),
        (
            _("Staff record"),
            {
                "fields": (
                    "real_name",
                    "phone",
                    "email",
                    "position",
                    "appointed_on",
                    "status",
                    "managing_district",
                    "must_change_password",
                )
            },
        ),
        (_("Account"), {"fields": ("is_active",)}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "real_name", "phone", "password1", "password2"),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(is_superuser=False)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if _protected_account(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Knowing someone's password is being them: no administrator sets one here.
        raise PermissionDenied

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.must_change_password = True  # the first sign-in sets the person's own password
            obj.is_superuser = False
        super().save_model(request, obj, form, change)


class AssignmentAdminForm(forms.ModelForm[Assignment]):
    class Meta:
        model = Assignment
        fields = ["user", "region", "role", "start_date", "end_date", "end_reason"]

    request: HttpRequest

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = cleaned.get("user") or (self.instance.user if self.instance.pk else None)
        role = cleaned.get("role") or self.instance.role
        if user is not None and role:
            try:
                separation.check_assignment(
                    by=signed_in(self.request),
                    user=user,
                    role=role,
                    existing=self.instance if self.instance.pk else None,
                )
            except ValidationError as exc:
                raise ValidationError({"user": exc.messages}) from exc
        return cleaned


@admin.register(Assignment)
class AssignmentAdmin(LoggedAdmin[Assignment]):
    form = AssignmentAdminForm
    list_display = ["user", "role", "region", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["user__real_name", "user__username", "region__code", "region__name"]
    raw_id_fields = ["user", "region"]
    list_select_related = ["user", "region"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A saved assignment is history: only its end can be recorded.
        if obj is not None:
            return ["user", "region", "role", "start_date"]
        return ["end_date", "end_reason"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (obj.user_id == request.user.pk or obj.end_date is not None):
            return False
        return super().has_change_permission(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        elif obj.end_date is not None:
            obj.ended_by = request.user
            if obj.end_date < obj.start_date:
                obj.end_date = clock.today()
        super().save_model(request, obj, form, change)
        if change and obj.end_date is not None:
            from org.tokens import revoke_all

            revoke_all(obj.user)


# Second factors are the security administrator's (/security/two-factor/), never the admin
# site's: django-otp's device pages would show a person's secret to the break-glass superuser.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)
