from django.urls import path

from transfers import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("<int:pk>/", views.transfer_detail, name="detail"),
    path("<int:pk>/accept/", views.transfer_accept, name="accept"),
    path("<int:pk>/decline/", views.transfer_decline, name="decline"),
    path("claim/", views.transfer_claim, name="claim"),
    path("children/<int:child_pk>/", views.transfer_start, name="start"),
]
