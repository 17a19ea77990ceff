"""A director writes a case plan for a key child on a 375 px phone and submits it; the town
supervisor approves it from the approval queue on a laptop; the plan's action then appears
in the director's "my work"."""

import datetime

import pytest

from caseplans.models import CasePlan, DecisionKind, PlanStatus
from children.models import Child
from core import clock as app_clock
from notifications.models import Notification
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_child

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_plan_submitted_on_a_phone_approved_and_in_my_work(
    live_server, people, phone, browser, artifacts
):
    child = make_child(people["director"], name="陈小雨")
    Child.objects.filter(pk=child.pk).update(is_key=True)
    due = app_clock.today() + datetime.timedelta(days=10)

    # The director, on her phone: from the child's page to the plan's form.
    sign_in(phone, live_server.url, "director")
    with phone.expect_navigation(wait_until="load"):
        phone.goto(f"{live_server.url}/children/{child.pk}/")
    phone.wait_for_selector("[data-testid=needs-plan]")
    with phone.expect_navigation(wait_until="load"):
        phone.click("[data-action=new-plan]")
    phone.select_option("select[name=needs_schooling]", "some")
    phone.fill("input[name=needs_schooling_note]", "常缺课，成绩下降")
    phone.select_option("select[name=needs_mental]", "serious")
    phone.fill("input[name=needs_mental_note]", "情绪低落")
    phone.fill("input[name=goals_1]", "每周按时到校")
    phone.select_option("select[name=goals_1_domain]", "schooling")
    phone.fill("input[name=actions_1_what]", "联系班主任了解出勤")
    phone.select_option("select[name=actions_1_goal]", "1")
    phone.fill("input[name=actions_1_due_on]", due.isoformat())
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "case-plan-form-375.png"), full_page=True)
    with phone.expect_navigation(wait_until="load"):
        phone.click("main button[type=submit]")
    plan = CasePlan.objects.get(child=child)
    assert plan.status == PlanStatus.DRAFT
    with phone.expect_navigation(wait_until="load"):
        phone.click("[data-action=submit-plan]")
    phone.wait_for_selector("[data-testid=plan-status][data-status=requested]")
    assert fits(phone)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.REQUESTED
    assert Notification.objects.filter(recipient=people["supervisor"]).exists()

    # The town supervisor, on a laptop: the queue, the plan, the approval.
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="zh-CN")
    laptop = context.new_page()
    try:
        sign_in(laptop, live_server.url, "supervisor")
        with laptop.expect_navigation(wait_until="load"):
            laptop.goto(f"{live_server.url}/plans/approvals/")
        with laptop.expect_navigation(wait_until="load"):
            laptop.click(f"[data-open-plan='{plan.pk}']")
        assert "情绪低落" in laptop.inner_text("[data-testid=needs]")
        laptop.check("input[name=decision][value=approve]")
        laptop.fill("textarea[name=comment]", "同意，注意心理疏导")
        with laptop.expect_navigation(wait_until="load"):
            laptop.click("[data-action=decide]")
        laptop.screenshot(path=str(artifacts / "case-plan-queue-1366.png"))
    finally:
        context.close()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert list(plan.decisions.values_list("kind", flat=True)) == [
        DecisionKind.REQUESTED,
        DecisionKind.APPROVED,
    ]

    # Back on the director's phone: the action is in her work.
    with phone.expect_navigation(wait_until="load"):
        phone.goto(f"{live_server.url}/visits/")
    action = plan.actions.get()
    row = phone.wait_for_selector(f"[data-plan-action='{action.pk}']")
    assert "联系班主任了解出勤" in row.inner_text()
    assert fits(phone)
    phone.screenshot(path=str(artifacts / "case-plan-my-work-375.png"), full_page=True)
