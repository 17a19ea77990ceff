"""Writing, submitting, deciding and reviewing case plans."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from caseplans import rules, services
from caseplans.models import (
    CasePlan,
    CasePlanRule,
    DecisionKind,
    PlanAction,
    PlanDecision,
    PlanStatus,
    Progress,
    ReviewOutcome,
)
from caseplans.selectors import my_actions
from children.models import Child
from children.models_risk import ChildRisk, RiskLevel
from core.calendar import add_months
from notifications.models import Notification
from org.models import Region
from tests.caseplans.conftest import DAY, actions, approved, draft, goals, key_child, needs, today
from tests.factories import BEIBEI, XINGCHENG, make_child
from tests.reports.conftest import file

pytestmark = pytest.mark.django_db


def test_who_needs_a_plan(people):
    director = people["director"]
    plain = make_child(director, name="普通")
    key = key_child(director, name="重点")
    risky = make_child(director, name="高风险")
    ChildRisk.objects.create(child=risky, level=RiskLevel.ELEVATED, score=4)
    reported = make_child(director, name="报告")
    file(director, reported)
    needing = set(Child.objects.filter(rules.needs_plan_q()).values_list("pk", flat=True))
    assert needing == {key.pk, risky.pk, reported.pk}
    assert not rules.needs_plan(plain) and rules.needs_plan(key)


def test_a_draft_with_the_districts_review_interval(people, django_capture_on_commit_callbacks):
    child = key_child(people["director"])
    plan = draft(people["director"], child)
    assert plan.status == PlanStatus.DRAFT
    assert plan.review_on == add_months(today(), 3)
    assert plan.needs["schooling"] == {"level": "some", "note": "常缺课"}
    assert [g.text for g in plan.goals.all()] == ["按时上学"]
    action = plan.actions.get()
    assert action.goal.number == 1 and action.person is None and action.provider is None
    CasePlanRule.objects.create(district=Region.objects.get(code=BEIBEI), review_months=6)
    other = key_child(people["director"], name="李明")
    assert draft(people["director"], other).review_on == add_months(today(), 6)


def test_bad_input_is_refused_on_the_field_and_nothing_is_saved(people, other_provider):
    child = key_child(people["director"])
    with pytest.raises(ValidationError) as exc:
        services.plan_save(
            by=people["director"],
            child=child,
            needs={"schooling": {"level": "some", "note": ""}},
            goals=goals(""),
            actions=actions(
                {"due_on": today() - DAY},
                {"what": "", "goal": 3},
                {"provider_id": other_provider.pk},
                {"person_id": people["other_director"].pk},
            ),
        )
    errors = exc.value.message_dict
    assert set(errors) >= {
        "needs.schooling",
        "goals.1",
        "actions.1.due_on",
        "actions.2.what",
        "actions.2.goal",
        "actions.3.who",
        "actions.4.who",
    }
    assert errors["goals.1"] == ["请填写目标。"]  # in the catalogue
    assert not CasePlan.objects.exists() and not PlanAction.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.plan_save(by=people["director"], child=child, needs=needs(), goals=[], actions=[])
    assert set(exc.value.message_dict) == {"goals", "actions"}
    with pytest.raises(ValidationError) as exc:
        draft(people["director"], child, needs={})
    assert "needs" in exc.value.message_dict


def test_a_retry_is_stored_once_and_one_open_plan_per_child(people):
    child = key_child(people["director"])
    key = uuid.uuid4()
    first = draft(people["director"], child, client_uuid=key)
    again, written = services.plan_save(
        by=people["director"],
        child=child,
        needs=needs(),
        goals=goals(),
        actions=actions(),
        client_uuid=key,
    )
    assert again.pk == first.pk and not written
    assert CasePlan.objects.count() == 1 and PlanAction.objects.count() == 1
    with pytest.raises(ValidationError):
        draft(people["director"], child)


def test_only_the_villages_director_writes(people):
    child = key_child(people["director"])
    for who in ("neighbour", "supervisor", "civil"):
        with pytest.raises(PermissionDenied):
            draft(people[who], child)


def test_submitted_approved_with_every_decision_kept_and_told(
    people, django_capture_on_commit_callbacks
):
    child = key_child(people["director"])
    plan = draft(people["director"], child)
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_submit(by=people["director"], plan=plan)
    assert Notification.objects.filter(recipient=people["supervisor"]).count() == 1
    assert not Notification.objects.filter(recipient=people["other_supervisor"]).exists()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REQUESTED
    for who in ("other_supervisor", "civil", "director"):
        with pytest.raises(PermissionDenied):
            services.plan_decide(by=people[who], plan=plan, approve=True)
    with pytest.raises(ValidationError) as exc:
        services.plan_decide(by=people["supervisor"], plan=plan, approve=False)
    assert "comment" in exc.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        services.plan_decide(
            by=people["supervisor"], plan=plan, approve=False, comment="目标太笼统"
        )
    assert Notification.objects.filter(recipient=people["director"]).count() == 1
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED
    services.plan_save(
        by=people["director"],
        child=child,
        plan=plan,
        needs=needs(),
        goals=goals("每周到校五天"),
        actions=actions({"what": "每周联系班主任"}),
    )
    services.plan_submit(by=people["director"], plan=plan)
    services.plan_submit(by=people["director"], plan=plan)  # a second click: nothing new
    services.plan_decide(by=people["supervisor"], plan=plan, approve=True)
    plan.refresh_from_db()
    assert (plan.status, plan.approved_on) == (PlanStatus.APPROVED, today())
    kinds = list(PlanDecision.objects.filter(plan=plan).values_list("kind", flat=True))
    assert kinds == [
        DecisionKind.REQUESTED,
        DecisionKind.RETURNED,
        DecisionKind.REQUESTED,
        DecisionKind.APPROVED,
    ]
    with pytest.raises(ValidationError):
        services.plan_decide(by=people["supervisor"], plan=plan, approve=True)
    assert PlanAction.objects.live().get().what == "每周联系班主任"


def test_a_plan_in_a_mandatory_report_case_is_approved_by_the_district(people):
    child = make_child(people["director"])
    report = file(people["director"], child)
    plan = draft(people["director"], child)
    assert plan.report_id == report.pk
    services.plan_submit(by=people["director"], plan=plan)
    plan.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.plan_decide(by=people["supervisor"], plan=plan, approve=True)
    services.plan_decide(by=people["centre"], plan=plan, approve=True)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    step = report.steps.order_by("-pk").first()
    assert step.kind == "progress" and "按时上学" in step.what  # a step of the case
    before = (report.next_step, report.next_due_at)
    report.refresh_from_db()
    assert (report.next_step, report.next_due_at) == before  # its deadlines are the case's


def test_actions_are_done_once_by_their_person_or_the_director(people):
    plan = approved(people, actions=actions({}, {"person_id": people["supervisor"].pk}))
    mine, supervisors = plan.actions.order_by("pk")
    with pytest.raises(PermissionDenied):
        services.action_done(by=people["neighbour"], action=mine)
    services.action_done(by=people["supervisor"], action=supervisors, note="已家访")
    services.action_done(by=people["director"], action=mine, note="已联系")
    again = services.action_done(by=people["director"], action=mine, note="再次")
    assert again.done_note == "已联系"


def test_a_review_continues_changes_or_closes(people):
    plan = approved(people)
    goal = plan.goals.get()
    with pytest.raises(ValidationError) as exc:
        services.plan_review(by=people["director"], plan=plan, progress=[], outcome="bogus")
    assert set(exc.value.message_dict) == {"progress.1", "outcome"}
    progress = [services.ProgressInput(goal_id=goal.pk, progress=Progress.SOME, note="出勤好转")]
    key = uuid.uuid4()
    review, written = services.plan_review(
        by=people["director"],
        plan=plan,
        progress=progress,
        outcome=ReviewOutcome.CONTINUE,
        client_uuid=key,
    )
    again, rewritten = services.plan_review(
        by=people["director"],
        plan=plan,
        progress=progress,
        outcome=ReviewOutcome.CONTINUE,
        client_uuid=key,
    )
    assert written and not rewritten and again.pk == review.pk
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.review_on == add_months(today(), 3)
    assert review.progress == [
        {"goal": goal.pk, "text": "按时上学", "progress": "some", "note": "出勤好转"}
    ]
    services.plan_review(
        by=people["director"], plan=plan, progress=progress, outcome=ReviewOutcome.CHANGE
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not PlanAction.objects.live().exists()  # a plan being changed sets no work
    services.plan_submit(by=people["director"], plan=plan)
    services.plan_decide(by=people["supervisor"], plan=plan, approve=True)
    plan.refresh_from_db()
    services.plan_review(
        by=people["director"],
        plan=plan,
        progress=[services.ProgressInput(goal_id=goal.pk, progress=Progress.ACHIEVED)],
        outcome=ReviewOutcome.CLOSE,
    )
    plan.refresh_from_db()
    assert (plan.status, plan.closed_on) == (PlanStatus.CLOSED, today())
    draft(people["director"], plan.child)  # a new plan once the last is closed


def test_an_action_without_a_person_follows_the_childs_director(people):
    """Neither person nor provider: whoever directs the child's village, read at the time
    (a transfer moves it with no write)."""
    plan = approved(people)
    action = plan.actions.get()
    assert [a.pk for a in my_actions(people["director"])] == [action.pk]
    assert my_actions(people["neighbour"]) == []
    Child.objects.filter(pk=plan.child_id).update(
        village=Region.objects.get(code=XINGCHENG), region_code=XINGCHENG
    )
    assert my_actions(people["director"]) == []
    assert [a.pk for a in my_actions(people["neighbour"])] == [action.pk]
