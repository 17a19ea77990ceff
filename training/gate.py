"""The certification gate (R6, and R7 where a district switches it on).

`work_refusal(user)` is the one answer to "may this person create or change work?" as far as
training goes. The foundation reaches it through settings.WORK_GATE as
`core.permissions.work_refusal` and applies it there (in `can_edit_archives`,
`can_add_records` and `require_work`), never copied into views.

Who is gated: a person whose only data roles are child director and/or supervisor. District
civil-affairs staff and protection-centre staff organise the training and are not gated.

MANDATORY REPORTS (R17, issue 5) ARE NEVER BLOCKED: the reporting path must call
`work_refusal(user, mandatory_report=True)` (or simply not call the gate): child safety comes
before paperwork.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from core import clock
from core.regions import district_code
from core.roles import DATA_ROLES, GATED_ROLES
from core.scoping import get_scope
from org.models import Region, User
from training.models import Rotation, TrainingPolicy, TrainingStatus

_CACHE = "_carecase_training_status"


def is_gated_role_set(roles: frozenset[str]) -> bool:
    """Whether a person holding `roles` is subject to the gate: data roles only among the
    child director and supervisor."""
    data_roles = roles & DATA_ROLES
    return bool(data_roles) and data_roles <= GATED_ROLES


def training_status(user: User) -> Any:
    """The user's stored TrainingStatus or None (cached on the user for the request)."""
    if hasattr(user, _CACHE):
        return getattr(user, _CACHE)
    status = TrainingStatus.objects.filter(user_id=user.pk).first()
    setattr(user, _CACHE, status)
    return status


def forget(user: User) -> None:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def _office(user: User) -> str:
    """The civil-affairs office to contact: the district that keeps the person's record."""
    district = None
    if user.managing_district_id:
        district = Region.objects.filter(pk=user.managing_district_id).first()
    if district is None:
        codes = {district_code(p) for p in get_scope(user).prefixes}
        district = Region.objects.filter(code__in=codes).order_by("code").first()
    if district is None:
        return _("your district civil-affairs office")
    return _("the civil-affairs office of %(district)s") % {"district": district.name}


def _lapsed_blocks(user: User) -> bool:
    codes = {district_code(p) for p in get_scope(user).prefixes}
    return TrainingPolicy.objects.filter(district__code__in=codes, lapsed_blocks_work=True).exists()


def work_refusal(
    user: User | AnonymousUser | None,
    today: datetime.date | None = None,
    *,
    mandatory_report: bool = False,
) -> str | None:
    """Why `user` may not create or change work today, naming whom to contact; or None.

    `mandatory_report=True` is the documented exception: a mandatory report is never refused.
    """
    if mandatory_report:
        return None
    if user is None or not user.is_authenticated or not user.is_active:
        return None  # not signed in: the role checks refuse, not the gate
    if not is_gated_role_set(get_scope(user, today).roles):
        return None
    status = training_status(user)
    if status is None or status.certified_on is None:
        return _(
            "You have not yet passed the training assessment for new child directors and "
            "supervisors, so you can read records but not create or change them. Contact "
            "%(office)s to be trained and assessed."
        ) % {"office": _office(user)}
    day = today or clock.today()
    if status.renewal_due_on is not None and day > status.renewal_due_on and _lapsed_blocks(user):
        return _(
            "Your annual training lapsed on %(date)s and your district requires it before you "
            "change records. Contact %(office)s to attend this year's training."
        ) % {"date": status.renewal_due_on.isoformat(), "office": _office(user)}
    return None


def rotation_notice(user: User, today: datetime.date | None = None) -> str | None:
    """A warning (not a refusal) about the user's own annual training, if due or lapsed."""
    if not get_scope(user).has_role(*GATED_ROLES):
        return None
    status = training_status(user)
    if status is None or status.renewal_due_on is None:
        return None
    state = status.rotation_on(today or clock.today())
    if state == Rotation.DUE:
        return _("Your annual training is due by %(date)s. Contact %(office)s.") % {
            "date": status.renewal_due_on.isoformat(),
            "office": _office(user),
        }
    if state == Rotation.LAPSED:
        return _(
            "Your annual training lapsed on %(date)s: every supervisor and child director is "
            "trained once a year. Contact %(office)s."
        ) % {"date": status.renewal_due_on.isoformat(), "office": _office(user)}
    return None
