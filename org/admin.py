from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from org.models import Assignment, Region, User


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ["region", "created_by", "ended_by"]
    can_delete = False  # history is kept: end an assignment, never delete it


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "real_name", "phone", "position", "status", "managing_district"]
    list_filter = ["status", "is_active"]
    search_fields = ["username", "real_name", "phone"]
    raw_id_fields = ["managing_district"]
    inlines = [AssignmentInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
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
        (_("Permissions"), {"fields": ("is_active", "is_superuser", "groups")}),
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


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "start_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["user__real_name", "user__username", "region__code", "region__name"]
    raw_id_fields = ["user", "region", "created_by", "ended_by"]
    list_select_related = ["user", "region"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
