from django.urls import path

from fieldapp import views

app_name = "field"

urlpatterns = [
    path("", views.shell, name="shell"),
    path("session/", views.session, name="session"),
]
