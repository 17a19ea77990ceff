from django.urls import path

from caseplans import views

app_name = "caseplans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("approvals/", views.queue, name="queue"),
    path("actions/mine/", views.my_actions, name="mine"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("rule/", views.case_plan_rule, name="rule"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/edit/", views.plan_edit, name="edit"),
    path("<int:pk>/submit/", views.plan_submit, name="submit"),
    path("<int:pk>/decide/", views.plan_decide, name="decide"),
    path("<int:pk>/review/", views.plan_review, name="review"),
]
