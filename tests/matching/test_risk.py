"""Findings feed the risk level (issue 16 §2, "open findings"): written set-based with a
list's import, in its transaction, cleared when the finding is closed, and the child's page
says which finding, from which list, since when."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from children import risk
from children.models import Child
from children.models_risk import RiskChange, RiskSignal, RiskSource
from children.risk import RiskReason
from core import clock as app_clock
from matching import services
from matching.models import Finding, Outcome, RuleCode
from matching.risk import risk_findings_update
from matching.sources import SourceKind
from tests.matching.conftest import PAGE_HEAD, csv_file

pytestmark = pytest.mark.django_db


def signal_of(child):
    return RiskSignal.objects.filter(child=child, code=RiskReason.OPEN_FINDING).first()


def test_an_import_gives_the_matched_child_the_reason_with_its_finding(people, archive, imported):
    kids, _ids = archive
    pupil = Child.objects.get(pk=kids["pupil"].pk)
    finding = Finding.objects.get(rule=RuleCode.DROPOUT, child=pupil)
    signal = signal_of(pupil)
    assert signal.source == RiskSource.FINDING and signal.record_id == finding.pk
    assert signal.dated == app_clock.today()
    assert str(RuleCode.DROPOUT.label) in signal.note
    assert str(SourceKind.EDUCATION_DROPOUT.label) in signal.note
    codes = list(RiskSignal.objects.filter(child=pupil).values_list("code", flat=True))
    assert (pupil.risk_level, pupil.risk_score) == risk.level_of(codes)
    # The set-based snapshot is what the per-child refresh writes: nothing left to change.
    assert not risk.risk_refresh(child=pupil, cause=RiskSource.FINDING)
    assert Child.objects.get(pk=pupil.pk).risk_reasons == pupil.risk_reasons
    assert [r["record_id"] for r in pupil.risk_reasons if r["source"] == "finding"] == [finding.pk]
    change = RiskChange.objects.get(child=pupil, cause=RiskSource.FINDING)
    assert change.to_level == pupil.risk_level and change.reasons == pupil.risk_reasons
    # Children without a finding, and the other district's, have no such reason.
    assert signal_of(kids["disabled"]) is None and signal_of(kids["xiushan"]) is None


def test_closing_the_finding_clears_the_reason(people, archive, imported):
    kids, _ids = archive
    pupil = kids["pupil"]
    raised = Child.objects.select_related("risk").get(pk=pupil.pk)  # read before the close
    finding = Finding.objects.get(rule=RuleCode.DROPOUT, child=pupil)
    services.finding_close(
        by=people["director"], finding=finding, outcome=Outcome.NOT_APPLICABLE, note="已返校"
    )
    assert signal_of(pupil) is None
    after = Child.objects.get(pk=pupil.pk)
    codes = list(RiskSignal.objects.filter(child=pupil).values_list("code", flat=True))
    assert (after.risk_level, after.risk_score) == risk.level_of(codes)
    assert after.risk_score == raised.risk_score - risk.DEFAULT_RULE.weights["open_finding"]
    assert all(r["source"] != "finding" for r in after.risk_reasons)


def test_the_childs_page_says_which_finding_and_list(people, archive, imported, login):
    kids, _ids = archive
    body = login(people["director"]).get(reverse("children:detail", args=[kids["pupil"].pk]))
    text = body.content.decode()
    assert str(risk.REASON_LABELS[RiskReason.OPEN_FINDING]) in text
    assert str(RuleCode.DROPOUT.label) in text
    assert app_clock.today().isoformat() in text


def test_the_update_costs_the_same_queries_for_one_child_or_many(people, archive, beibei):
    kids, ids = archive
    rows = [PAGE_HEAD] + [
        [kids[key].name, ids[key], "", "志达社区", "辍学"]
        for key in ("pupil", "disabled", "poor", "mover", "dead", "parent")
    ]
    record = services.list_dry_run(
        by=people["civil"],
        district=beibei,
        source=SourceKind.EDUCATION_DROPOUT,
        upload=csv_file(rows),
    )
    record, done = services.list_import(by=people["civil"], pk=record.pk)
    assert done and record.finding_count == 6
    with_reason = RiskSignal.objects.filter(code=RiskReason.OPEN_FINDING)
    assert with_reason.count() == 6

    def count(children):
        with CaptureQueriesContext(connection) as ctx:
            risk_findings_update(children=children, region_code=beibei.code)
        return len(ctx.captured_queries)

    one = count(Child.objects.filter(pk=kids["pupil"].pk))
    many = count(Child.objects.filter(region_code__startswith=beibei.prefix))
    assert one == many
    assert with_reason.count() == 6  # rewritten, not doubled


def test_a_list_never_raises_another_districts_child(people, archive, beibei):
    kids, _ids = archive
    risk_findings_update(
        children=Child.objects.filter(pk=kids["xiushan"].pk), region_code=beibei.code
    )
    other = Child.objects.get(pk=kids["xiushan"].pk)
    assert other.risk_reasons == kids["xiushan"].risk_reasons
