"""The roster export's routes, served in the `children` namespace (carecase/urls.py joins
them to children/urls.py, so `children:export_csv` and `children:export_xlsx` name them as
before)."""

from django.urls import URLPattern, URLResolver, path

from exports import roster_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("export.csv", roster_views.export_csv, name="export_csv"),
    path("export.xlsx", roster_views.export_xlsx, name="export_xlsx"),
]
