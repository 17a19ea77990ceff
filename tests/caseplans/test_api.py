"""/api/v1/case-plans/ and /api/v1/case-plan-actions/: create (a retry answered once), 400
with field errors, submit, decide, review, done; scope."""

import uuid

import pytest
from rest_framework.test import APIClient

from caseplans.models import CasePlan, PlanStatus
from tests.caseplans.conftest import DAY, approved, key_child, today

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(child, **extra):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "child": child.pk,
        "needs": {"schooling": {"level": "some", "note": "常缺课"}},
        "goals": [{"domain": "schooling", "text": "按时上学"}],
        "actions": [{"what": "联系班主任", "due_on": (today() + 7 * DAY).isoformat(), "goal": 1}],
    }
    data.update(extra)
    return data


def test_create_submit_decide_and_the_action_is_mine(people):
    child = key_child(people["director"])
    director = api(people["director"])
    data = body(child)
    first = director.post("/api/v1/case-plans/", data, format="json")
    assert first.status_code == 201, first.content
    again = director.post("/api/v1/case-plans/", data, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert CasePlan.objects.count() == 1
    pk = first.json()["id"]
    assert first.json()["needs"]["schooling"] == {"level": "some", "note": "常缺课"}
    assert director.post(f"/api/v1/case-plans/{pk}/submit/", {}).json()["status"] == "requested"
    supervisor = api(people["supervisor"])
    bad = supervisor.post(f"/api/v1/case-plans/{pk}/decide/", {"decision": "return"})
    assert bad.status_code == 400 and "comment" in bad.json()
    ok = supervisor.post(f"/api/v1/case-plans/{pk}/decide/", {"decision": "approve"})
    assert ok.status_code == 200 and ok.json()["status"] == PlanStatus.APPROVED
    assert [d["kind"] for d in ok.json()["decisions"]] == ["requested", "approved"]
    mine = director.get("/api/v1/case-plan-actions/?mine=1&open=1").json()
    action = mine["results"][0] if "results" in mine else mine[0]
    assert action["what"] == "联系班主任"
    done = director.post(f"/api/v1/case-plan-actions/{action['id']}/done/", {"done_note": "已联系"})
    assert done.status_code == 200 and done.json()["done"] is True


def test_bad_input_is_a_400_with_field_errors(people):
    child = key_child(people["director"])
    director = api(people["director"])
    response = director.post(
        "/api/v1/case-plans/",
        body(
            child,
            goals=[{"domain": "schooling", "text": "按时上学"}],
            actions=[{"what": "联系", "due_on": (today() - DAY).isoformat(), "goal": 2}],
        ),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"actions.1.due_on", "actions.1.goal"}
    missing = director.post("/api/v1/case-plans/", {"child": child.pk}, format="json")
    assert missing.status_code == 400 and {"needs", "goals", "actions"} <= set(missing.json())
    assert not CasePlan.objects.exists()


def test_a_review_through_the_api(people):
    plan = approved(people)
    goal = plan.goals.get()
    director = api(people["director"])
    key = str(uuid.uuid4())
    data = {
        "client_uuid": key,
        "progress": [{"goal": goal.pk, "progress": "some"}],
        "outcome": "continue",
    }
    first = director.post(f"/api/v1/case-plans/{plan.pk}/reviews/", data, format="json")
    assert first.status_code == 201, first.content
    again = director.post(f"/api/v1/case-plans/{plan.pk}/reviews/", data, format="json")
    assert again.status_code == 200 and plan.reviews.count() == 1


def test_outsiders_get_404_and_empty_lists(people):
    plan = approved(people)
    action = plan.actions.get()
    for who in ("neighbour", "other_supervisor", "other_civil", "sysadmin"):
        client = api(people[who])
        assert client.get(f"/api/v1/case-plans/{plan.pk}/").status_code == 404
        assert (
            client.post(
                f"/api/v1/case-plans/{plan.pk}/decide/", {"decision": "approve"}
            ).status_code
            == 404
        )
        assert client.post(f"/api/v1/case-plan-actions/{action.pk}/done/", {}).status_code == 404
        listed = client.get("/api/v1/case-plans/").json()
        assert (listed.get("results", listed) if isinstance(listed, dict) else listed) == []
    outsider = api(people["other_director"])
    response = outsider.post("/api/v1/case-plans/", body(plan.child), format="json")
    assert response.status_code == 400 and "child" in response.json()


def test_the_list_takes_a_fixed_number_of_queries(people, django_assert_max_num_queries):
    approved(people)
    client = api(people["director"])
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/case-plans/").status_code == 200
    for i in range(3):
        key_child(people["director"], name=f"孩{i}")
        approved(people, key_child(people["director"], name=f"童{i}"))
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/case-plans/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/case-plan-actions/?open=1").status_code == 200


def test_the_schema_has_the_endpoints(people):
    schema = api(people["director"]).get("/api/schema/").content.decode()
    assert "/api/v1/case-plans/{id}/decide/" in schema
    assert "/api/v1/case-plan-actions/{id}/done/" in schema
