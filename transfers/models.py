"""A transfer (转移: 迁出 / 迁入) of a child's archive from one village to another, in the same
district or another: requested by one side, accepted or declined by the other."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scoping import Scope, ScopedQuerySet


class TransferKind(models.TextChoices):
    # The sending village's director (or district staff) sends the child; the receiving side
    # decides.
    SEND = "send", _("Sent by the village the child leaves")
    # The receiving side asks for an archive closed as "moved away" (found when it registered
    # the same ID number); the sending side decides.
    CLAIM = "claim", _("Asked for by the village the child moved to")


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class TransferQuerySet(ScopedQuerySet["Transfer"]):
    """Both sides see a transfer: the village the child leaves and the village it goes to."""

    scope_field = "from_code"

    def scope_filter(self, scope: Scope) -> Q:
        return scope.q("from_code") | scope.q("to_code")

    def open(self) -> TransferQuerySet:
        return self.filter(status=TransferStatus.REQUESTED)


class Transfer(models.Model):
    child = models.ForeignKey(
        "children.Child",
        verbose_name=_("child"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=TransferKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TransferStatus.choices,
        default=TransferStatus.REQUESTED,
    )
    from_village = models.ForeignKey(
        "org.Region",
        verbose_name=_("from village"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_code = models.CharField(max_length=12, editable=False, db_index=True)
    to_village = models.ForeignKey(
        "org.Region",
        verbose_name=_("to village"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_code = models.CharField(max_length=12, editable=False, db_index=True)
    reason = models.CharField(_("reason for the transfer"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    # The finding ("moved out, still active here", matching) the transfer was started from:
    # closed when the transfer is accepted.
    finding = models.ForeignKey(
        "matching.Finding",
        verbose_name=_("finding"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the acceptance moved (counts by kind), for the page and the timeline.
    moved = models.JSONField(default=dict, blank=True, editable=False)
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status="requested"),
                name="one_open_transfer_per_child",
            ),
        ]
        indexes = [
            models.Index(fields=["to_code", "status"], name="transfer_to_status"),
            models.Index(fields=["from_code", "status"], name="transfer_from_status"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.from_code} → {self.to_code}"

    @property
    def deciding_code(self) -> str:
        """The village whose side decides: the receiving one for a child sent, the sending
        one for an archive asked for."""
        return self.to_code if self.kind == TransferKind.SEND else self.from_code
