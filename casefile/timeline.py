"""The child's timeline: the archive's own history, its records, visits, the care activities
the child took part in, and the steps of the mandatory reports about the child that the viewer
may see, newest first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from activities.models import Attendance
from caseplans.models import CasePlan, PlanDecision, PlanReview
from children.choices import Category, ParentRelation
from children.models import Assistance, Attachment, Child, Parent, Problem, Referral, WorkNote
from core import permissions
from core.scoping import get_scope, visible_q
from core.text import mask_phone
from duplicates.models import ChildMerge
from org.models import User
from providers.models import ReferralStatus, ServiceReferral
from reports.models import MandatoryReport, ReportStep, StepKind
from reports.sharing import may_see_reporter
from transfers.models import Transfer, TransferStatus
from visits.models import Visit

HIDDEN_IN_DIFF = {"id_cipher", "carer_id_cipher", "id_hash", "client_token", "key_reasons"}
IDENTIFIER_FIELDS = {"id_masked", "carer_id_cipher", "id_cipher"}
# The family's phone numbers (the carer's on the child, a parent's): shown as the viewer may
# read them (core.permissions.can_view_phone), old and new alike.
PHONE_FIELDS = {"carer_phone", "phone"}


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime.datetime
    kind: str  # registered, changed, parent, assistance, referral, note, problem, attachment
    title: str
    who: str
    detail: str = ""
    changes: tuple[Change, ...] = ()
    link: str = ""


def _display(model: type[models.Model], name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def _who(user: User | None) -> str:
    if user is None:
        return str(_("the system"))
    return user.real_name or user.username


def _history_entries(
    records: list[Any],
    model: type[models.Model],
    first_title: str,
    later_title: str,
    categories: dict[int, list[str]] | None = None,
    *,
    full_phones: bool = False,
) -> list[TimelineEntry]:
    """Entries for a run of historical records of one object, oldest first. `categories`
    maps a historical record to its categories (read in one query by the caller)."""
    entries = []
    previous = None
    for record in records:
        if previous is None:
            entries.append(
                TimelineEntry(
                    record.history_date, "registered", first_title, _who(record.history_user)
                )
            )
        else:
            delta = record.diff_against(previous, excluded_fields=["categories"])
            changes = []
            if categories is not None:
                old_codes = categories.get(previous.history_id, [])
                new_codes = categories.get(record.history_id, [])
                if old_codes != new_codes:
                    changes.append(
                        Change(
                            str(_("Categories")),
                            "、".join(str(Category(c).label) for c in old_codes) or "—",
                            "、".join(str(Category(c).label) for c in new_codes) or "—",
                        )
                    )
            for change in delta.changes:
                if change.field in HIDDEN_IN_DIFF:
                    continue
                field_label = str(getattr(model._meta.get_field(change.field), "verbose_name", ""))
                if change.field in IDENTIFIER_FIELDS:
                    changes.append(Change(field_label, "", str(_("changed"))))
                    continue
                if change.field in PHONE_FIELDS and not full_phones:
                    changes.append(
                        Change(
                            field_label,
                            mask_phone(change.old or "") or "—",
                            mask_phone(change.new or "") or "—",
                        )
                    )
                    continue
                changes.append(
                    Change(
                        field_label,
                        _display(model, change.field, change.old),
                        _display(model, change.field, change.new),
                    )
                )
            if changes or record.history_change_reason:
                entries.append(
                    TimelineEntry(
                        record.history_date,
                        "changed",
                        later_title,
                        _who(record.history_user),
                        detail=record.history_change_reason or "",
                        changes=tuple(changes),
                    )
                )
        previous = record
    return entries


def timeline(
    child: Child,
    limit: int = 300,
    viewer: User | None = None,
    transfers: list[Transfer] | None = None,
) -> list[TimelineEntry]:
    """Everything that happened to the archive, newest first, in a fixed number of queries.
    With a `viewer`, the mandatory reports about the child that the viewer may see join it
    (one more query: each report filed and each later step, kind "report"). `transfers`, the
    child's transfers when the caller has read them (`child_transfers`). Phone numbers in the
    archive's changes are masked unless the viewer may read them in full."""
    full_phones = viewer is not None and permissions.can_view_phone(viewer, child.region_code)

    entries: list[TimelineEntry] = []
    history = list(
        child.history.select_related("history_user").order_by("history_date", "history_id")[:limit]
    )
    category_history = apps.get_model("children", "HistoricalChild_categories")
    categories: dict[int, list[str]] = {}
    for history_id, code in (
        category_history.objects.filter(history__in=[r.history_id for r in history])
        .order_by("categorytag_id")
        .values_list("history_id", "categorytag_id")
    ):
        categories.setdefault(history_id, []).append(code)
    entries += _history_entries(
        history,
        Child,
        str(_("Archive registered")),
        str(_("Archive changed")),
        categories,
        full_phones=full_phones,
    )
    parent_history = list(
        Parent.history.filter(child_id=child.pk)
        .select_related("history_user")
        .order_by("relation", "history_date", "history_id")[:limit]
    )
    by_relation: dict[str, list[Any]] = {}
    for record in parent_history:
        by_relation.setdefault(record.relation, []).append(record)
    for relation, records in by_relation.items():
        label = str(ParentRelation(relation).label)
        for entry in _history_entries(
            records,
            Parent,
            str(_("%(parent)s recorded") % {"parent": label}),
            str(_("%(parent)s changed") % {"parent": label}),
            full_phones=full_phones,
        ):
            entries.append(entry if entry.kind == "changed" else replace(entry, kind="parent"))
        if records[-1].history_type == "-":
            entries.append(
                TimelineEntry(
                    records[-1].history_date,
                    "parent",
                    str(_("%(parent)s removed") % {"parent": label}),
                    _who(records[-1].history_user),
                )
            )

    for assistance in Assistance.objects.filter(child=child).select_related("created_by")[:limit]:
        entries.append(
            TimelineEntry(
                assistance.created_at,
                "assistance",
                f"{assistance.get_kind_display()} · {assistance.get_status_display()}",
                _who(assistance.created_by),
                detail=" ".join(
                    x
                    for x in (
                        str(assistance.started_on),
                        f"¥{assistance.amount}" if assistance.amount is not None else "",
                        assistance.provider,
                        assistance.note,
                    )
                    if x
                ),
            )
        )
    for referral in Referral.objects.filter(child=child).select_related("created_by")[:limit]:
        entries.append(
            TimelineEntry(
                referral.created_at,
                "referral",
                str(_("Referred to %(organisation)s") % {"organisation": referral.organisation}),
                _who(referral.created_by),
                detail=f"{referral.referred_on} {referral.reason} · "
                f"{referral.get_outcome_display()} {referral.outcome_note}".strip(),
            )
        )
    for note in WorkNote.objects.filter(child=child).select_related("created_by")[:limit]:
        entries.append(
            TimelineEntry(
                note.created_at,
                "note",
                str(_("Work-log note of %(date)s") % {"date": note.noted_on}),
                _who(note.created_by),
                detail=note.text,
            )
        )
    for problem in Problem.objects.filter(child=child).select_related("created_by")[:limit]:
        solved = (
            str(_("Solved on %(date)s: %(solution)s"))
            % {"date": problem.solved_on, "solution": problem.solution}
            if problem.solved_on
            else str(_("Not solved yet"))
        )
        entries.append(
            TimelineEntry(
                problem.created_at,
                "problem",
                str(_("Problem found on %(date)s") % {"date": problem.found_on}),
                _who(problem.created_by),
                detail=f"{problem.description} — {solved}",
            )
        )
    for attachment in Attachment.objects.filter(child=child).select_related("created_by")[:limit]:
        entries.append(
            TimelineEntry(
                attachment.created_at,
                "attachment",
                f"{attachment.get_kind_display()}: {attachment.original_name}",
                _who(attachment.created_by),
                detail=attachment.description,
            )
        )

    for visit in Visit.objects.filter(child=child).select_related("author")[:limit]:
        entries.append(
            TimelineEntry(
                visit.created_at,
                "visit",
                f"{visit.get_kind_display()} · {visit.visit_date}",
                _who(visit.author),
                detail=" ".join(x for x in (visit.seen, visit.problems, visit.actions) if x),
                link=reverse("visits:detail", args=[visit.pk]),
            )
        )
    entries += _merge_entries(child)
    entries += _activity_entries(child, viewer, limit)
    entries += _transfer_entries(child_transfers(child) if transfers is None else transfers)
    entries += _plan_entries(child, limit)
    if viewer is not None:
        entries += _report_entries(child, viewer, limit)
        entries += _service_referral_entries(child, viewer, limit)
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _activity_entries(child: Child, viewer: User | None, limit: int) -> list[TimelineEntry]:
    """The care activities the child took part in (one query). The entry says what, when and
    where, never who else took part; it links to the activity only for a viewer whose scope
    holds the organising area (a town's activity is not a village director's page)."""
    scope = get_scope(viewer)
    entries = []
    for attendance in (
        Attendance.objects.filter(child=child)
        .select_related("activity__region", "activity__provider", "activity__created_by")
        .order_by("-activity__held_on", "-pk")[:limit]
    ):
        activity = attendance.activity
        organiser = activity.region.name
        if activity.provider is not None:
            organiser = f"{organiser} · {activity.provider.name}"
        entries.append(
            TimelineEntry(
                activity.created_at,
                "activity",
                f"{activity.get_kind_display()}: {activity.title} · {activity.held_on}",
                _who(activity.created_by),
                detail=f"{activity.place} · {organiser}",
                link=reverse("activities:detail", args=[activity.pk])
                if scope.covers(activity.region_code)
                else "",
            )
        )
    return entries


def _merge_entries(child: Child) -> list[TimelineEntry]:
    """The merges this archive took part in, as survivor or as the merged one (one query)."""
    merges = ChildMerge.objects.filter(models.Q(survivor=child) | models.Q(merged=child))
    entries = []
    for merge in merges.select_related("by", "survivor", "merged"):
        if merge.survivor_id == child.pk:
            title = _("Merged with archive #%(pk)d (%(name)s): its records moved here") % {
                "pk": merge.merged_id,
                "name": merge.merged.name,
            }
            link = ""  # the merged archive's page leads back here
        else:
            title = _("Merged into archive #%(pk)d (%(name)s)") % {
                "pk": merge.survivor_id,
                "name": merge.survivor.name,
            }
            link = reverse("children:detail", args=[merge.survivor_id])
        moved = merge.moved.get("moved", {})
        detail = " · ".join(f"{kind} {n}" for kind, n in sorted(moved.items()) if n)
        entries.append(
            TimelineEntry(
                merge.at,
                "merge",
                str(title),
                _who(merge.by),
                detail=" ".join(x for x in (detail, merge.note) if x),
                link=link,
            )
        )
    return entries


def child_transfers(child: Child) -> list[Transfer]:
    """The child's transfers, for the timeline and the page (one query)."""
    return list(
        Transfer.objects.filter(child=child).select_related(
            "from_village", "to_village", "requested_by", "decided_by"
        )
    )


def _transfer_entries(transfers: list[Transfer]) -> list[TimelineEntry]:
    """Each transfer's request, and its acceptance or refusal."""
    entries = []
    for transfer in transfers:
        places = {"from": transfer.from_village.name, "to": transfer.to_village.name}
        link = reverse("transfers:detail", args=[transfer.pk])
        entries.append(
            TimelineEntry(
                transfer.requested_at,
                "transfer",
                str(_("Transfer from %(from)s to %(to)s requested") % places),
                _who(transfer.requested_by),
                detail=transfer.reason,
                link=link,
            )
        )
        if transfer.decided_at is not None:
            accepted = transfer.status == TransferStatus.ACCEPTED
            title = (
                _("Transferred from %(from)s to %(to)s")
                if accepted
                else _("Transfer from %(from)s to %(to)s declined")
            )
            entries.append(
                TimelineEntry(
                    transfer.decided_at,
                    "transfer",
                    str(title % places),
                    _who(transfer.decided_by),
                    detail=transfer.decline_reason,
                    link=link,
                )
            )
    return entries


def _plan_entries(child: Child, limit: int) -> list[TimelineEntry]:
    """The child's case plans: each written, each request and decision, each review (three
    queries)."""
    title = capfirst(str(CasePlan._meta.verbose_name))
    plans = CasePlan.objects.filter(child=child).select_related("created_by")[:limit]
    entries = [
        TimelineEntry(
            plan.created_at,
            "plan",
            f"{title} · {_('written')}",
            _who(plan.created_by),
            detail=plan.summary,
            link=reverse("caseplans:detail", args=[plan.pk]),
        )
        for plan in plans
    ]
    decisions = PlanDecision.objects.filter(plan__child=child).select_related("by")
    entries.extend(
        TimelineEntry(
            decision.at,
            "plan",
            f"{title} · {decision.get_kind_display()}",
            _who(decision.by),
            detail=decision.comment,
            link=reverse("caseplans:detail", args=[decision.plan_id]),
        )
        for decision in decisions.order_by("at", "pk")[:limit]
    )
    reviews = PlanReview.objects.filter(plan__child=child).select_related("by")
    for review in reviews.order_by("created_at", "pk")[:limit]:
        progress = "；".join(f"{text}: {label}" for text, label, _note in review.progress_rows())
        entries.append(
            TimelineEntry(
                review.created_at,
                "plan",
                f"{title} · {_('reviewed')} · {review.get_outcome_display()}",
                _who(review.by),
                detail=" · ".join(x for x in (progress, review.note) if x),
                link=reverse("caseplans:detail", args=[review.plan_id]),
            )
        )
    return entries


def _report_entries(child: Child, viewer: User, limit: int) -> list[TimelineEntry]:
    """The steps of the reports about `child` that `viewer` may see, in one query: the
    region scope and the explicit grants (as a subquery, so no extra query) both apply."""

    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    condition = visible_q(
        viewer, MandatoryReport, code_field="report__region_code", pk_field="report_id"
    )
    steps = (
        ReportStep.objects.filter(report__child_id=child.pk)
        .filter(condition)
        .select_related("report", "by")
        .order_by("created_at", "pk")[:limit]
    )
    entries = []
    for step in steps:
        report = step.report
        title = " · ".join(
            (
                capfirst(str(MandatoryReport._meta.verbose_name)),
                str(step.get_kind_display()),
                str(step.get_stage_display()),
            )
        )
        detail = step.what
        if step.next_step:
            detail = f"{detail} · {_('next step expected')}: {step.next_step}"
        who = _who(step.by)
        if step.kind == StepKind.REPORT and not may_see_reporter(viewer, report):
            who = "—"  # the reporter's identity is for district staff only (issue 5)
        entries.append(
            TimelineEntry(
                step.done_at,
                "report",
                title,
                who,
                detail=detail,
                link=reverse("reports:detail", args=[report.pk]),
            )
        )
    return entries


def _service_referral_entries(child: Child, viewer: User, limit: int) -> list[TimelineEntry]:
    """The referrals of `child` to service providers that `viewer` sees (one query): the
    referral, the provider's answer and the outcome or withdrawal, each an entry."""
    found = (
        ServiceReferral.objects.visible_to(viewer)
        .filter(child_id=child.pk)
        .select_related("provider", "referred_by", "decided_by", "done_by")
        .order_by("-pk")[:limit]
    )
    entries = []
    for referral in found:
        link = reverse("providers:referral", args=[referral.pk])
        names = {"provider": referral.provider.name, "service": referral.get_service_display()}
        entries.append(
            TimelineEntry(
                referral.created_at,
                "referral",
                str(_("Referred to %(provider)s for %(service)s") % names),
                _who(referral.referred_by),
                detail=f"{referral.reason} · {referral.get_consent_display()}",
                link=link,
            )
        )
        if referral.decided_at is not None:
            accepted = referral.status != ReferralStatus.DECLINED
            title = (
                _("%(provider)s accepted the referral")
                if accepted
                else _("%(provider)s declined the referral")
            ) % names
            entries.append(
                TimelineEntry(
                    referral.decided_at,
                    "referral",
                    str(title),
                    _who(referral.decided_by),
                    detail=referral.decision_note,
                    link=link,
                )
            )
        if referral.closed_at is not None and referral.status != ReferralStatus.DECLINED:
            title = (
                _("Outcome of the referral to %(provider)s: %(outcome)s")
                % {**names, "outcome": referral.get_outcome_display()}
                if referral.status == ReferralStatus.COMPLETED
                else _("Referral to %(provider)s withdrawn") % names
            )
            entries.append(
                TimelineEntry(
                    referral.closed_at,
                    "referral",
                    str(title),
                    _who(referral.done_by),
                    detail=referral.done_note,
                    link=link,
                )
            )
    return entries
