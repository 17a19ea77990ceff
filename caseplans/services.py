"""Writing case plans: saving a draft (or a returned plan), submitting it, the approver's
decision, an action marked done, and a review. Each in one transaction; a retried save or
review with the same client_uuid returns the first and writes nothing.

Errors are keyed `needs.<domain>`, `goals.<n>`, `actions.<n>.<field>` (1-based), `review_on`,
`comment`, `progress.<n>`, `outcome`: the page's fields are the same names with "_" for ".",
and the API answers them as they are."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from caseplans import rules
from caseplans.models import (
    EDITABLE_STATUSES,
    CasePlan,
    DecisionKind,
    Domain,
    Goal,
    NeedLevel,
    PlanAction,
    PlanDecision,
    PlanReview,
    PlanStatus,
    Progress,
    ReviewOutcome,
)
from children.choices import Status
from children.models import Child
from core import clock, permissions
from core.workitems import workitem_done
from notifications.models import NotificationKind
from notifications.services import notify
from org.models import User
from providers.models import ServiceProvider
from reports.models import MandatoryReport, Stage, StepKind
from reports.workflow import StepInput, report_add_step

TEXT_MAX = 300
NOTE_MAX = 500
MAX_GOALS = 10
MAX_ACTIONS = 20


@dataclass(frozen=True)
class GoalInput:
    domain: str
    text: str


@dataclass(frozen=True)
class ActionInput:
    what: str
    due_on: datetime.date | None
    goal: int | None = None  # the goal's number (1-based), or none
    provider_id: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class ProgressInput:
    goal_id: int
    progress: str
    note: str = ""


def _text(errors: dict[str, list[str]], key: str, value: str, *, required: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[key] = [required]
    elif len(value) > TEXT_MAX:
        errors[key] = [_("At most %(max)d characters.") % {"max": TEXT_MAX}]
    return value


def _clean_needs(
    errors: dict[str, list[str]], needs: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for code in Domain.values:
        need = needs.get(code) or {}
        level = need.get("level") or NeedLevel.NONE
        note = (need.get("note") or "").strip()
        key = f"needs.{code}"
        if level not in NeedLevel.values:
            errors[key] = [_("Choose the level of need.")]
        elif level != NeedLevel.NONE and not note:
            errors[key] = [_("Say what the need is.")]
        elif len(note) > TEXT_MAX:
            errors[key] = [_("At most %(max)d characters.") % {"max": TEXT_MAX}]
        cleaned[code] = {"level": level, "note": note}
    unknown = set(needs) - set(Domain.values)
    if unknown:
        errors["needs"] = [_("Unknown domain: %(names)s") % {"names": ", ".join(sorted(unknown))}]
    if not errors and all(n["level"] == NeedLevel.NONE for n in cleaned.values()):
        errors["needs"] = [_("Assess at least one need.")]
    return cleaned


def _validate(
    *,
    child: Child,
    needs: Mapping[str, Mapping[str, str]],
    goals: Sequence[GoalInput],
    actions: Sequence[ActionInput],
    review_on: datetime.date | None,
    today: datetime.date,
) -> tuple[dict[str, dict[str, str]], list[GoalInput], list[ActionInput], datetime.date]:
    errors: dict[str, list[str]] = {}
    cleaned_needs = _clean_needs(errors, needs)
    if not goals:
        errors["goals"] = [_("Set at least one goal.")]
    if len(goals) > MAX_GOALS:
        errors["goals"] = [_("At most %(max)d goals.") % {"max": MAX_GOALS}]
    cleaned_goals = []
    for n, goal in enumerate(goals, 1):
        text = _text(errors, f"goals.{n}", goal.text, required=_("Describe the goal."))
        if goal.domain not in Domain.values:
            errors[f"goals.{n}.domain"] = [_("Choose the domain.")]
        cleaned_goals.append(GoalInput(domain=goal.domain, text=text))
    if not actions:
        errors["actions"] = [_("Plan at least one action.")]
    if len(actions) > MAX_ACTIONS:
        errors["actions"] = [_("At most %(max)d actions.") % {"max": MAX_ACTIONS}]
    provider_ids = {a.provider_id for a in actions if a.provider_id}
    providers = set(
        ServiceProvider.objects.filter(
            pk__in=provider_ids,
            active=True,
            district__code__startswith=rules.providers_prefix(child),
        ).values_list("pk", flat=True)
    )
    person_ids = {a.person_id for a in actions if a.person_id}
    people = {u.pk: u for u in User.objects.filter(pk__in=person_ids, is_active=True)}
    cleaned_actions = []
    for n, action in enumerate(actions, 1):
        key = f"actions.{n}"
        what = _text(errors, f"{key}.what", action.what, required=_("Describe the action."))
        if action.due_on is None:
            errors[f"{key}.due_on"] = [_("Give the date it is due.")]
        elif action.due_on < today:
            errors[f"{key}.due_on"] = [_("This date is in the past.")]
        if action.goal is not None and not 1 <= action.goal <= len(goals):
            errors[f"{key}.goal"] = [_("Choose one of the plan's goals.")]
        if action.provider_id and action.person_id:
            errors[f"{key}.who"] = [_("Choose a service provider or a person, not both.")]
        elif action.provider_id and action.provider_id not in providers:
            errors[f"{key}.who"] = [_("Choose an active service provider of the district.")]
        elif action.person_id and (
            action.person_id not in people or not rules.may_act_for(people[action.person_id], child)
        ):
            errors[f"{key}.who"] = [_("Choose a person who serves the child's area.")]
        cleaned_actions.append(
            ActionInput(
                what=what,
                due_on=action.due_on,
                goal=action.goal,
                provider_id=action.provider_id,
                person_id=action.person_id,
            )
        )
    due = review_on or rules.next_review(child.region_code, today)
    if due <= today:
        errors["review_on"] = [_("The review is after today.")]
    if errors:
        raise ValidationError(errors)
    return cleaned_needs, cleaned_goals, cleaned_actions, due


def _write_parts(
    plan: CasePlan, goals: Sequence[GoalInput], actions: Sequence[ActionInput], today: datetime.date
) -> None:
    """Replace the plan's goals and open actions (actions done stay, with their goal gone)."""
    plan.actions.filter(done=False).delete()
    plan.goals.all().delete()
    saved = Goal.objects.bulk_create(
        [Goal(plan=plan, number=n, domain=g.domain, text=g.text) for n, g in enumerate(goals, 1)]
    )
    PlanAction.objects.bulk_create(
        [
            PlanAction(
                plan=plan,
                goal=saved[a.goal - 1] if a.goal else None,
                what=a.what,
                provider_id=a.provider_id,
                person_id=a.person_id,
                due_on=a.due_on or today,
                created_on=today,
            )
            for a in actions
        ]
    )


def plan_save(
    *,
    by: User,
    child: Child,
    needs: Mapping[str, Mapping[str, str]],
    goals: Sequence[GoalInput],
    actions: Sequence[ActionInput],
    summary: str = "",
    review_on: datetime.date | None = None,
    plan: CasePlan | None = None,
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[CasePlan, bool]:
    """Save a new plan for `child` (a draft) or change `plan` (a draft or a returned plan,
    which stays as it is until submitted). Returns (plan, written); the same client_uuid again
    returns the first plan. The caller resolved `child` and `plan` through the user's scope."""
    today = today or clock.today()
    if plan is None and client_uuid is not None:
        earlier = CasePlan.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:
            return earlier, False
    permissions.require_work(by)
    if not rules.may_write(by, child):
        raise PermissionDenied(_("Case plans are written by the director of the child's village."))
    if plan is not None and plan.status not in EDITABLE_STATUSES:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("Only a draft or a returned plan can be changed.")]}
        )
    if plan is None and child.status != Status.ACTIVE:
        raise ValidationError({NON_FIELD_ERRORS: [_("This archive is closed.")]})
    summary = (summary or "").strip()
    if len(summary) > NOTE_MAX:
        raise ValidationError({"summary": [_("At most %(max)d characters.") % {"max": NOTE_MAX}]})
    cleaned_needs, cleaned_goals, cleaned_actions, due = _validate(
        child=child, needs=needs, goals=goals, actions=actions, review_on=review_on, today=today
    )
    try:
        with transaction.atomic():
            if plan is None:
                Child.objects.select_for_update().filter(pk=child.pk).first()
                if CasePlan.objects.open().filter(child=child).exists():
                    raise ValidationError(
                        {NON_FIELD_ERRORS: [_("This child already has a plan being worked on.")]}
                    )
                report = rules.open_report(child)
                plan = CasePlan(
                    child=child,
                    report=report,
                    created_by=by,
                    review_on=due,
                    client_uuid=client_uuid or uuid.uuid4(),
                )
            else:
                plan = CasePlan.objects.select_for_update().get(pk=plan.pk)
                if plan.status not in EDITABLE_STATUSES:
                    raise ValidationError(
                        {NON_FIELD_ERRORS: [_("Only a draft or a returned plan can be changed.")]}
                    )
            plan.needs, plan.summary, plan.review_on = cleaned_needs, summary, due
            plan.save()
            _write_parts(plan, cleaned_goals, cleaned_actions, today)
    except IntegrityError:
        if client_uuid is None:
            raise
        earlier = CasePlan.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is None:
            raise ValidationError(
                {"client_uuid": [_("This id has already been used for another plan.")]}
            ) from None
        return earlier, False
    return plan, True


def _link(plan: CasePlan) -> str:
    return reverse("caseplans:detail", args=[plan.pk])


def plan_submit(*, by: User, plan: CasePlan, comment: str = "") -> CasePlan:
    """The director asks for approval: the plan awaits it, the request is kept and the
    approvers are told. Submitting a plan already awaiting approval changes nothing."""
    permissions.require_work(by)
    if not rules.may_write(by, plan.child):
        raise PermissionDenied(_("Case plans are written by the director of the child's village."))
    with transaction.atomic():
        locked = CasePlan.objects.select_for_update().select_related("child").get(pk=plan.pk)
        if locked.status == PlanStatus.REQUESTED:
            return locked
        if locked.status not in EDITABLE_STATUSES:
            raise ValidationError({NON_FIELD_ERRORS: [_("This plan cannot be submitted now.")]})
        locked.status = PlanStatus.REQUESTED
        locked.save(update_fields=["status", "updated_at"])
        PlanDecision.objects.create(
            plan=locked,
            kind=DecisionKind.REQUESTED,
            by=by,
            at=clock.now(),
            comment=(comment or "").strip()[:NOTE_MAX],
        )
        recipients = rules.approvers(locked)
        transaction.on_commit(
            lambda: notify(
                recipients=recipients,
                kind=NotificationKind.OTHER,
                title=_("A case plan for %(name)s awaits your approval")
                % {"name": locked.child.name},
                link=_link(locked),
                child_id=locked.child_id,
            )
        )
    return locked


def plan_decide(
    *,
    by: User,
    plan: CasePlan,
    approve: bool,
    comment: str = "",
    today: datetime.date | None = None,
) -> CasePlan:
    """The approver approves the plan (its actions become work items) or returns it with a
    comment (required). A plan no longer awaiting approval is refused."""
    today = today or clock.today()
    permissions.require_work(by)
    if not rules.may_approve(by, plan):
        raise PermissionDenied(
            _(
                "A plan in a mandatory-report case is approved by district civil affairs "
                "or the protection centre."
            )
            if plan.report_id
            else _("Case plans are approved by the supervisor of the child's town.")
        )
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": [_("Say what should change.")]})
    if len(comment) > NOTE_MAX:
        raise ValidationError({"comment": [_("At most %(max)d characters.") % {"max": NOTE_MAX}]})
    with transaction.atomic():
        locked = CasePlan.objects.select_for_update().select_related("child").get(pk=plan.pk)
        if locked.status != PlanStatus.REQUESTED:
            raise ValidationError({NON_FIELD_ERRORS: [_("This plan is not awaiting approval.")]})
        locked.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
        if approve:
            locked.approved_on = today
        locked.save(update_fields=["status", "approved_on", "updated_at"])
        PlanDecision.objects.create(
            plan=locked,
            kind=DecisionKind.APPROVED if approve else DecisionKind.RETURNED,
            by=by,
            at=clock.now(),
            comment=comment,
        )
        if approve and locked.report_id:
            _record_in_case(locked, by)
        recipients = rules.directors(locked.child.region_code)
        title = (
            _("The case plan for %(name)s was approved")
            if approve
            else _("The case plan for %(name)s was returned")
        ) % {"name": locked.child.name}
        transaction.on_commit(
            lambda: notify(
                recipients=recipients,
                kind=NotificationKind.OTHER,
                title=title,
                body=comment,
                link=_link(locked),
                child_id=locked.child_id,
            )
        )
    return locked


def _record_in_case(plan: CasePlan, by: User) -> None:
    """The approved plan as a progress step of its mandatory-report case, while it is open
    (the case's next expected step and its deadline stay as they are)."""
    if plan.report_id is None:
        return
    report = MandatoryReport.objects.filter(pk=plan.report_id).exclude(stage=Stage.CLOSED).first()
    if report is None:
        return
    goals = "；".join(plan.goals.values_list("text", flat=True))
    report_add_step(
        by=by,
        report=report,
        data=StepInput(
            kind=StepKind.PROGRESS,
            what=_("Case plan approved. Goals: %(goals)s") % {"goals": goals},
        ),
    )


def may_complete(user: User, action: PlanAction) -> bool:
    """The named person, or a director of the child's village."""
    return action.person_id == user.pk or rules.may_write(user, action.plan.child)


def action_done(
    *,
    by: User,
    action: PlanAction,
    note: str = "",
    done_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> PlanAction:
    """Mark an approved plan's action done. The caller resolved `action` through the scope."""
    today = today or clock.today()
    permissions.require_work(by)
    if not may_complete(by, action):
        raise PermissionDenied(
            _("This action is marked done by its person or the child's director.")
        )
    if action.plan.status != PlanStatus.APPROVED:
        raise ValidationError({NON_FIELD_ERRORS: [_("Only an approved plan's actions are done.")]})
    return workitem_done(
        item=action,
        by=by,
        done_on=done_on or today,
        earliest=action.plan.approved_on or action.created_on,
        today=today,
        note=note,
    )


def plan_review(
    *,
    by: User,
    plan: CasePlan,
    progress: Sequence[ProgressInput],
    outcome: str,
    note: str = "",
    review_on: datetime.date | None = None,
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[PlanReview, bool]:
    """Review an approved plan: each goal's progress, then continue (the next review date),
    change (the plan back to a draft, to change and submit again) or close it."""
    today = today or clock.today()
    if client_uuid is not None:
        earlier = PlanReview.objects.filter(client_uuid=client_uuid, plan=plan).first()
        if earlier is not None:
            return earlier, False
    permissions.require_work(by)
    if not rules.may_write(by, plan.child):
        raise PermissionDenied(_("Case plans are reviewed by the director of the child's village."))
    errors: dict[str, list[str]] = {}
    goals = {g.pk: g for g in plan.goals.all()}
    given = {p.goal_id: p for p in progress}
    rows = []
    for n, (pk, goal) in enumerate(sorted(goals.items(), key=lambda i: i[1].number), 1):
        item = given.get(pk)
        if item is None or item.progress not in Progress.values:
            errors[f"progress.{n}"] = [_("Say how far this goal has come.")]
            continue
        if len(item.note.strip()) > TEXT_MAX:
            errors[f"progress.{n}"] = [_("At most %(max)d characters.") % {"max": TEXT_MAX}]
        rows.append(
            {"goal": pk, "text": goal.text, "progress": item.progress, "note": item.note.strip()}
        )
    if set(given) - set(goals):
        errors["progress"] = [_("Give the progress of this plan's goals only.")]
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = [_("Choose what becomes of the plan.")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(max)d characters.") % {"max": NOTE_MAX}]
    next_review = None
    if outcome == ReviewOutcome.CONTINUE:
        next_review = review_on or rules.next_review(plan.child.region_code, today)
        if next_review <= today:
            errors["review_on"] = [_("The review is after today.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            locked = CasePlan.objects.select_for_update().get(pk=plan.pk)
            if locked.status != PlanStatus.APPROVED:
                raise ValidationError({NON_FIELD_ERRORS: [_("Only an approved plan is reviewed.")]})
            review = PlanReview.objects.create(
                plan=locked,
                reviewed_on=today,
                by=by,
                progress=rows,
                outcome=outcome,
                note=note,
                client_uuid=client_uuid or uuid.uuid4(),
            )
            if outcome == ReviewOutcome.CONTINUE:
                locked.review_on = next_review or locked.review_on
            elif outcome == ReviewOutcome.CHANGE:
                locked.status = PlanStatus.DRAFT
            else:
                locked.status, locked.closed_on = PlanStatus.CLOSED, today
            locked.save()
    except IntegrityError:
        if client_uuid is None:
            raise
        earlier = PlanReview.objects.filter(client_uuid=client_uuid).first()
        if earlier is None or earlier.plan_id != plan.pk:
            raise ValidationError(
                {"client_uuid": [_("This id has already been used for another review.")]}
            ) from None
        return earlier, False
    plan.refresh_from_db()
    return review, True
