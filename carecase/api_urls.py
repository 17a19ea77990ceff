from django.urls import include, path
from rest_framework.routers import DefaultRouter

from activities.api import ActivityViewSet
from caseplans.api import CasePlanViewSet, PlanActionViewSet
from children import duplicates_api
from children.api import RECORD_VIEWSETS, ChildViewSet
from children.household_api import HouseholdViewSet
from children.risk_views import risk_rises_api
from duplicates import api as duplicates_lists_api
from exports.api import ExportJobViewSet, NationalExportViewSet
from matching.api import FindingViewSet
from notifications.api import NotificationViewSet
from org.api import AssignmentViewSet, RegionViewSet, StaffViewSet
from org.token_api import ApiTokenViewSet, LogoutView, ObtainTokenView
from providers.api import ReferralViewSet, ServiceProviderViewSet
from reports.api import ReportViewSet
from stats.api import StatsViewSet
from supervision import api as supervision_api
from training import api as training_api
from transfers.api import TransferViewSet
from visits import api as visits_api

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("staff", StaffViewSet, basename="staff")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("tokens", ApiTokenViewSet, basename="api-token")
router.register("children", ChildViewSet, basename="child")
router.register("households", HouseholdViewSet, basename="household")
router.register("training/courses", training_api.CourseViewSet, basename="training-course")
router.register("training/sessions", training_api.SessionViewSet, basename="training-session")
router.register(
    "training/attendance", training_api.AttendanceViewSet, basename="training-attendance"
)
router.register("notifications", NotificationViewSet, basename="notification")
router.register("training/results", training_api.ResultViewSet, basename="training-result")
router.register("visits", visits_api.VisitViewSet, basename="visit")
router.register("inspections", visits_api.InspectionViewSet, basename="inspection")
router.register("rectifications", visits_api.RectificationViewSet, basename="rectification")
router.register("findings", FindingViewSet, basename="finding")
router.register("activities", ActivityViewSet, basename="activity")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("reports", ReportViewSet, basename="report")
router.register("service-providers", ServiceProviderViewSet, basename="service-provider")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("case-plans", CasePlanViewSet, basename="case-plan")
router.register("case-plan-actions", PlanActionViewSet, basename="case-plan-action")
router.register("stats", StatsViewSet, basename="stats")
router.register("exports", ExportJobViewSet, basename="export-job")
router.register("national-exports", NationalExportViewSet, basename="national-export")
router.register(
    "duplicates/lists", duplicates_lists_api.DuplicateListViewSet, basename="duplicate-list"
)
router.register("assessments", supervision_api.AssessmentViewSet, basename="assessment")
router.register(
    "spot-checks/items", supervision_api.SpotCheckItemViewSet, basename="spot-check-item"
)
router.register("spot-checks", supervision_api.SpotCheckViewSet, basename="spot-check")

# The records of one child: /children/<child_pk>/<records>/ and .../<records>/<pk>/.
child_record_urls = []
for segment, viewset in RECORD_VIEWSETS.items():
    basename = f"child-{segment}"
    child_record_urls += [
        path(
            f"children/<int:child_pk>/{segment}/",
            viewset.as_view({"get": "list", "post": "create"}),
            name=f"{basename}-list",
        ),
        path(
            f"children/<int:child_pk>/{segment}/<int:pk>/",
            viewset.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"}),
            name=f"{basename}-detail",
        ),
    ]

urlpatterns = [
    path("token/", ObtainTokenView.as_view(), name="api-token-obtain"),
    path("token/logout/", LogoutView.as_view(), name="api-token-logout"),
    *child_record_urls,
    path("children/<int:child_pk>/schedule/", visits_api.child_schedule, name="child-schedule"),
    path(
        "children/<int:child_pk>/duplicates/",
        duplicates_api.child_duplicates,
        name="child-duplicates",
    ),
    path("children/duplicate-check/", duplicates_api.duplicate_check, name="duplicate-check"),
    path("duplicates/merges/", duplicates_lists_api.merge_create, name="child-merge"),
    path("offline/", visits_api.offline_copy, name="offline-copy"),
    path("risk-rises/", risk_rises_api, name="risk-rises"),
    path("follow-ups/<int:pk>/done/", visits_api.follow_up_done, name="follow-up-done"),
    path("training/files/<int:user_id>/", training_api.training_file, name="training-file"),
    path(
        "spot-checks/rectifications/<int:pk>/done/",
        supervision_api.rectification_done,
        name="spot-check-rectification-done",
    ),
    path("", include(router.urls)),
]
