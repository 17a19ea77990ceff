from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("", views.lists, name="lists"),
    path("<int:pk>/", views.list_detail, name="list_detail"),
    path("<int:pk>/columns/", views.list_columns, name="list_columns"),
    path("<int:pk>/progress/", views.list_progress, name="list_progress"),
    path("review/", views.review, name="review"),
    path("rules/", views.finding_rules, name="rules"),
    path("findings/", views.findings, name="findings"),
    path("findings/mine/", views.my_findings, name="my_findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
]
