"""The director's phone keeps her open findings (visits.offline through OFFLINE_TASKS): what,
which child, the village and the due date, nothing else of the list's row; only her
villages'; a closed finding leaves the copy."""

import pytest
from rest_framework.test import APIClient

from core import clock as app_clock
from matching import services
from matching.models import Finding, Outcome, RuleCode
from matching.rules import describe
from tests.factories import XINGCHENG, ZHIDA
from visits.offline import offline_copy

pytestmark = pytest.mark.django_db

TASK_KEYS = {"kind", "id", "title", "text", "child_id", "name", "village_code", "due_on"}


def test_the_copy_holds_her_open_findings_and_only_what_the_phone_shows(people, archive, imported):
    kids, ids = archive
    today = app_clock.today()
    finding = Finding.objects.get(rule=RuleCode.DROPOUT)
    copy = offline_copy(people["director"], today)
    assert [(t.kind, t.id) for t in copy.tasks] == [("finding", finding.pk)]
    task = copy.tasks[0]
    assert (task.child_id, task.name, task.village_code) == (kids["pupil"].pk, "王小红", ZHIDA)
    assert task.title == str(RuleCode.DROPOUT.label) and task.text == describe(finding)
    assert task.due_on == finding.due_on

    client = APIClient()
    client.force_authenticate(people["director"])
    body = client.get("/api/v1/offline/").json()
    assert [set(t) for t in body["tasks"]] == [TASK_KEYS]
    assert body["tasks"][0]["due_on"] == finding.due_on.isoformat()
    sent = str(body["tasks"])
    for secret in (ids["pupil"], finding.row.id_masked):
        assert secret not in sent

    # The neighbouring village's director: the child not registered, by the list's name.
    neighbour = offline_copy(people["neighbour"], today).tasks
    assert [(t.child_id, t.name, t.village_code) for t in neighbour] == [
        (None, "新同学", XINGCHENG)
    ]


def test_a_closed_finding_leaves_the_copy(people, imported):
    finding = Finding.objects.get(rule=RuleCode.DROPOUT)
    services.finding_close(
        by=people["director"], finding=finding, outcome=Outcome.NOT_APPLICABLE, note="已返校"
    )
    assert offline_copy(people["director"], app_clock.today()).tasks == []
    assert offline_copy(people["other_director"], app_clock.today()).tasks == []
