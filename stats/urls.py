from django.urls import path

from stats import views

app_name = "stats"

urlpatterns = [
    path("", views.index, name="index"),
    path("area/<str:code>/", views.area, name="area"),
]
