"""What an accepted transfer moves, inside its transaction: the child's village (its due dates
kept), its open findings and pending reminders (to the staff of the new village, town and
district), and the sending village's read access to the visits logged there (an explicit
grant: django-guardian `view_visit` on those visits, for the village's directors)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from children.choices import Status
from children.models import Child
from core.regions import district_code, town_code
from core.roles import Role
from core.workitems import workitem_done
from matching.models import Finding, Outcome
from notifications.models import EscalationLevel, Reminder, SendStatus
from org.models import User
from org.selectors import staff_serving
from transfers.models import Transfer, TransferStatus
from visits import cadence
from visits.models import FollowUp, Visit

VIEW_VISIT = "visits.view_visit"


def _person(user: User) -> str:
    return user.real_name or user.username


def history_note(transfer: Transfer, by: User, day: datetime.date) -> str:
    """What the child's history says: who transferred the child, from where to where, when."""
    return _(
        "Transferred from %(from)s to %(to)s on %(date)s: requested by %(requester)s, "
        "accepted by %(accepter)s."
    ) % {
        "from": transfer.from_village.name,
        "to": transfer.to_village.name,
        "date": day.isoformat(),
        "requester": _person(transfer.requested_by),
        "accepter": _person(by),
    }


def _visits_logged_there(transfer: Transfer) -> list[int]:
    """The child's visits logged while it belonged to the sending village: since the child
    last arrived there by an accepted transfer (all of them if it never did)."""
    arrived = (
        Transfer.objects.filter(
            child_id=transfer.child_id,
            to_code=transfer.from_code,
            status=TransferStatus.ACCEPTED,
        )
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    visits = Visit.objects.filter(child_id=transfer.child_id)
    if arrived is not None:
        visits = visits.filter(created_at__gte=arrived)
    return list(visits.values_list("pk", flat=True))


def grant_visits(transfer: Transfer, day: datetime.date) -> int:
    """The sending village keeps read access to the visits its director logged: each active
    director of the village (and each author of those visits who still directs it) gets a
    view permission on each of them, nothing else. Returns the number of visits shared."""
    visit_ids = _visits_logged_there(transfer)
    if not visit_ids:
        return 0
    directors = User.objects.filter(
        pk__in=staff_serving(
            roles=[Role.CHILD_DIRECTOR], codes=[transfer.from_code], day=day
        ).values("user_id")
    )
    visits = Visit.objects.filter(pk__in=visit_ids)
    for director in directors:
        # A queryset: guardian's bulk assignment (one query per director, none per visit).
        assign_perm(VIEW_VISIT, director, visits)  # type: ignore[arg-type]
    return len(visit_ids)


def _staff_for(level: int, code: str, day: datetime.date) -> list[int]:
    """The user ids answering for reminders of `level` about a child of village `code`."""
    role, region = {
        EscalationLevel.DIRECTOR: (Role.CHILD_DIRECTOR, code),
        EscalationLevel.SUPERVISOR: (Role.SUPERVISOR, town_code(code)),
        EscalationLevel.DISTRICT: (Role.CIVIL_AFFAIRS, district_code(code)),
    }[EscalationLevel(level)]
    return sorted(
        set(staff_serving(roles=[role], codes=[region], day=day).values_list("user_id", flat=True))
    )


def move_reminders(child: Child, code: str, day: datetime.date) -> int:
    """Give each pending reminder about `child` to the staff of its new village `code` at the
    same level (the director's to the new director, a supervisor's to the new town's). The
    dedupe key holds the recipient: the next sweep finds the moved row under the new
    recipient and writes nothing twice, and nothing is left for the old one. A reminder nobody
    answers for there is dropped (the sweep raises what is owed). Returns the rows moved."""
    moved = 0
    staff: dict[int, list[int]] = {}
    pending = list(
        Reminder.objects.select_for_update().filter(child=child, status=SendStatus.PENDING)
    )
    taken = {(r.kind, r.due_date, r.recipient_id, r.level) for r in pending}
    for reminder in pending:
        if reminder.level not in staff:
            staff[reminder.level] = _staff_for(reminder.level, code, day)
        candidates = staff[reminder.level]
        if reminder.recipient_id in candidates:
            continue  # the same person answers there (the same town's supervisor)
        target = next(
            (
                user_id
                for user_id in candidates
                if (reminder.kind, reminder.due_date, user_id, reminder.level) not in taken
            ),
            None,
        )
        if target is None:
            reminder.delete()
            continue
        taken.add((reminder.kind, reminder.due_date, target, reminder.level))
        Reminder.objects.filter(pk=reminder.pk).update(recipient_id=target)
        moved += 1
    return moved


def move_findings(transfer: Transfer, by: User, day: datetime.date) -> int:
    """The child's open findings go to the new village (its director closes them); the
    finding the transfer was started from ("moved out, still active here") is closed by it."""
    if transfer.finding_id is not None:
        finding = Finding.objects.filter(pk=transfer.finding_id, done=False).first()
        if finding is not None:
            closed = workitem_done(
                item=finding,
                by=by,
                done_on=day,
                earliest=min(finding.created_on, day),
                today=day,
                note=_("Transferred to %(village)s.") % {"village": transfer.to_village.name},
            )
            Finding.objects.filter(pk=closed.pk, outcome="").update(
                outcome=Outcome.CONFIRMED,
                outcome_link=reverse("children:detail", args=[transfer.child_id]),
            )
    still_open = Finding.objects.filter(child_id=transfer.child_id, done=False)
    return still_open.update(village=transfer.to_village, region_code=transfer.to_code)


def move_child(transfer: Transfer, child: Child, by: User, day: datetime.date) -> dict[str, int]:
    """Everything the acceptance moves (the caller holds both rows locked, in one
    transaction). Returns counts by kind for the transfer's record."""
    shared = grant_visits(transfer, day)
    reopened = child.status == Status.CLOSED
    child.village = transfer.to_village
    child.region_code = transfer.to_code
    if reopened:  # an archive closed as moved away goes on in the new village
        child.status = Status.ACTIVE
        child.close_reason = ""
        child.closed_on = None
        child.close_note = ""
    child._history_user = by  # type: ignore[attr-defined]
    child._change_reason = history_note(transfer, by, day)  # type: ignore[attr-defined]
    child.save()
    if reopened:
        cadence.recompute(child)  # a closed archive had no due dates
    # The due dates of an open archive are kept: the next contact is due when it was.
    return {
        "visits_shared": shared,
        "follow_ups": FollowUp.objects.filter(visit__child=child, done=False).count(),
        "findings": move_findings(transfer, by, day),
        "reminders": move_reminders(child, transfer.to_code, day),
        "reopened": int(reopened),
    }
