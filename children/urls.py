from django.urls import URLPattern, URLResolver, include, path, re_path

from children import household_views, picker, risk_views, views

app_name = "children"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.child_list, name="list"),
    path("new/", views.child_create, name="create"),
    path("age-review/", views.age_review, name="age_review"),
    path("picker/", picker.child_picker, name="picker"),
    path("risk-rises/", risk_views.risk_rises_page, name="risk_rises"),
    # "<int:pk>/" (the archive page, children:detail) and "<int:pk>/dossier.pdf"
    # (children:dossier_pdf) are casefile/urls.py.
    path("<int:pk>/edit/", views.child_edit, name="edit"),
    path("<int:pk>/close/", views.child_close, name="close"),
    path("<int:pk>/reopen/", views.child_reopen, name="reopen"),
    path("<int:pk>/household/", household_views.child_household, name="child_household"),
    path("households/find/", household_views.family_find, name="family_find"),
    path("households/<int:pk>/", household_views.household_detail, name="household"),
    path("households/<int:pk>/edit/", household_views.household_edit, name="household_edit"),
    path(
        "households/<int:pk>/assessment/",
        household_views.assessment_create,
        name="household_assessment",
    ),
    # Roster import and export (children/urls_roster.py); attachments
    # (children/urls_documents.py).
    path("", include("children.urls_roster")),
    path("", include("children.urls_documents")),
    re_path(
        r"^(?P<pk>[0-9]+)/(?P<kind>assistance|referral|note|problem)/new/$",
        views.record_create,
        name="record_create",
    ),
    re_path(
        r"^(?P<pk>[0-9]+)/(?P<kind>assistance|referral|note|problem)/(?P<record_pk>[0-9]+)/edit/$",
        views.record_edit,
        name="record_edit",
    ),
]
