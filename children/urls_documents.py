"""The attachments of a child (included by children/urls.py, app "children"). The dossier PDF
(children:dossier_pdf) is casefile/urls.py."""

from django.urls import path

from children import document_views

urlpatterns = [
    path("<int:pk>/attachments/new/", document_views.attachment_new, name="attachment_new"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        document_views.attachment,
        name="attachment",
    ),
]
