"""Asking for a district's list of likely duplicates (running it: duplicates/jobs.py) and
reading lists and pairs. District civil-affairs staff who keep archives only; a district
outside the requester's scope is a 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from children.choices import CloseReason
from children.models import Child
from core import permissions, scoping
from core.regions import Level
from core.roles import Role
from duplicates import tasks
from duplicates.models import DuplicateList, DuplicateListQuerySet, DuplicatePair
from org.models import Region, User


def require_merger(user: User) -> None:
    permissions.require_work(user)
    if not permissions.can_merge_children(user):
        raise PermissionDenied(
            _("Likely duplicates are listed and merged by district civil-affairs staff.")
        )


def merge_districts(user: User) -> list[Region]:
    """The districts where `user` lists and merges duplicates."""
    scope = scoping.role_scope(user, Role.CIVIL_AFFAIRS)
    return list(
        Region.objects.visible_to(user)
        .filter(scope.q("code"), level=Level.DISTRICT)
        .order_by("code")
    )


def duplicate_list_request(*, user: User, district_code: str) -> DuplicateList:
    """Queue the list of `district_code` for `user`; it runs after commit."""
    require_merger(user)
    district_code = (district_code or "").strip()
    if not district_code:
        raise ValidationError({"district": [_("Choose the district.")]})
    district = next((d for d in merge_districts(user) if d.code == district_code), None)
    if district is None:
        raise Http404
    with transaction.atomic():
        listing = DuplicateList.objects.create(district=district, requested_by=user)
        listing_id = str(listing.pk)
        transaction.on_commit(lambda: tasks.run_duplicate_list.delay(listing_id))
    return listing


def lists_for(user: User) -> DuplicateListQuerySet:
    return DuplicateList.objects.visible_to(user).select_related("district", "requested_by")


def list_or_404(user: User, pk: Any) -> DuplicateList:
    require_merger(user)
    return scoping.get_visible_or_404(lists_for(user), user, pk=pk)


def pairs_of(user: User, listing: DuplicateList) -> QuerySet[DuplicatePair]:
    """The listing's pairs whose two archives `user` may both see, with the children (and
    their villages) joined: one query per page."""
    visible = Child.objects.visible_to(user).values("pk")
    return (
        listing.pairs.filter(first__in=visible, second__in=visible)
        .exclude(first__close_reason=CloseReason.MERGED)
        .exclude(second__close_reason=CloseReason.MERGED)
        .select_related("first__village", "second__village")
    )
