"""Framework messages whose Chinese translation Django or DRF does not ship (or ships under an
older msgid): listed here so `make messages` keeps them in the project catalogue, which takes
precedence over the frameworks' own. Never called."""

from django.utils.translation import ngettext


def _catalogue() -> None:  # pragma: no cover - for makemessages only
    # django.contrib.auth.password_validation.MinimumLengthValidator (Django 5.2's msgid).
    ngettext(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    )
    ngettext(
        "Your password must contain at least %d character.",
        "Your password must contain at least %d characters.",
        8,
    )
