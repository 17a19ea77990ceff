"""The texts of reminder notifications: one set of translated templates, filled in Python by
notifications.delivery and in SQL by notifications.delivery_sql."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import NotificationKind


def late_text(days: int) -> str:
    """The body template of a reminder `days` late (the language's plural form)."""
    return ngettext(
        "%(child)s (%(village)s) was due on %(date)s, %(days)d day ago.",
        "%(child)s (%(village)s) was due on %(date)s, %(days)d days ago.",
        days,
    )


def titles() -> dict[str, str]:
    return {
        NotificationKind.CONTACT_DUE_SOON: _("Contact due soon: %(child)s"),
        NotificationKind.CONTACT_OVERDUE: _("Contact overdue: %(child)s"),
        NotificationKind.VISIT_DUE_SOON: _("Home visit due soon: %(child)s"),
        NotificationKind.VISIT_OVERDUE: _("Home visit overdue: %(child)s"),
    }


def inspection_texts() -> tuple[str, str]:
    """The title and body templates of a village's inspection reminder."""
    return (
        _("Village inspection due: %(village)s"),
        _("%(village)s has not been inspected this quarter; the quarter ends on %(date)s."),
    )


def due_text() -> str:
    """The body template of a reminder not yet late."""
    return _("%(child)s (%(village)s) is due on %(date)s.")
