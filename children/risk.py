"""The risk level (R15, 003 (六), 004 8): a rule-based level in four tiers from a child's
reasons, each weighted by the district's rule (`RiskRule`, defaults from the policy).

Where the facts come from, and who recomputes (ARCHITECTURE.md, "The risk level"):

* The archive's facts are known here: `child_save` calls `risk_archive_update`.
* A visit's findings, open mandatory reports and open findings are known to layers above the
  archive. Each of them, in its own write's transaction, tells the archive its reasons through
  `risk_signals_set(child=, source=, signals=)` (the hook: a function taking the reasons of
  one source), which replaces that source's `RiskSignal` rows and recomputes the level.
* So the level is always a function of the stored `RiskSignal` rows and the district's rule,
  and a rule change is `risk_apply_rule_to_district`: one INSERT … SELECT into the history and
  one UPDATE of the children, whatever their number.

The caller of `risk_signals_set` moves the child's due dates when the level changed (the
cadence, visits.cadence, reads `risk_level`): the function returns whether it did.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import Case, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from children.models import Child
from children.models_risk import (
    ChildRisk,
    RiskChange,
    RiskLevel,
    RiskRule,
    RiskSignal,
    RiskSource,
)
from children.rules import KEY_REASON_LABELS, KeyReason
from core import clock
from core.regions import district_code, district_prefix, prefix_range


class RiskReason:
    """The reasons of the rule: the archive's (the key-child reasons of R15), a visit's, a
    report's and a finding's. Each has a weight field `w_<code>` on `RiskRule`."""

    NO_GUARDIAN = KeyReason.NO_GUARDIAN
    ONE_AWAY_OTHER_UNABLE = KeyReason.ONE_AWAY_OTHER_UNABLE
    CARER_UNFIT = KeyReason.CARER_UNFIT
    DROPPED_OUT = KeyReason.DROPPED_OUT
    CHILD_DISABLED = KeyReason.CHILD_DISABLED
    CHILD_ILL = KeyReason.CHILD_ILL
    PARENT_DISABLED = KeyReason.PARENT_DISABLED
    PSYCHOLOGICAL = KeyReason.PSYCHOLOGICAL
    DANGER_FOUND = "danger_found"
    VISIT_GUARDIANSHIP = "visit_guardianship"
    VISIT_MENTAL = "visit_mental"
    OPEN_REPORT = "open_report"
    OPEN_FINDING = "open_finding"


REASON_LABELS: dict[str, Promise] = {
    **KEY_REASON_LABELS,
    RiskReason.DANGER_FOUND: _("The latest visit found the child in danger"),
    RiskReason.VISIT_GUARDIANSHIP: _("The latest visit found guardianship poor"),
    RiskReason.VISIT_MENTAL: _("The latest visit found a concern about mental state"),
    RiskReason.OPEN_REPORT: _("An open mandatory report"),
    RiskReason.OPEN_FINDING: _("An open finding from another department's list"),
}
REASONS: tuple[str, ...] = tuple(REASON_LABELS)
THRESHOLDS = ("moderate_from", "elevated_from", "high_from")
MAX_WEIGHT = 20
MAX_THRESHOLD = 100

# The string keys of the levels in the API.
LEVEL_KEYS = {
    RiskLevel.LOW: "low",
    RiskLevel.MODERATE: "moderate",
    RiskLevel.ELEVATED: "elevated",
    RiskLevel.HIGH: "high",
}
LEVEL_KEY_CHOICES = [(key, key) for key in LEVEL_KEYS.values()]


# --- The rule, pure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    weights: Mapping[str, int]
    moderate_from: int = 2
    elevated_from: int = 4
    high_from: int = 8
    monthly_home_visit_from: int = RiskLevel.HIGH

    @classmethod
    def of(cls, rule: RiskRule | None) -> Rule:
        rule = rule or RiskRule()  # the model's defaults are the policy's
        return cls(
            weights={code: getattr(rule, f"w_{code}") for code in REASONS},
            moderate_from=rule.moderate_from,
            elevated_from=rule.elevated_from,
            high_from=rule.high_from,
            monthly_home_visit_from=rule.monthly_home_visit_from,
        )

    def score(self, codes: Iterable[str]) -> int:
        return sum(self.weights.get(code, 0) for code in set(codes))

    def level(self, score: int) -> int:
        if score >= self.high_from:
            return RiskLevel.HIGH
        if score >= self.elevated_from:
            return RiskLevel.ELEVATED
        if score >= self.moderate_from:
            return RiskLevel.MODERATE
        return RiskLevel.LOW


DEFAULT_RULE = Rule.of(None)


def level_of(codes: Iterable[str], rule: Rule = DEFAULT_RULE) -> tuple[int, int]:
    """(level, score) of a child with these reasons."""
    score = rule.score(codes)
    return rule.level(score), score


def rule_for_code(region_code: str) -> Rule:
    return Rule.of(RiskRule.objects.filter(district__code=district_code(region_code)).first())


# --- The rule in SQL ---------------------------------------------------------------------------


def score_expression(rule: Rule) -> Coalesce:
    """A child's score: the sum of its reasons' weights (one correlated subquery)."""
    weight = Case(
        *[When(code=code, then=Value(w)) for code, w in rule.weights.items() if w],
        default=Value(0),
        output_field=models.IntegerField(),
    )
    total = (
        RiskSignal.objects.filter(child=OuterRef("pk"))
        .order_by()
        .values("child")
        .annotate(total=Sum(weight))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=models.IntegerField()), Value(0))


def level_expression(rule: Rule, score: str = "score") -> Case:
    """The level of the score stored in the column `score`."""
    return Case(
        When(Q(**{f"{score}__gte": rule.high_from}), then=Value(int(RiskLevel.HIGH))),
        When(Q(**{f"{score}__gte": rule.elevated_from}), then=Value(int(RiskLevel.ELEVATED))),
        When(Q(**{f"{score}__gte": rule.moderate_from}), then=Value(int(RiskLevel.MODERATE))),
        default=Value(int(RiskLevel.LOW)),
        output_field=models.PositiveSmallIntegerField(),
    )


# --- Writes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """One reason from one record: `code` (a RiskReason), the record's id (a visit, report or
    finding; None for the archive's own facts), its date and an optional note."""

    code: str
    dated: datetime.date
    record_id: int | None = None
    note: str = ""


def _collapse(signals: Iterable[Signal]) -> dict[str, Signal]:
    """One signal per reason: the latest record of it (several open reports: the newest)."""
    by_code: dict[str, Signal] = {}
    for signal in signals:
        kept = by_code.get(signal.code)
        if kept is None or (signal.dated, signal.record_id or 0) > (
            kept.dated,
            kept.record_id or 0,
        ):
            by_code[signal.code] = signal
    return by_code


def reasons_snapshot(rows: Iterable[RiskSignal]) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "source": r.source,
            "record_id": r.record_id,
            "date": r.dated.isoformat(),
            "note": r.note,
        }
        for r in sorted(rows, key=lambda r: (r.source, r.code))
    ]


def risk_signals_set(
    *,
    child: Child,
    source: str,
    signals: Iterable[Signal],
    now: datetime.datetime | None = None,
) -> bool:
    """Replace the reasons `source` gives for `child` with `signals` and recompute its level
    (in the caller's transaction, which holds the child's row lock). A reason still given
    keeps its row (and date) unless its record changed. Records a `RiskChange` and returns
    True when the level changed; the caller then moves the child's due dates.

    The hook for other sources (findings from other departments' lists): call it with
    `source=RiskSource.FINDING` and one `Signal(RiskReason.OPEN_FINDING, …)` per open finding
    whenever a finding is opened or closed."""
    now = now or clock.now()
    wanted = _collapse(signals)
    existing = {s.code: s for s in RiskSignal.objects.filter(child=child)}
    stale = [s.pk for code, s in existing.items() if s.source == source and code not in wanted]
    if stale:
        RiskSignal.objects.filter(pk__in=stale).delete()
    new: list[RiskSignal] = []
    for code, signal in wanted.items():
        row = existing.get(code)
        if row is None:
            new.append(
                RiskSignal(
                    child=child,
                    source=source,
                    code=code,
                    record_id=signal.record_id,
                    dated=signal.dated,
                    note=signal.note[:200],
                )
            )
        elif row.source == source and (row.record_id, row.note) != (signal.record_id, signal.note):
            row.record_id, row.dated, row.note = signal.record_id, signal.dated, signal.note[:200]
            row.save(update_fields=["record_id", "dated", "note"])
    if new:
        RiskSignal.objects.bulk_create(new)
    return risk_refresh(child=child, cause=source, now=now)


def _recomputed(
    *,
    child_id: int,
    region_code: str,
    signals: Sequence[RiskSignal],
    rule: Rule,
    kept: ChildRisk | None,
    cause: str,
    now: datetime.datetime,
) -> tuple[ChildRisk, ChildRisk | None, RiskChange | None]:
    """One child's risk from its signals under `rule`, against its stored row `kept` (None: low,
    no reasons): (the row as it should be, the row to write or None when unchanged, the history
    row or None when the level did not change). The one place both write paths compare."""
    level, score = level_of((r.code for r in signals), rule)
    reasons = reasons_snapshot(signals)
    before = (kept.level, kept.score, kept.reasons) if kept else (RiskLevel.LOW, 0, [])
    row = kept or ChildRisk(child_id=child_id)
    row.level, row.score, row.reasons = level, score, reasons
    if tuple(before) == (level, score, reasons):
        return row, None, None
    change = None
    if before[0] != level:
        change = RiskChange(
            child_id=child_id,
            region_code=region_code,
            from_level=before[0],
            to_level=level,
            score=score,
            cause=cause,
            reasons=reasons,
            changed_at=now,
            changed_on=timezone.localdate(now),
        )
    return row, row, change


def risk_refresh(*, child: Child, cause: str, now: datetime.datetime | None = None) -> bool:
    """Recompute `child`'s level from its stored reasons under its district's rule; store it
    (its ChildRisk row) and its history. Returns whether the level changed."""
    row, write, change = _recomputed(
        child_id=child.pk,
        region_code=child.region_code,
        signals=list(RiskSignal.objects.filter(child=child)),
        rule=rule_for_code(child.region_code),
        kept=ChildRisk.objects.filter(child_id=child.pk).first(),
        cause=cause,
        now=now or clock.now(),
    )
    child.risk = row  # the instance reads its new level
    if write is not None:
        write.save()
    if change is not None:
        change.save()
    return change is not None


def archive_signals(codes: Sequence[str], today: datetime.date) -> list[Signal]:
    """The archive's own reasons: the key-child reasons (children.rules.key_reasons)."""
    return [Signal(code=code, dated=today) for code in codes]


def risk_archive_update(
    *, child: Child, key_reasons: Sequence[str], now: datetime.datetime | None = None
) -> bool:
    """The archive's facts changed (child_save): its reasons, and the level."""
    now = now or clock.now()
    return risk_signals_set(
        child=child,
        source=RiskSource.ARCHIVE,
        signals=archive_signals(key_reasons, timezone.localdate(now)),
        now=now,
    )


def risk_apply_rule_to_district(district: Any, now: datetime.datetime | None = None) -> int:
    """Apply the district's rule to every child of the district, set-based: one UPDATE of the
    scores that change, one INSERT … SELECT of the history rows of the children whose level
    changes, one UPDATE of their levels. Only children with a ChildRisk row can change (the
    others have no reasons: low under any rule). Returns how many children's level changed."""
    now = now or clock.now()
    rule = Rule.of(RiskRule.objects.filter(district=district).first())
    rows = ChildRisk.objects.filter(
        child__region_code__range=prefix_range(district_prefix(district.code))
    )
    # Only the rows whose score changes are written.
    score = score_expression(rule)
    rows.annotate(new_score=score).exclude(score=F("new_score")).update(score=score)
    level = level_expression(rule)
    changing = rows.annotate(new_level=level).exclude(new_level=F("level"))
    history = changing.values_list("pk", "child__region_code", "level", "score").annotate(
        to=level,
        cause=Value(RiskSource.RULE),
        reasons_then=Value("[]"),
        at=Value(now, output_field=models.DateTimeField()),
        on=Value(timezone.localdate(now), output_field=models.DateField()),
    )
    _insert_history(history)
    return rows.exclude(level=level).update(level=level)


HISTORY_COLUMNS = ("child_id", "region_code", "from_level", "score", "to_level", "cause",
                   "reasons", "changed_at", "changed_on")  # fmt: skip


def _insert_history(rows: models.QuerySet[Any]) -> None:
    """INSERT … SELECT of RiskChange rows from `rows` (a values_list in HISTORY_COLUMNS'
    order)."""
    select, params = rows.query.sql_with_params()
    table = RiskChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(HISTORY_COLUMNS)}) {select}", params)


def _level_sql(rule: Rule, score: str) -> tuple[str, list[int]]:
    """`level_expression` in SQL, for the statement below (the same thresholds)."""
    tiers = [
        (rule.high_from, RiskLevel.HIGH),
        (rule.elevated_from, RiskLevel.ELEVATED),
        (rule.moderate_from, RiskLevel.MODERATE),
    ]
    sql = "CASE " + " ".join(f"WHEN {score} >= %s THEN %s" for _ in tiers)
    return f"{sql} ELSE %s END", [*(int(v) for pair in tiers for v in pair), int(RiskLevel.LOW)]


def _store_risk_postgresql(
    children: models.QuerySet[Child], rule: Rule, cause: str, now: datetime.datetime
) -> int:
    """Each child's score, JSON reasons and level from its signals, and the history of the
    levels that change, in one statement: a grouped pass over the signals, the children whose
    risk changes (against their ChildRisk row, or low without one), one upsert of those rows
    (narrow: 150,000 of them in a few seconds) and an INSERT of their history from the same
    snapshot. Returns how many children's level changed."""
    ids, params = children.values("pk").query.sql_with_params()
    weights = [(code, w) for code, w in rule.weights.items() if w]
    case = "CASE s.code " + " ".join("WHEN %s THEN %s" for _ in weights) + " ELSE 0 END"
    weight_params = [value for pair in weights for value in pair]
    level, level_params = _level_sql(rule, "new.score")
    sql = (
        f"WITH ids (pk) AS ({ids}), "  # noqa: S608 - the ORM's SQL and this module's
        "agg AS (SELECT s.child_id, SUM("
        f"{case if weights else '0'})::int AS score, "
        "jsonb_agg(jsonb_build_object('code', s.code, 'source', s.source, "
        "'record_id', s.record_id, 'date', to_char(s.dated, 'YYYY-MM-DD'), 'note', s.note) "
        'ORDER BY s.source COLLATE "C", s.code COLLATE "C") AS reasons '
        "FROM children_risksignal s WHERE s.child_id IN (SELECT pk FROM ids) GROUP BY s.child_id), "
        "new AS (SELECT ids.pk AS id, COALESCE(agg.score, 0) AS score, "
        "COALESCE(agg.reasons, '[]'::jsonb) AS reasons FROM ids LEFT JOIN agg "
        "ON agg.child_id = ids.pk), "
        "changed AS (SELECT c.id, c.region_code, COALESCE(r.level, %s) AS from_level, "
        f"new.score, new.reasons, {level} AS to_level FROM new "
        "JOIN children_child c ON c.id = new.id "
        "LEFT JOIN children_childrisk r ON r.child_id = new.id "
        "WHERE COALESCE(r.score, 0) IS DISTINCT FROM new.score "
        "OR COALESCE(r.reasons, '[]'::jsonb) IS DISTINCT FROM new.reasons "
        f"OR COALESCE(r.level, %s) IS DISTINCT FROM {level}), "
        "moved AS (INSERT INTO children_childrisk (child_id, level, score, reasons) "
        "SELECT id, to_level, score, reasons FROM changed ON CONFLICT (child_id) DO UPDATE "
        "SET level = EXCLUDED.level, score = EXCLUDED.score, reasons = EXCLUDED.reasons "
        "RETURNING 1), "
        "history AS (INSERT INTO children_riskchange (child_id, region_code, from_level, score, "
        "to_level, cause, reasons, changed_at, changed_on) SELECT id, region_code, from_level, "
        "score, to_level, %s, reasons, %s, %s FROM changed WHERE from_level <> to_level "
        "RETURNING 1) "
        "SELECT (SELECT count(*) FROM history), (SELECT count(*) FROM moved)"
    )
    low = int(RiskLevel.LOW)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *params,
                *weight_params,
                low,
                *level_params,
                low,
                *level_params,
                cause,
                now,
                timezone.localdate(now),
            ],
        )
        return int(cursor.fetchone()[0])


def _store_risk_python(
    children: models.QuerySet[Child], rule: Rule, cause: str, now: datetime.datetime
) -> int:
    """`_store_risk_postgresql` in a few queries whatever the number of children (SQLite,
    where lists are small): the children, their signals and their ChildRisk rows read once,
    the rule applied here, the rows that change upserted and their history inserted in bulk."""
    region_codes = dict(children.values_list("pk", "region_code"))
    signals: dict[int, list[RiskSignal]] = {pk: [] for pk in region_codes}
    for signal in RiskSignal.objects.filter(child_id__in=list(region_codes)):
        signals[signal.child_id].append(signal)
    stored = {r.child_id: r for r in ChildRisk.objects.filter(child_id__in=list(region_codes))}
    upserts: list[ChildRisk] = []
    history: list[RiskChange] = []
    for pk, rows in signals.items():
        _row, write, change = _recomputed(
            child_id=pk,
            region_code=region_codes[pk],
            signals=rows,
            rule=rule,
            kept=stored.get(pk),
            cause=cause,
            now=now,
        )
        if write is not None:
            upserts.append(write)
        if change is not None:
            history.append(change)
    ChildRisk.objects.bulk_create(
        upserts,
        update_conflicts=True,
        unique_fields=["child"],
        update_fields=["level", "score", "reasons"],
    )
    RiskChange.objects.bulk_create(history)
    return len(history)


def _store_risk(
    children: models.QuerySet[Child], rule: Rule, cause: str, now: datetime.datetime
) -> int:
    """Store the scores, reasons, history and levels of `children` from their signals.
    Returns how many children's level changed."""
    if connection.vendor == "postgresql":
        return _store_risk_postgresql(children, rule, cause, now)
    return _store_risk_python(children, rule, cause, now)


def risk_signals_set_many(
    *,
    children: models.QuerySet[Child],
    district_code: str,
    source: str,
    code: str,
    signals: models.QuerySet[Any],
    now: datetime.datetime | None = None,
) -> int:
    """`risk_signals_set` for one reason of one source over many children of one district,
    set-based (a few statements whatever their number; in the caller's transaction): the
    children's rows locked, their `code` reasons from `source` replaced by `signals` (a
    `values_list` of child_id, record_id, dated, note: one row per child), then their scores,
    reasons, history and levels as `risk_refresh` would write them. Returns how many
    children's level changed; their `RiskChange` rows have `cause=source, changed_at=now`
    (the caller moves their due dates)."""
    now = now or clock.now()
    rule = rule_for_code(district_code)
    children = Child.objects.filter(
        pk__in=children.values("pk"),
        region_code__range=prefix_range(district_prefix(district_code)),
    )
    ids = children.values("pk")
    with connection.cursor() as cursor:
        cursor.execute(*children.select_for_update().values("pk").query.sql_with_params())
    RiskSignal.objects.filter(child__in=ids, source=source, code=code).delete()
    held_elsewhere = RiskSignal.objects.filter(code=code).exclude(source=source)
    rows = (
        signals.filter(child_id__in=ids)
        .exclude(child_id__in=held_elsewhere.values("child_id"))
        .annotate(signal_source=Value(source), signal_code=Value(code))
    )
    select, params = rows.query.sql_with_params()
    table = RiskSignal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (child_id, record_id, dated, note, source, code) {select}",
            params,
        )
    return _store_risk(children, rule, source, now)


# --- Reading ----------------------------------------------------------------------------------


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def reason_text(reason: Mapping[str, Any]) -> str:
    """One stored reason as a sentence: what, from where, since when (and its note)."""
    text = _("%(reason)s (from %(source)s, %(date)s)") % {
        "reason": reason_label(reason["code"]),
        "source": RiskSource(reason["source"]).label,
        "date": reason["date"],
    }
    return f"{text}: {reason['note']}" if reason.get("note") else str(text)


def change_reasons(change: RiskChange) -> list[str]:
    """Why a level changed, as sentences: each reason with where it comes from and its date
    (a change by the district's rule: that)."""
    if change.cause == RiskSource.RULE:
        return [str(_("The district's risk rule changed."))]
    return [reason_text(reason) for reason in change.reasons]
