"""The archive page's route, served in the `children` namespace (carecase/urls.py joins it to
children/urls.py, so `children:detail` names it as before)."""

from django.urls import URLPattern, URLResolver, path

from casefile import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", views.child_detail, name="detail"),
]
