"""One child, one record (一人一档): the district's list of likely duplicates, built in the
background like an export (queued -> running -> done | failed, claimed by a conditional
update), its pairs, and the merges of two archives of the same child."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from children.duplicates import REASON_LABELS
from core.scoping import ScopedQuerySet


class ListStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class DuplicateListQuerySet(ScopedQuerySet["DuplicateList"]):
    scope_field = "district__code"


class DuplicateList(models.Model):
    """One run of the district-wide search for likely duplicates."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey(
        "org.Region", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ListStatus.choices, default=ListStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    children_read = models.PositiveIntegerField(_("children read"), default=0)
    pair_count = models.PositiveIntegerField(_("likely duplicates"), default=0)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = DuplicateListQuerySet.as_manager()

    class Meta:
        verbose_name = _("list of likely duplicates")
        verbose_name_plural = _("lists of likely duplicates")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="duplicate_list_progress_0_100"
            ),
        ]
        indexes = [
            models.Index(fields=["district", "-created_at"], name="duplicate_list_district"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.status in (ListStatus.DONE, ListStatus.FAILED)


class DuplicatePair(models.Model):
    """Two archives of a district that may be the same child (`first` has the lower id)."""

    listing = models.ForeignKey(DuplicateList, on_delete=models.CASCADE, related_name="pairs")
    first = models.ForeignKey("children.Child", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("children.Child", on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-score", "first", "second"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "first", "second"], name="duplicate_pair_once"
            ),
        ]
        indexes = [models.Index(fields=["listing", "-score"], name="duplicate_pair_score")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS.get(code, code)) for code in self.reasons]


class ChildMerge(models.Model):
    """Two archives of the same child merged: `merged` is kept as a closed tombstone whose
    page redirects to `survivor`; `choices` says whose value each field kept and `moved`
    how many records of each kind moved."""

    survivor = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="merges_kept"
    )
    merged = models.OneToOneField(
        "children.Child", on_delete=models.PROTECT, related_name="merged_into"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("merged at"))
    choices = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("merge of two archives")
        verbose_name_plural = _("merges of archives")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"
