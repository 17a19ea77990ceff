from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_create, name="create"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/link/", views.report_link, name="link"),
    path("<int:pk>/share/", views.report_share, name="share"),
    path("<int:pk>/share/people/", views.share_people, name="share_people"),
    path("<int:pk>/share/<int:user_id>/revoke/", views.report_revoke, name="revoke"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:district_id>/", views.rules, name="rules_district"),
]
