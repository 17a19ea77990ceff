"""The archive page's and the dossier PDF's routes, served in the `children` namespace
(carecase/urls.py joins them to children/urls.py, so `children:detail` and
`children:dossier_pdf` name them as before)."""

from django.urls import URLPattern, URLResolver, path

from casefile import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", views.child_detail, name="detail"),
    path("<int:pk>/dossier.pdf", views.dossier_pdf, name="dossier_pdf"),
]
