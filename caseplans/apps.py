from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasePlansConfig(AppConfig):
    name = "caseplans"
    verbose_name = _("Case plans")
