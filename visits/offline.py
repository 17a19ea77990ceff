"""What a village director's phone may keep for work without a network (issue 14, R20/PIPL).

Only a child director gets a copy, and only of her own children: the active children of the
villages of her active assignments, the very list of "my work" (`selectors.work_children`),
with the open follow-up items of their visits and the open rectification items of her
villages' inspections. The children come most pressing first, each with its `priority`
(PRIORITIES: a danger visit's open urgent item, another urgent item, overdue, due soon).
The fields a child carries are the serializer's
(`visits.serializers.OfflineChildSerializer`): no resident ID but the masked one, no address
beyond the village. Five queries whatever the number of children, besides the scope's.

Her tasks owned by apps above visits (the open findings of department lists, matching) come
through the setting OFFLINE_TASKS, dotted paths of functions `(user, today) -> list[OfflineTask]`
(the way core.permissions reaches the work gate): visits imports none of them. Each task
carries only what the phone shows: what, which child, the village, the due date.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from children.models import Child, version_subquery
from core import scoping
from core.roles import Role
from org.models import Region, User
from visits import selectors
from visits.models import FollowUp, Rectification

# A child's place in the phone's work list, most pressing first (as on "my work").
PRIORITIES = ("danger", "urgent", "overdue", "due_soon", "later")


def priority(child: Child, items: Sequence[FollowUp]) -> str:
    """The child's priority: `danger` with an open urgent item of a visit that found the child
    in danger, `urgent` with another open urgent item, otherwise by the child's due dates
    (selectors.work_children's bucket)."""
    if any(item.urgent and item.visit.danger_found for item in items):
        return "danger"
    if any(item.urgent for item in items):
        return "urgent"
    bucket: int = getattr(child, "bucket", selectors.LATER)
    return {selectors.OVERDUE: "overdue", selectors.DUE_SOON: "due_soon"}.get(bucket, "later")


@dataclass(frozen=True)
class OfflineTask:
    """A task of the director's that an app above visits owns, as the phone keeps it."""

    kind: str
    id: int
    title: str
    text: str
    child_id: int | None
    name: str
    village_code: str
    due_on: datetime.date


@dataclass
class OfflineCopy:
    """The director's children (annotated `version`, categories prefetched), the open
    follow-up items of each (by child id), and her villages' open rectification items."""

    villages: list[Region]
    children: Sequence[Child]
    follow_ups: dict[int, list[FollowUp]] = field(default_factory=dict)
    rectifications: list[Rectification] = field(default_factory=list)
    tasks: list[OfflineTask] = field(default_factory=list)


def offline_tasks(user: User, today: datetime.date) -> list[OfflineTask]:
    """The tasks of settings.OFFLINE_TASKS, the earliest due first."""
    tasks = [task for path in settings.OFFLINE_TASKS for task in import_string(path)(user, today)]
    return sorted(tasks, key=lambda t: (t.due_on, t.kind, t.id))


def may_keep_offline(user: User) -> bool:
    """Child directors (administrators never: they reach no case data)."""
    return scoping.get_scope(user).has_role(Role.CHILD_DIRECTOR) and not (
        scoping.is_administrator(user)
    )


def offline_copy(user: User, today: datetime.date) -> OfflineCopy:
    """The copy for `user`'s phone; PermissionDenied for anyone but a child director."""
    if not may_keep_offline(user):
        raise PermissionDenied(
            _("Only village child directors can keep children's data on a phone.")
        )
    villages = selectors.work_villages(user)
    mine = selectors.work_children(user, today)
    children = list(mine.annotate(version=version_subquery()).prefetch_related("categories"))
    follow_ups: dict[int, list[FollowUp]] = defaultdict(list)
    items = (
        FollowUp.objects.visible_to(user)
        .filter(done=False, visit__child__in=mine.values("pk"))
        .select_related("visit")
        .order_by("-urgent", "-visit__danger_found", "due_on", "pk")
    )
    for item in items:
        follow_ups[item.visit.child_id].append(item)
    for child in children:
        child.priority = priority(child, follow_ups.get(child.pk, []))  # type: ignore[attr-defined]
    # Most pressing first; within a priority, "my work"'s order (village, due date).
    children.sort(key=lambda c: PRIORITIES.index(c.priority))  # type: ignore[attr-defined]
    rectifications = list(
        Rectification.objects.visible_to(user)
        .filter(done=False, inspection__village__in=villages)
        .select_related("inspection")
        .order_by("due_on", "pk")
    )
    return OfflineCopy(
        villages, children, dict(follow_ups), rectifications, offline_tasks(user, today)
    )
