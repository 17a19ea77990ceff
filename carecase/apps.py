from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class CareCaseConfig(AppConfig):
    name = "carecase"
    verbose_name = "CareCase"


class CareCaseAdminConfig(AdminConfig):
    default_site = "carecase.admin_site.CareCaseAdminSite"
