"""The risk level (R15, 003 (六), 004 8): the rule as a table from the policy's conditions
with the reason text; recomputed with each fact that changes it, in the same transaction;
set-based for a district when its rule changes; the history and the early-warning list and
its scoping; the cadence it drives; the API and the child's page."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from children import registration, risk
from children.models import Child
from children.models_risk import RiskChange, RiskLevel, RiskRule, RiskSignal, RiskSource
from children.risk import RiskReason as R
from children.risk_views import risk_rises
from core import calendar
from core import clock as app_clock
from reports import workflow
from reports.models import Stage, StepKind
from tests.factories import (
    BEIBEI,
    CHENGUANG,
    TIANSHENG,
    XINXINGLU,
    child_input,
    make_child,
    make_user,
    region,
)
from tests.reports.conftest import file as file_report
from tests.visits.conftest import log, registered
from visits import selectors as visit_selectors
from visits import services

HIGH, ELEVATED, MODERATE, LOW = (
    RiskLevel.HIGH,
    RiskLevel.ELEVATED,
    RiskLevel.MODERATE,
    RiskLevel.LOW,
)

# (the policy's condition, the reasons it gives, the level by the default rule, the reason
# text in Chinese)
POLICY_TABLE = [
    ("003 (六): no guardian", [R.NO_GUARDIAN], HIGH, "无人监护"),
    ("003 (六): one parent away, the other unable", [R.ONE_AWAY_OTHER_UNABLE], ELEVATED,
     "父母一方外出务工、另一方无监护能力"),
    ("003 (六): entrusted carer lacks capacity or neglects", [R.CARER_UNFIT], ELEVATED,
     "受委托监护人无监护能力或疏于照料"),
    ("003 (六): dropped out", [R.DROPPED_OUT], ELEVATED, "辍学"),
    ("003 (六): disabled", [R.CHILD_DISABLED], ELEVATED, "儿童本人残疾"),
    ("003 (六): seriously ill", [R.CHILD_ILL], ELEVATED, "儿童本人患重病"),
    ("004 8: a parent severely disabled", [R.PARENT_DISABLED], ELEVATED, "父母一方重度残疾"),
    ("004 8: psychological or behavioural concern", [R.PSYCHOLOGICAL], ELEVATED,
     "心理行为问题"),
    ("visit: danger found", [R.DANGER_FOUND], HIGH, "最近一次走访发现儿童处于危险"),
    ("visit: guardianship poor", [R.VISIT_GUARDIANSHIP], ELEVATED, "最近一次走访发现监护状况差"),
    ("visit: mental state", [R.VISIT_MENTAL], ELEVATED, "最近一次走访发现精神状态异常"),
    ("an open mandatory report", [R.OPEN_REPORT], HIGH, "有未结案的强制报告"),
    ("an open finding", [R.OPEN_FINDING], MODERATE, "有未处理的部门比对线索"),
    ("two conditions together", [R.DROPPED_OUT, R.PSYCHOLOGICAL], HIGH, "辍学"),
    ("none", [], LOW, ""),
]  # fmt: skip


@pytest.mark.parametrize(("name", "codes", "level", "text"), POLICY_TABLE)
def test_the_rule_from_the_policy(name, codes, level, text):
    assert risk.level_of(codes)[0] == level, name
    with translation.override("zh-hans"):
        assert [risk.reason_label(c) for c in codes][:1] == ([text] if text else []), name


def test_thresholds_and_weights_of_a_district_rule_change_the_level():
    rule = risk.Rule.of(RiskRule(w_dropped_out=1, moderate_from=1, elevated_from=5, high_from=6))
    assert risk.level_of([R.DROPPED_OUT], rule) == (MODERATE, 1)
    assert risk.level_of([R.DROPPED_OUT, R.DROPPED_OUT], rule) == (MODERATE, 1)  # once a reason
    assert risk.level_of([R.NO_GUARDIAN], rule) == (HIGH, 8)


def test_registration_computes_the_level_with_reasons_from_the_archive(people):
    child = make_child(people["director"], psychological_concern=True)
    child.refresh_from_db()
    assert (child.risk_level, child.risk_score) == (ELEVATED, 4)
    assert [(r["code"], r["source"]) for r in child.risk_reasons] == [
        (R.PSYCHOLOGICAL, RiskSource.ARCHIVE)
    ]
    change = RiskChange.objects.get(child=child)
    assert (change.from_level, change.to_level, change.cause) == (LOW, ELEVATED, "archive")
    with translation.override("zh-hans"):
        assert risk.change_reasons(change) == [
            f"心理行为问题（来自档案，{app_clock.today().isoformat()}）"
        ]


def test_an_archive_change_recomputes_and_keeps_the_history(people):
    child = make_child(people["director"])
    assert child.risk_level == LOW
    data = child_input(guardian_type="none", carer_name="", carer_capacity="")
    data.id_number = child.id_number
    registration.child_save(by=people["director"], data=data, instance=child)
    child.refresh_from_db()
    assert child.risk_level == HIGH
    data = child_input()
    data.id_number = child.id_number
    registration.child_save(by=people["director"], data=data, instance=child)
    child.refresh_from_db()
    assert child.risk_level == LOW
    assert list(child.risk_changes.order_by("pk").values_list("from_level", "to_level")) == [
        (LOW, HIGH),
        (HIGH, LOW),
    ]


def test_a_visit_raises_the_level_in_its_transaction_and_a_correction_lowers_it(people):
    child = registered(make_child(people["director"]))
    today = app_clock.today()
    visit = log(people["director"], child, "home_visit", today, today=today, danger_found=True,
                problems="被打")  # fmt: skip
    assert child.risk_level == HIGH
    [reason] = child.risk_reasons
    assert (reason["code"], reason["record_id"], reason["date"]) == (
        R.DANGER_FOUND,
        visit.pk,
        today.isoformat(),
    )
    services.visit_correct(by=people["director"], visit=visit, values={"danger_found": False})
    child.refresh_from_db()
    assert child.risk_level == LOW
    assert not RiskSignal.objects.filter(child=child).exists()


def test_a_failed_write_leaves_the_level_as_it_was(people):
    child = registered(make_child(people["director"]))
    with pytest.raises(RuntimeError), transaction.atomic():
        log(people["director"], child, "home_visit", app_clock.today(), today=app_clock.today(),
            danger_found=True)  # fmt: skip
        assert Child.objects.get(pk=child.pk).risk_level == HIGH  # inside: already there
        raise RuntimeError
    assert Child.objects.get(pk=child.pk).risk_level == LOW
    assert not RiskChange.objects.filter(child=child).exists()


def test_an_open_report_raises_the_level_and_closing_it_lowers_it(people):
    child = make_child(people["director"])
    report = file_report(people["director"], child)
    child.refresh_from_db()
    assert child.risk_level == HIGH
    assert child.risk_reasons[0]["record_id"] == report.pk
    for stage in (Stage.EMERGENCY_RESPONSE, Stage.ASSESSMENT, Stage.ASSISTANCE_PLAN, Stage.CLOSED):
        workflow.report_add_step(
            by=people["supervisor"],
            report=report,
            data=workflow.StepInput(kind=StepKind.STAGE, stage=stage, what="已处置"),
        )
    child.refresh_from_db()
    assert child.risk_level == LOW


def test_the_hook_for_findings_takes_extra_reasons(people):
    child = make_child(people["director"], psychological_concern=True)
    today = app_clock.today()
    with transaction.atomic():
        changed = risk.risk_signals_set(
            child=child,
            source=RiskSource.FINDING,
            signals=[
                risk.Signal(R.OPEN_FINDING, today - datetime.timedelta(days=3), 7, "教育局: 辍学"),
                risk.Signal(R.OPEN_FINDING, today, 9, "残联: 残疾证"),
            ],
        )
    child.refresh_from_db()
    assert (changed and (child.risk_level, child.risk_score) == (ELEVATED, 6)) or not changed
    finding = [r for r in child.risk_reasons if r["source"] == "finding"]
    assert [(r["record_id"], r["note"]) for r in finding] == [(9, "残联: 残疾证")]  # the latest
    risk.risk_signals_set(child=child, source=RiskSource.FINDING, signals=[])
    assert not RiskSignal.objects.filter(child=child, source="finding").exists()
    assert RiskSignal.objects.filter(child=child, source="archive").count() == 1


def _rule_values(**changes):
    values = {f"w_{code}": getattr(RiskRule(), f"w_{code}") for code in risk.REASONS}
    values.update(moderate_from=2, elevated_from=4, high_from=8, monthly_home_visit_from=4)
    values.update(changes)
    return values


def _district_rule_queries(people, n):
    for i in range(n):
        make_child(people["director"], name=f"孩子{i}", psychological_concern=True)
    with CaptureQueriesContext(connection) as ctx:
        services.risk_rule_save(
            by=people["civil"],
            district=region(BEIBEI),
            values=_rule_values(w_psychological=9 if n < 10 else 3),
        )
    return len(ctx.captured_queries)


def test_a_rule_change_recomputes_the_district_set_based(people):
    child = make_child(people["director"], psychological_concern=True)
    other = make_child(people["other_director"], CHENGUANG, psychological_concern=True)
    services.risk_rule_save(
        by=people["civil"], district=region(BEIBEI), values=_rule_values(w_psychological=9)
    )
    child.refresh_from_db()
    other.refresh_from_db()
    assert (child.risk_level, child.risk_score) == (HIGH, 9)
    assert other.risk_level == ELEVATED  # another district's child: untouched
    change = child.risk_changes.latest("pk")
    assert (change.from_level, change.to_level, change.cause, change.score) == (
        ELEVATED, HIGH, "rule", 9,
    )  # fmt: skip
    assert change.region_code == child.region_code
    assert change.changed_on == app_clock.today()


def test_the_district_recompute_takes_the_same_queries_for_3_or_30_children(people):
    services.risk_rule_save(by=people["civil"], district=region(BEIBEI), values=_rule_values())
    few = _district_rule_queries(people, 3)
    many = _district_rule_queries(people, 30)
    assert few == many
    assert RiskChange.objects.filter(cause="rule").count() == 3 + 33  # every child changed


def test_the_rule_page_validates_and_refuses_other_districts(people, login):
    client = login(people["civil"])
    url = reverse("visits:risk_rule")
    assert client.get(url).status_code == 200
    response = client.post(url, _rule_values(elevated_from=1))
    assert response.status_code == 400
    assert "higher than" in str(response.context["form"].errors) or response.context["form"].errors
    assert not RiskRule.objects.exists()
    response = client.post(url, _rule_values(w_open_finding=5))
    assert response.status_code == 302
    assert RiskRule.objects.get(district__code=BEIBEI).w_open_finding == 5
    assert login(people["director"]).get(url).status_code == 404


def test_the_highest_tier_is_home_visited_monthly(people):
    """Cadence: a child at the district's monthly level is home-visited every month like a
    key child; due dates derive from the frozen day."""
    today = app_clock.today()
    child = registered(make_child(people["director"]))
    log(people["director"], child, "home_visit", today - datetime.timedelta(days=5), today=today)
    last = today - datetime.timedelta(days=5)
    assert child.next_home_visit_due == calendar.add_months(last, 3)
    file_report(people["director"], child)
    child.refresh_from_db()
    assert (child.risk_level, child.is_key) == (HIGH, False)
    assert child.next_home_visit_due == calendar.add_months(last, 1)
    services.risk_rule_save(  # the district decides: no level is visited monthly
        by=people["civil"], district=region(BEIBEI), values=_rule_values(monthly_home_visit_from=0)
    )
    child.refresh_from_db()
    assert child.next_home_visit_due == calendar.add_months(last, 3)


def test_my_work_puts_higher_risk_first_after_the_overdue(people):
    director = people["director"]
    today = app_clock.today()
    plain = registered(make_child(director, name="甲"))
    high = registered(make_child(director, name="乙", guardian_type="none", carer_name="",
                                 carer_capacity=""))  # fmt: skip
    overdue = registered(make_child(director, name="丙"))
    for c in (plain, high):
        log(director, c, "home_visit", today, today=today)
    order = [c.pk for c in visit_selectors.work_children(director, today)]
    assert order == [overdue.pk, high.pk, plain.pk]


def _rise_in(village, people, by):
    child = make_child(by, village, psychological_concern=True)
    return child


def test_the_early_warning_list_is_scoped(people, regions):
    today = app_clock.today()
    mine = make_child(people["director"], psychological_concern=True)
    make_child(people["director"], name="平安")  # no rise
    other_town_director = make_user("child_director", XINXINGLU, username="d2")
    other_town = make_child(other_town_director, XINXINGLU, psychological_concern=True)
    far = make_child(people["other_director"], CHENGUANG, psychological_concern=True)

    def seen(user):
        return {c.child_id for c in risk_rises(user, today)}

    assert seen(people["supervisor"]) == {mine.pk}  # her town only
    assert seen(people["civil"]) == {mine.pk, other_town.pk}  # the district
    assert seen(people["other_civil"]) == {far.pk}
    assert seen(make_user("supervisor", TIANSHENG, username="s2")) == {other_town.pk}
    for outsider in ("director", "sysadmin", "auditadmin", "nobody"):
        assert seen(people[outsider]) == set(), outsider


def test_the_early_warning_page_and_endpoint(people, login, django_assert_max_num_queries):
    for i in range(5):
        make_child(people["director"], name=f"孩子{i}", psychological_concern=True)
    client = login(people["supervisor"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("children:risk_rises"))
    assert page.status_code == 200
    assert len(page.context["rows"]) == 5
    with django_assert_max_num_queries(12):
        api = client.get("/api/v1/risk-rises/")
    assert api.status_code == 200
    body = api.json()
    assert body["count"] == 5
    row = body["results"][0]
    assert (row["from_level"], row["to_level"], row["cause"]) == ("low", "elevated", "archive")
    assert row["reasons"]
    other = login(people["other_supervisor"]).get("/api/v1/risk-rises/").json()
    assert other["count"] == 0


def test_the_child_api_and_page_show_the_level_and_why(people, login):
    child = make_child(people["director"], psychological_concern=True)
    client = login(people["director"])
    body = client.get(f"/api/v1/children/{child.pk}/").json()
    assert body["risk_level"] == "elevated"
    assert [(r["code"], r["origin"]) for r in body["risk_reasons"]] == [
        ("psychological", "archive")
    ]
    page = client.get(reverse("children:detail", args=[child.pk]))
    html = page.content.decode()
    assert 'data-testid="risk-badge"' in html and 'data-testid="risk-change"' in html
    assert page.context["risk_reasons"]
