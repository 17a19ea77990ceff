"""Notifications raised by events of the apps below (issue 15): visits announces what it
records with a signal, since it may not import notifications; these receivers tell the people
concerned through notify(), in the sender's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.roles import Role
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import User
from org.selectors import staff_serving
from visits.inspections import rectifications_added
from visits.models import Inspection, Rectification


def notify_rectifications(
    *, inspection: Inspection, items: Sequence[Rectification], **_kwargs: Any
) -> None:
    """The village's directors (those serving it today) hear of the items they are to mend."""
    directors = User.objects.filter(
        pk__in=staff_serving(roles=[Role.CHILD_DIRECTOR], codes=[inspection.region_code])
        .exclude(user=inspection.supervisor_id)
        .values("user")
    )
    title = _("Rectification items from the inspection of %(village)s") % {
        "village": inspection.village.name
    }
    body = "\n".join(
        _("%(text)s (due %(date)s)") % {"text": item.text, "date": date_format(item.due_on)}
        for item in items
    )
    notify(
        recipients=directors,
        kind=NotificationKind.RECTIFICATION,
        title=title,
        body=body,
        link=reverse("visits:inspection_detail", args=[inspection.pk]),
    )


def connect() -> None:
    rectifications_added.connect(
        notify_rectifications, sender=Inspection, dispatch_uid="notify-rectifications"
    )
