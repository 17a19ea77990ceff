"""The printed dossier (一人一档) with its visits and mandatory reports (issue 15, item 9)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casefile import dossier
from children import dossier as archive_dossier
from children.records import record_save
from core import clock as app_clock
from reports import filing
from tests.children.test_documents import pdf_text
from tests.factories import make_child
from tests.visits.conftest import registered, visit_values
from visits import services
from visits.models import Visit


@pytest.fixture
def child(people):
    return registered(make_child(people["director"]), on=datetime.date(2023, 1, 1))


def visit(people, child, kind, day, **extra):
    found, _created = services.visit_record(
        by=people["director"],
        child=child,
        values=visit_values(kind, day, **extra),
        today=app_clock.today(),
        client_uuid=uuid.uuid4(),
    )
    return found


def report(user, child, **extra):
    now = app_clock.now()
    values = {
        "situations": ["domestic_violence"],
        "found_at": now - datetime.timedelta(days=2),
        "child": child,
        "how_found": "邻居告知孩子常被父亲打骂",
        "what_seen": "手臂有淤青",
        "police_station": "静观派出所",
        "police_reported_at": now - datetime.timedelta(days=2),
        "police_receipt": "JG-2026-118",
        **extra,
    }
    filed, _created = filing.report_file(
        by=user, data=filing.ReportInput(**values), client_uuid=uuid.uuid4()
    )
    return filed


@pytest.fixture
def archive(people, child):
    today = app_clock.today()
    visit(people, child, "home_visit", today - datetime.timedelta(days=3),
          problems="祖母腿脚不便，做饭困难", actions="联系村委会送餐")  # fmt: skip
    visit(people, child, "phone", today - datetime.timedelta(days=40),
          problems="电话联系父亲，下月回家")  # fmt: skip
    old = visit(people, child, "in_person", today - datetime.timedelta(days=60),
                problems="三年前的一次走访")  # fmt: skip
    Visit.objects.filter(pk=old.pk).update(visit_date=datetime.date(2023, 6, 1))
    day = today - datetime.timedelta(days=10)
    record_save(by=people["director"], child=child, kind="note",
                values={"noted_on": day, "text": "与班主任沟通学习情况"})  # fmt: skip
    record_save(by=people["director"], child=child, kind="problem",
                values={"found_on": day, "description": "冬衣不足",
                        "solution": "申请临时救助购买冬衣", "solved_on": today})  # fmt: skip
    record_save(by=people["director"], child=child, kind="assistance",
                values={"kind": "education", "status": "granted", "started_on": day,
                        "amount": 800, "provider": "北碚区教育委员会"})  # fmt: skip
    record_save(by=people["director"], child=child, kind="referral",
                values={"organisation": "北碚区妇联", "reason": "家庭暴力",
                        "referred_on": day})  # fmt: skip
    return report(people["supervisor"], child)


def test_the_pdf_prints_visits_records_and_reports(people, login, child, archive, tmp_path):
    response = login(people["civil"]).get(reverse("children:dossier_pdf", args=[child.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for expected in (
        "入户走访",  # the home visit's kind
        "祖母腿脚不便",  # ... and what was found
        "联系村委会送餐",
        "电话联系父亲",  # the phone contact
        "与班主任沟通学习情况",  # work-log note
        "冬衣不足",  # problem
        "申请临时救助购买冬衣",  # ... and its solution
        "北碚区教育委员会",  # assistance
        "北碚区妇联",  # referral
        "强制报告",  # the mandatory reports' section
        "手臂有淤青",  # the domestic-violence report
        "JG-2026-118",
        people["supervisor"].real_name,  # the reporter, shown to the district's staff
    ):
        assert expected in text.replace("\n", ""), expected
    assert "三年前的一次走访" not in text  # older than 24 months: counted, not printed
    assert "另有 1 次更早的走访未打印" in text.replace("\n", "")


def test_the_reporter_is_hidden_from_who_may_not_see_them(people, login, child, archive, tmp_path):
    """The archive page's rule (reports.sharing.may_see_reporter): the director of the village
    sees the report, not who filed it."""
    text = pdf_text(
        login(people["director"]).get(reverse("children:dossier_pdf", args=[child.pk])).content,
        tmp_path,
    )
    assert "手臂有淤青" in text
    assert people["supervisor"].real_name not in text
    rows = dossier.reports(child, people["director"])
    assert [row.reporter for row in rows] == [dossier.HIDDEN]
    assert all(s.who == dossier.HIDDEN for s in rows[0].steps if s.step.kind == "report")
    assert [row.reporter for row in dossier.reports(child, people["civil"])] == [
        people["supervisor"].real_name
    ]
    assert [row.reporter for row in dossier.reports(child, people["supervisor"])] == [
        people["supervisor"].real_name  # the reporter themself
    ]


@pytest.mark.parametrize("who", ["other_civil", "neighbour"])
def test_another_districts_or_villages_user_gets_404(people, login, child, archive, who):
    response = login(people[who]).get(reverse("children:dossier_pdf", args=[child.pk]))
    assert response.status_code == 404


def _queries(child_pk: int, reader) -> int:
    with CaptureQueriesContext(connection) as captured:
        child = archive_dossier.dossier_queryset().get(pk=child_pk)
        dossier.render_html(child, reader)
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_the_records(people, child, archive):
    reader = people["civil"]
    _queries(child.pk, reader)  # the first reads what is cached afterwards (the scope, ...)
    before = _queries(child.pk, reader)
    today = app_clock.today()
    for i in range(6):
        visit(people, child, "phone", today - datetime.timedelta(days=5 + i), problems=f"第{i}次")
    Visit.objects.filter(problems="第5次").update(visit_date=datetime.date(2023, 3, 1))
    for _i in range(3):
        report(people["director"], child, what_seen="又见淤青")
    assert _queries(child.pk, reader) == before
    html = dossier.render_html(archive_dossier.dossier_queryset().get(pk=child.pk), reader)
    assert html.count("又见淤青") == 3 and "第4次" in html and "第5次" not in html
