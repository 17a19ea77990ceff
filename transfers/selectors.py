"""Reads of transfers: the lists of one user's two sides (to decide, sent or asked for,
decided), the children of the district closed as moved away with no destination known, and
the search for a receiving village."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from children.choices import CloseReason, Status
from children.models import Child
from core import permissions
from core.regions import Level
from core.roles import Role
from core.scoping import role_scope
from org.models import Region, User
from transfers.models import Transfer, TransferKind, TransferStatus

RECENT = 50
VILLAGE_RESULTS = 20


def _rows(user: User) -> QuerySet[Transfer]:
    return Transfer.objects.visible_to(user).select_related(
        "child", "from_village__parent", "to_village__parent", "requested_by", "decided_by"
    )


def deciding_q(user: User) -> Q:
    """Transfers whose deciding village is in the part of `user`'s scope held as director or
    civil affairs."""
    scope = role_scope(user, Role.CHILD_DIRECTOR, Role.CIVIL_AFFAIRS)
    return (Q(kind=TransferKind.SEND) & scope.q("to_code")) | (
        Q(kind=TransferKind.CLAIM) & scope.q("from_code")
    )


@dataclass
class Lists:
    to_decide: list[Transfer]
    waiting: list[Transfer]
    decided: list[Transfer]
    moved_away: list[Child]


def transfers_for(user: User) -> Lists:
    """The transfers page: those waiting for `user`'s decision, those waiting for the other
    side, the latest decided; and, for district staff, the children closed as moved away with
    no open transfer. A fixed number of queries."""
    rows = _rows(user)
    open_rows = list(rows.filter(status=TransferStatus.REQUESTED))
    deciding = set(
        rows.filter(status=TransferStatus.REQUESTED)
        .filter(deciding_q(user))
        .values_list("pk", flat=True)
    )
    return Lists(
        to_decide=[t for t in open_rows if t.pk in deciding],
        waiting=[t for t in open_rows if t.pk not in deciding],
        decided=list(rows.exclude(status=TransferStatus.REQUESTED)[:RECENT]),
        moved_away=moved_away_children(user),
    )


def moved_away_children(user: User) -> list[Child]:
    """Children closed as moved away in the districts where `user` is civil affairs, with no
    transfer waiting: findable when the new village turns up (newest first)."""
    scope = role_scope(user, Role.CIVIL_AFFAIRS)
    if not scope.prefixes:
        return []
    return list(
        Child.objects.in_scope(scope)
        .filter(status=Status.CLOSED, close_reason=CloseReason.MOVED_AWAY)
        .exclude(Exists(Transfer.objects.open().filter(child=OuterRef("pk"))))
        .select_related("village")
        .order_by("-closed_on", "-pk")[:RECENT]
    )


def open_count(user: User) -> int:
    """Transfers waiting for `user`'s decision."""
    return (
        Transfer.objects.visible_to(user)
        .filter(status=TransferStatus.REQUESTED)
        .filter(deciding_q(user))
        .count()
    )


def villages_matching(text: str, exclude: int | None = None) -> list[Region]:
    """Villages and communities anywhere whose name holds `text` (a transfer may go to any
    district), with their town and district for telling them apart."""
    text = (text or "").strip()
    if not text:
        return []
    villages = Region.objects.filter(level=Level.VILLAGE, name__icontains=text)
    if exclude is not None:
        villages = villages.exclude(pk=exclude)
    return list(villages.select_related("parent__parent").order_by("code")[:VILLAGE_RESULTS])


def claim_villages(user: User) -> QuerySet[Region]:
    """The villages a claim may bring an archive to: where `user` keeps archives."""
    return Region.objects.villages_in(permissions.archive_scope(user)).order_by("code")
