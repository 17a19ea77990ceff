from django.urls import path

from children import roster_views

urlpatterns = [
    path("import/", roster_views.import_upload, name="import"),
    path("import/template.xlsx", roster_views.import_template, name="import_template"),
    path("import/<int:pk>/", roster_views.import_preview, name="import_preview"),
    path("import/<int:pk>/commit/", roster_views.import_commit, name="import_commit"),
]
