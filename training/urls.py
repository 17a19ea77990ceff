from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("", views.index, name="index"),
    path("courses/", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("materials/<int:pk>/", views.material_download, name="material"),
    path("sessions/new/", views.session_create, name="session_create"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/attendance/", views.attendance_record, name="attendance"),
    path("sessions/<int:pk>/result/", views.result_record, name="result"),
    path("sessions/<int:pk>/import/", views.import_upload, name="import"),
    path("sessions/<int:pk>/import/template/", views.import_template, name="import_template"),
    path("sessions/<int:pk>/import/<int:import_pk>/", views.import_preview, name="import_preview"),
    path(
        "sessions/<int:pk>/import/<int:import_pk>/commit/",
        views.import_commit,
        name="import_commit",
    ),
    path("files/me/", views.my_file, name="my_file"),
    path("files/<int:user_id>/", views.training_file, name="file"),
    path("files/<int:user_id>/export/", views.training_file_export, name="file_export"),
    path("due/", views.due, name="due"),
    path("coverage/", views.coverage, name="coverage"),
    path("setting/", views.policy, name="policy"),
]
