from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # schema registers the token scheme with drf-spectacular; sessions indexes every
        # sign-in by person, whatever path called django.contrib.auth.login.
        from org import schema, sessions  # noqa: F401

        user_logged_in.connect(sessions.on_sign_in, dispatch_uid="org.sessions.on_sign_in")
        user_logged_out.connect(sessions.on_sign_out, dispatch_uid="org.sessions.on_sign_out")
