from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasefileConfig(AppConfig):
    """The child's case file: the archive page with its timeline (reads the archive, visits and
    mandatory reports, so it sits above all three)."""

    name = "casefile"
    verbose_name = _("Child archives")
