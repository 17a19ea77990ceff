from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from org.api import AssignmentViewSet, RegionViewSet, StaffViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("staff", StaffViewSet, basename="staff")
router.register("assignments", AssignmentViewSet, basename="assignment")

urlpatterns = [
    path("token/", obtain_auth_token, name="api-token"),
    path("", include(router.urls)),
]
