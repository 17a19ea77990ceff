"""Issue 15, items 7 and 11: the timeline reads 下一步 (not pagination's 下一页), the step form
offers only the kinds a person records under labels that do not repeat, the API refuses the
system's kinds, and the report form finds a child without JavaScript."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core import clock as app_clock
from reports import workflow
from reports.forms import StepForm
from reports.models import ReportStep, StepKind
from tests.factories import XINGCHENG, make_child
from tests.reports.conftest import file

pytestmark = pytest.mark.django_db


def test_the_timeline_says_next_step_not_next_page(people, login, child):
    report = file(people["director"], child)
    workflow.report_add_step(
        by=people["supervisor"],
        report=report,
        data=workflow.StepInput(
            kind="stage",
            stage="emergency_response",
            what="已安置",
            next_due_at=app_clock.now() + datetime.timedelta(days=2),
        ),
    )
    html = login(people["supervisor"]).get(reverse("reports:detail", args=[report.pk]))
    timeline = html.content.decode().split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "下一步: 评估" in timeline
    assert "下一页" not in timeline


def test_pagination_keeps_its_own_next():
    with translation.override("zh-hans"):
        assert translation.gettext("Next") == "下一页"
        assert translation.pgettext("report step", "Next") == "下一步"


def test_the_step_form_offers_only_what_a_person_records():
    kinds = dict(StepForm(steps=ReportStep.objects.none()).fields["kind"].choices)
    for system in (StepKind.REPORT, StepKind.LINK, StepKind.SHARE, StepKind.UNSHARE):
        assert system not in kinds
    assert {StepKind.STAGE, StepKind.PROGRESS, StepKind.ACKNOWLEDGE} <= set(kinds)


def test_the_step_form_labels_do_not_repeat(people, login, child):
    report = file(people["director"], child)
    html = login(people["supervisor"]).get(reverse("reports:detail", args=[report.pk]))
    form = html.content.decode().split("Record the step", 1)[0].rsplit("<form", 1)[-1]
    page = html.content.decode()
    labels = re.findall(r'<label[^>]*for="id_(?:kind|stage)"[^>]*>([^<*]+)', page)
    selected = re.search(r'<option value="stage" selected>([^<]+)<', page)
    assert selected is not None
    assert len({label.strip() for label in labels} | {selected.group(1)}) == 3, (labels, selected)
    for system in ("已关联儿童档案", "已共享", "已撤销共享"):
        assert f">{system}<" not in page.split('name="kind"', 1)[1].split("</select>", 1)[0]
    assert form  # the step form is on the page


def test_a_person_cannot_record_a_system_step(people, child):
    report = file(people["director"], child)
    for kind in (StepKind.LINK, StepKind.SHARE, StepKind.UNSHARE, StepKind.REPORT):
        with pytest.raises(ValidationError) as refused:
            workflow.report_add_step(
                by=people["supervisor"],
                report=report,
                data=workflow.StepInput(kind=kind, what="伪造"),
            )
        assert "kind" in refused.value.message_dict
    api = APIClient()
    api.force_authenticate(people["supervisor"])
    response = api.post(
        f"/api/v1/reports/{report.pk}/steps/", {"kind": "share", "what": "伪造"}, format="json"
    )
    assert response.status_code == 400 and "kind" in response.json()
    assert not ReportStep.objects.filter(report=report, kind=StepKind.SHARE).exists()


def test_the_report_form_finds_a_child_without_javascript(people, login):
    director = people["director"]
    mine = make_child(director, name="王小明")
    theirs = make_child(people["neighbour"], XINGCHENG, name="王小红")
    html = login(director).get(reverse("reports:create"), {"q": "王"}).content.decode()
    noscript = html.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert 'method="get"' in noscript
    results = noscript.split('data-testid="child-search-results"', 1)[1]
    assert f'href="?child={mine.pk}"' in results
    assert "王小红" not in results and f"?child={theirs.pk}" not in results
    chosen = login(director).get(reverse("reports:create"), {"child": mine.pk})
    assert chosen.status_code == 200 and "王小明" in chosen.content.decode()
