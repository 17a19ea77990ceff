"""A person's decision that two archives are not the same child (一人一档): recorded when a
registration is saved despite a likely duplicate, and read so that the pair is not shown
again (children.duplicates)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotDuplicate(models.Model):
    """`child` and `other` were shown as likely duplicates and someone said they are two
    children. Stored once per pair, with the lower id first."""

    child = models.ForeignKey("children.Child", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("children.Child", on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))
    context = models.CharField(_("where"), max_length=20)

    class Meta:
        verbose_name = _("not-the-same-child decision")
        verbose_name_plural = _("not-the-same-child decisions")
        constraints = [
            models.UniqueConstraint(fields=["child", "other"], name="not_duplicate_once"),
            models.CheckConstraint(
                condition=models.Q(child__lt=models.F("other")), name="not_duplicate_ordered"
            ),
        ]
        indexes = [models.Index(fields=["other"], name="not_duplicate_other")]

    def __str__(self) -> str:
        return f"{self.child_id} ≠ {self.other_id}"
