from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/write/<int:worker_id>/", views.assessment_write, name="assessment_write"),
    path("assessment/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessment/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("spot-checks/", views.spot_checks, name="spot_checks"),
    path("spot-checks/draw/", views.spot_check_draw, name="spot_check_draw"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/items/<int:pk>/", views.spot_check_item, name="spot_check_item"),
    path(
        "spot-checks/rectifications/<int:pk>/done/",
        views.rectification_done,
        name="rectification_done",
    ),
]
