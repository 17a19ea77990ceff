"""System administrators see reminder and delivery failures here. Case data stays out (三员分立):
children appear by id only, and the in-app messages (which name children) are not listed."""

from django.contrib import admin

from notifications.models import Delivery, Reminder, ReminderRule


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin[Reminder]):
    list_display = ["kind", "child_id", "due_date", "recipient", "level", "status", "attempts"]
    list_filter = ["status", "kind", "level"]
    date_hierarchy = "due_date"
    raw_id_fields = ["recipient"]
    exclude = ["notification", "child"]
    readonly_fields = ["claim_token", "claimed_at", "sent_at", "created_at"]
    search_fields = ["last_error"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["channel", "address", "status", "attempts", "next_attempt_at", "sent_at"]
    exclude = ["notification"]
    list_filter = ["status", "channel"]
    readonly_fields = ["claim_token", "claimed_at", "sent_at"]
    search_fields = ["address", "last_error"]


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin[ReminderRule]):
    list_display = [
        "district",
        "due_soon_days",
        "supervisor_after_days",
        "district_after_days",
        "digest_threshold",
    ]
    raw_id_fields = ["updated_by"]
