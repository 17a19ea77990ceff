from django.urls import path

from providers import views

app_name = "providers"

urlpatterns = [
    path("", views.registry, name="registry"),
    path("new/", views.provider_edit, name="new"),
    path("<int:pk>/", views.provider_detail, name="detail"),
    path("<int:pk>/edit/", views.provider_edit, name="edit"),
    path("refer/<int:child_pk>/", views.refer, name="refer"),
    path("referrals/", views.referrals, name="referrals"),
    path("referrals/inbox/", views.inbox, name="inbox"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path(
        "referrals/<int:pk>/<str:action>/",
        views.referral_act,
        name="referral_act",
    ),
]
