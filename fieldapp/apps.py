from django.apps import AppConfig


class FieldAppConfig(AppConfig):
    name = "fieldapp"
    verbose_name = "Field app"
