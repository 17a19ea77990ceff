from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("statistics/new/", views.statistics_new, name="statistics_new"),
    path("national/new/", views.national_new, name="national_new"),
    path("national/", views.national_ledger, name="national_ledger"),
    path("<uuid:pk>/", views.job_detail, name="detail"),
    path("<uuid:pk>/progress/", views.job_progress, name="progress"),
    path("<uuid:pk>/download/", views.job_download, name="download"),
]
