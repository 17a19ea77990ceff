"""The pages: the director's form on a phone, the supervisor's queue and decision, my work,
the child's page, timeline and dossier, the rule page; outsiders get 404; query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casefile import dossier
from caseplans import services
from caseplans.models import CasePlan, CasePlanRule, PlanAction, PlanStatus
from children.models import Child
from core import clock as app_clock
from core.scoping import get_scope
from stats.figures import village_figures
from tests.caseplans.conftest import DAY, actions, approved, draft, key_child, today
from tests.factories import XINGCHENG, ZHIDA, make_child

pytestmark = pytest.mark.django_db


def form_data(child, **extra):
    data = {
        "client_uuid": "3f1c2a9e-1111-4c1e-9a6e-000000000001",
        "child": str(child.pk),
        "summary": "父母在外务工，常缺课",
        "review_on": "",
        "goals_1": "按时上学",
        "goals_1_domain": "schooling",
        "actions_1_what": "联系班主任",
        "actions_1_goal": "1",
        "actions_1_who": "",
        "actions_1_due_on": (today() + 7 * DAY).isoformat(),
    }
    for code in ("safety", "guardianship", "schooling", "health", "mental", "living", "assistance"):
        data[f"needs_{code}"] = "none"
        data[f"needs_{code}_note"] = ""
    data["needs_schooling"], data["needs_schooling_note"] = "some", "常缺课"
    data.update(extra)
    return data


def test_the_director_writes_a_plan_and_a_retry_saves_it_once(people, login, provider):
    child = key_child(people["director"])
    client = login(people["director"])
    page = client.get(reverse("caseplans:create") + f"?child={child.pk}")
    assert page.status_code == 200 and "北碚区社工站" in page.content.decode()
    url = reverse("caseplans:create") + f"?child={child.pk}"
    data = form_data(child, actions_2_what="心理辅导", actions_2_who=f"p{provider.pk}",
                     actions_2_due_on=(today() + 14 * DAY).isoformat())  # fmt: skip
    response = client.post(url, data)
    plan = CasePlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "caseplans:detail", args=[plan.pk]
    )
    assert client.post(url, data).status_code == 302
    assert CasePlan.objects.count() == 1 and plan.actions.count() == 2
    assert plan.actions.get(provider=provider).what == "心理辅导"


def test_bad_input_is_answered_on_the_field_in_chinese(people, login):
    child = key_child(people["director"])
    client = login(people["director"])
    url = reverse("caseplans:create") + f"?child={child.pk}"
    response = client.post(
        url,
        form_data(
            child,
            goals_1="",
            goals_2="每周到校",
            actions_1_goal="1",
            actions_1_due_on=(today() - DAY).isoformat(),
            needs_health="serious",
        ),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-field-error="actions_1_due_on"' in body and "日期已过" in body
    assert 'data-field-error="needs_health"' in body
    assert not CasePlan.objects.exists()


def test_submit_queue_and_approval_put_the_action_in_my_work(people, login):
    child = key_child(people["director"])
    plan = draft(people["director"], child, actions=actions({"what": "联系班主任了解出勤"}))
    director = login(people["director"])
    assert director.post(reverse("caseplans:submit", args=[plan.pk])).status_code == 302
    assert "联系班主任了解出勤" not in director.get(reverse("visits:my_work")).content.decode()
    supervisor = login(people["supervisor"])
    queue = supervisor.get(reverse("caseplans:queue")).content.decode()
    assert f'data-plan="{plan.pk}"' in queue
    bad = supervisor.post(reverse("caseplans:decide", args=[plan.pk]), {"decision": "return"})
    assert bad.status_code == 400 and 'data-field-error="comment"' in bad.content.decode()
    ok = supervisor.post(reverse("caseplans:decide", args=[plan.pk]), {"decision": "approve"})
    assert ok.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    director = login(people["director"])
    work = director.get(reverse("visits:my_work")).content.decode()
    action = plan.actions.get()
    assert f'data-plan-action="{action.pk}"' in work
    done = director.post(
        reverse("caseplans:action_done", args=[action.pk]), {"done_note": "已联系", "next": "mine"}
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.done and action.done_note == "已联系"


def test_outsiders_get_404(people, login):
    plan = approved(people)
    action = plan.actions.get()
    for who in ("neighbour", "other_supervisor", "other_director", "other_civil", "sysadmin"):
        client = login(people[who])
        for url in (
            reverse("caseplans:detail", args=[plan.pk]),
            reverse("caseplans:edit", args=[plan.pk]),
            reverse("caseplans:review", args=[plan.pk]),
            reverse("caseplans:create") + f"?child={plan.child_id}",
        ):
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(reverse("caseplans:action_done", args=[action.pk])).status_code == 404
        assert client.post(reverse("caseplans:decide", args=[plan.pk])).status_code == 404
        work = client.get(reverse("visits:my_work"))
        assert f'data-plan-action="{action.pk}"' not in work.content.decode()
    queue = login(people["other_supervisor"]).get(reverse("caseplans:queue")).content.decode()
    assert f'data-plan="{plan.pk}"' not in queue


def test_the_review_page(people, login):
    plan = approved(people)
    client = login(people["director"])
    url = reverse("caseplans:review", args=[plan.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"client_uuid": "3f1c2a9e-1111-4c1e-9a6e-000000000002"})
    assert bad.status_code == 400
    response = client.post(
        url,
        {
            "client_uuid": "3f1c2a9e-1111-4c1e-9a6e-000000000002",
            "progress_1": "achieved",
            "outcome": "close",
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED


def test_on_the_childs_page_timeline_and_dossier(people, login):
    plan = approved(people)
    page = login(people["director"]).get(reverse("children:detail", args=[plan.child_id]))
    body = page.content.decode()
    assert (
        'data-testid="case-plans"' in body and reverse("caseplans:detail", args=[plan.pk]) in body
    )
    assert "个案帮扶计划 · 已批准" in body  # the approval on the timeline
    child = Child.objects.get(pk=plan.child_id)
    html = dossier.render_html(child, people["director"])
    assert f'data-dossier-plan="{plan.pk}"' in html and "联系班主任" in html
    needing = key_child(people["director"], name="李明")
    body = login(people["director"]).get(reverse("children:detail", args=[needing.pk]))
    assert 'data-testid="needs-plan"' in body.content.decode()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "page", ["caseplans:list", "caseplans:queue", "caseplans:mine", "visits:my_work"]
)
def test_lists_take_a_fixed_number_of_queries(people, login, page):
    who = "supervisor" if page == "caseplans:queue" else "director"
    client = login(people[who])
    approved(people)
    waiting = draft(people["director"], key_child(people["director"], name="等待"))
    services.plan_submit(by=people["director"], plan=waiting)
    key_child(people["director"], name="无计划")
    _count(client, reverse(page))
    before = _count(client, reverse(page))
    for i in range(3):
        child = key_child(people["director"], name=f"孩{i}")
        plan = draft(people["director"], child, actions=actions({}, {}))
        services.plan_submit(by=people["director"], plan=plan)
        if i:
            plan.refresh_from_db()
            services.plan_decide(by=people["supervisor"], plan=plan, approve=True)
        key_child(people["director"], name=f"童{i}")
    assert _count(client, reverse(page)) == before


def test_the_districts_rule_page(people, login):
    client = login(people["civil"])
    url = reverse("caseplans:rule")
    assert client.get(url).status_code == 200
    assert client.post(url, {"review_months": "13"}).status_code == 400
    assert client.post(url, {"review_months": "6"}).status_code == 302
    assert CasePlanRule.objects.get().review_months == 6
    assert login(people["director"]).get(url).status_code == 404


def test_the_dashboard_counts(people):
    plan = approved(people)
    CasePlan.objects.filter(pk=plan.pk).update(review_on=today() - DAY)
    PlanAction.objects.filter(plan=plan).update(due_on=today() - DAY)
    key_child(people["director"], name="李明")  # needs a plan, has none
    make_child(people["director"], name="普通")
    make_child(people["neighbour"], XINGCHENG, name="邻村")
    now = app_clock.now()
    figures = village_figures(get_scope(people["civil"]), "500109", today(), now)[ZHIDA]
    assert (
        figures["plans_needed"],
        figures["plans_review_overdue"],
        figures["plan_actions_overdue"],
    ) == (1, 1, 1)
