"""The risk level of the children already in the archive: their reasons (the archive's key
reasons, the latest visit's findings, open mandatory reports) and their level under the
default rule (no district has a risk rule yet), in batches of the children who have a reason.
No history rows: these are the first levels, not changes. The due dates follow at the child's
next change or the district's next cadence or risk rule save."""

import datetime
from collections import defaultdict

from django.db import migrations
from django.db.models import OuterRef, Q, Subquery

WEIGHTS = {
    "no_guardian": 8, "one_away_other_unable": 4, "carer_unfit": 4, "dropped_out": 4,
    "child_disabled": 4, "child_ill": 4, "parent_disabled": 4, "psychological": 4,
    "danger_found": 8, "visit_guardianship": 4, "visit_mental": 4, "open_report": 8,
    "open_finding": 2,
}  # fmt: skip
BATCH = 2000


def _level(score):
    return 4 if score >= 8 else 3 if score >= 4 else 2 if score >= 2 else 1


def backfill(apps, schema_editor):
    Child = apps.get_model("children", "Child")
    Signal = apps.get_model("children", "RiskSignal")
    Visit = apps.get_model("visits", "Visit")
    Report = apps.get_model("reports", "MandatoryReport")
    today = datetime.date.today()  # noqa: DTZ011  # the backfill's date, not a rule's
    by_child = defaultdict(dict)  # child id -> code -> (source, record id, date)
    keyed = Child.objects.exclude(key_reasons=[]).values_list("pk", "key_reasons")
    for child_id, reasons in keyed.iterator():
        for code in reasons:
            by_child[child_id][code] = ("archive", None, today)
    latest = Visit.objects.filter(child=OuterRef("child")).order_by("-visit_date", "-pk")
    flagged = Visit.objects.filter(pk=Subquery(latest.values("pk")[:1])).filter(
        Q(danger_found=True) | Q(guardianship="concern") | Q(mental="concern")
    )
    fields = ("pk", "child_id", "visit_date", "danger_found", "guardianship", "mental")
    for v in flagged.values(*fields).iterator():
        for code, on in (("danger_found", v["danger_found"]),
                         ("visit_guardianship", v["guardianship"] == "concern"),
                         ("visit_mental", v["mental"] == "concern")):  # fmt: skip
            if on:
                by_child[v["child_id"]][code] = ("visit", v["pk"], v["visit_date"])
    newest = (
        Report.objects.filter(child=OuterRef("child")).exclude(stage="closed")
        .order_by("-found_at", "-pk").values("pk")[:1]
    )  # fmt: skip
    for r in Report.objects.filter(pk=Subquery(newest)).values("pk", "child_id", "found_at").iterator():
        by_child[r["child_id"]]["open_report"] = ("report", r["pk"], r["found_at"].date())
    ids = list(by_child)
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        signals, children = [], []
        for child_id in batch:
            reasons = by_child[child_id]
            signals += [Signal(child_id=child_id, source=source, code=code, record_id=record,
                               dated=day) for code, (source, record, day) in reasons.items()]  # fmt: skip
            score = sum(WEIGHTS.get(code, 0) for code in reasons)
            snapshot = [{"code": code, "source": source, "record_id": record,
                         "date": day.isoformat(), "note": ""}
                        for code, (source, record, day) in sorted(reasons.items(), key=lambda kv: (kv[1][0], kv[0]))]  # fmt: skip
            children.append(Child(pk=child_id, risk_score=score, risk_level=_level(score),
                                  risk_reasons=snapshot))  # fmt: skip
        Signal.objects.bulk_create(signals, ignore_conflicts=True)
        Child.objects.bulk_update(children, ["risk_score", "risk_level", "risk_reasons"])


class Migration(migrations.Migration):
    dependencies = [
        ("children", "0009_risk_level"),
        ("visits", "0004_district_rule_base"),
        ("reports", "0008_district_rule_base"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
