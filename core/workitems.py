"""Work items: something to do by a due date, marked done once with the date and a note of what
was done (a visit's follow-ups, an inspection's rectifications, a spot-check's rectifications).
The abstract model holds the shared fields; `workitem_done` is the one way to mark an item done,
under a row lock. Who may mark an item done is the owning app's rule, checked before."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from org.models import User

DONE_FIELDS = ["done", "done_on", "done_note", "done_by"]
DONE_NOTE_LENGTH = 300


class WorkItem(models.Model):
    """Abstract: the due date and the done state of a work item. Open items are `done=False`
    (the same as `done_on` empty); the text and the owner are the concrete model's."""

    due_on = models.DateField(gettext_lazy("due on"))
    done = models.BooleanField(gettext_lazy("done"), default=False)
    done_on = models.DateField(gettext_lazy("done on"), null=True, blank=True)
    done_note = models.CharField(
        gettext_lazy("what was done"), max_length=DONE_NOTE_LENGTH, blank=True
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True


Item = TypeVar("Item", bound=WorkItem)


def done_note_clean(note: str) -> str:
    """The note stripped; a ValidationError on `done_note` when it is too long."""
    note = (note or "").strip()
    if len(note) > DONE_NOTE_LENGTH:
        raise ValidationError(
            {"done_note": [_("At most %(max)d characters.") % {"max": DONE_NOTE_LENGTH}]}
        )
    return note


def done_on_check(done_on: datetime.date, earliest: datetime.date, today: datetime.date) -> None:
    """A done date is neither in the future nor before the item was set (`earliest`)."""
    if done_on > today:
        raise ValidationError({"done_on": [_("This date cannot be in the future.")]})
    if done_on < earliest:
        raise ValidationError(
            {"done_on": [_("An item cannot be done before it was set (%(date)s).")
                         % {"date": earliest.isoformat()}]}
        )  # fmt: skip


def workitem_done(
    *,
    item: Item,
    by: User,
    done_on: datetime.date,
    earliest: datetime.date,
    today: datetime.date,
    note: str = "",
) -> Item:
    """Mark `item` done on `done_on` by `by`, with a note of what was done. Marking a done item
    again changes nothing (the first date and note stay). The caller checked who may."""
    if item.done:
        return item
    note = done_note_clean(note)
    done_on_check(done_on, earliest, today)
    with transaction.atomic():
        # Lock the row: of two concurrent clicks, the second finds it done and writes nothing.
        manager: Any = type(item)._default_manager
        if manager.select_for_update().values_list("done", flat=True).get(pk=item.pk):
            item.refresh_from_db(fields=DONE_FIELDS)
            return item
        item.done, item.done_on, item.done_note = True, done_on, note
        item.done_by = by
        item._history_user = by  # type: ignore[attr-defined]  # read by simple_history
        item.save(update_fields=DONE_FIELDS)
    return item
