from django.urls import path

from activities import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_new, name="new"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("rule/", views.activity_rule, name="rule"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("photos/<int:pk>/", views.activity_photo, name="photo"),
]
