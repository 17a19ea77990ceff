from django.urls import path

from visits import views

app_name = "visits"

urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("new/", views.visit_create, name="create"),
    path("list/", views.visit_list, name="list"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/correct/", views.visit_correct, name="correct"),
    path("inspections/", views.inspections, name="inspections"),
    path("inspections/new/", views.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("compliance/", views.compliance, name="compliance"),
    path("<int:pk>/follow-ups/", views.follow_up_add, name="follow_up_add"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("rectifications/<int:pk>/done/", views.rectification_done, name="rectification_done"),
    path("cadence/", views.cadence_rule, name="cadence"),
    path("risk-rule/", views.risk_rule, name="risk_rule"),
]
