"""System administrators see reminder and delivery failures here. Case data stays out (三员分立):
children appear by id only, and the in-app messages (which name children) are not listed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.text import mask_address
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
    """The delivery log: the address masked (138****5678, z***@example.cn), in the list and
    on the row's page; found by the full address typed into the search."""

    list_display = ["channel", "masked_address", "status", "attempts", "next_attempt_at", "sent_at"]
    exclude = ["notification", "address"]
    list_filter = ["status", "channel"]
    readonly_fields = ["masked_address", "claim_token", "claimed_at", "sent_at"]
    search_fields = ["address", "last_error"]

    @admin.display(description=_("address"))
    def masked_address(self, delivery: Delivery) -> str:
        return mask_address(delivery.channel, delivery.address)


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
