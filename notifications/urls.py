from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:district_id>/", views.rules, name="rules_district"),
]
