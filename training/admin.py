from django.contrib import admin

from training.models import Course, Session, TrainingPolicy, TrainingStatus


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Course]):
    list_display = ["title", "district", "created_at"]
    list_filter = ["district"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin[Session]):
    list_display = ["course", "organiser_level", "region", "date", "place"]
    list_filter = ["organiser_level"]
    raw_id_fields = ["invitees"]


@admin.register(TrainingStatus)
class TrainingStatusAdmin(admin.ModelAdmin[TrainingStatus]):
    list_display = ["user", "certified_on", "last_passed_on", "renewal_due_on", "rotation"]
    readonly_fields = ["user", "certified_on", "last_passed_on", "renewal_due_on", "rotation"]


@admin.register(TrainingPolicy)
class TrainingPolicyAdmin(admin.ModelAdmin[TrainingPolicy]):
    list_display = ["district", "lapsed_blocks_work"]
