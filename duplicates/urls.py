from django.urls import path

from duplicates import views

app_name = "duplicates"

urlpatterns = [
    path("", views.list_index, name="index"),
    path("new/", views.list_new, name="new"),
    path("<uuid:pk>/", views.list_detail, name="list"),
    path("<uuid:pk>/progress/", views.list_progress, name="progress"),
    path("merge/<int:a>/<int:b>/", views.merge, name="merge"),
]
