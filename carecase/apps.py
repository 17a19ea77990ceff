from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class CareCaseConfig(AppConfig):
    name = "carecase"
    verbose_name = "CareCase"

    def ready(self) -> None:
        from carecase import api_fields, checks  # noqa: F401 - registers the system checks

        api_fields.install()


class CareCaseAdminConfig(AdminConfig):
    default_site = "carecase.admin_site.CareCaseAdminSite"
