"""The benchmark population: a realistic district at scale, built set-based, reused when it fits.

    from bench_children import configure
    from population import ensure_population

    configure()                                     # the bench database (BENCH_DATABASE_URL)
    info = ensure_population(children=1_000_000)    # or children=100_000, open_reports=0, …
    print(info.summary())

    .venv/bin/python bench/population.py --children 100000     # build (or reuse) from a shell

What it holds, in district BENCH_DISTRICT (default 500109, 北碚区):

- `children` ACTIVE children from the synthetic generator (demo.synthetic: valid IDs,
  parents, categories, ~8% key children). The generator also closes ~3% of what it creates;
  those stay closed. Active children above `children` are closed with the note SURPLUS_NOTE
  (and reopened first when a later call asks for more), so the active count is exact.
  Each child's registration (created_at) is moved 1.6 to 4.4 years back (never before birth).
- Staff: a child director per village, a supervisor per town, civil affairs for the district
  (`staff()`), plus the bench's own civil-affairs user (bench_children.USERNAME).
- About `visits_per_child` visits per active child over the past year, written by the
  village's director (12 → ~12,000,000 rows for 1,000,000 children): key children are
  home-visited every month; the others get a home visit every third visit and phone (45%),
  in-person (35%) or video (20%) contacts in between, about 365/visits_per_child days apart.
  The age of each child's latest visit sets how late the child is:
      82%  0-22 days   on cadence (next contact due in 8-31 days)
       9% 23-30 days   due within the week (due-soon reminders)
     5.5% 31-60 days   overdue up to a month (director; the town supervisor after 7 days)
     3.5% 61-210 days  long overdue (district civil affairs after 30 days)
  Visits are never dated before the child's registration. No history rows (like the generator).
- next_contact_due / next_home_visit_due recomputed from those visits by the real rule:
  visits.cadence.apply_rule_to_district (one set-based UPDATE), so a benchmark of the
  reminder sweep exercises the rule as the application stores it.
- `open_reports` open mandatory reports (reports.MandatoryReport in stage "reported", each
  with its first ReportStep), filed by village directors about children of their village over
  the past 90 days, 70% acknowledged, the emergency response due 24 h after filing.

Set-based on PostgreSQL: the visits are one INSERT … SELECT over generate_series (secondary
indexes dropped and rebuilt around it, foreign-key triggers skipped for that statement: the
rows come from a join with the children and their directors), the reports likewise; only the
children come through the Python generator (~0.5 ms each). SQLite is supported for small
populations (the same SQL, minus those PostgreSQL-only tricks).

Idempotent: a table bench_population remembers what was built (district, children,
visits_per_child, day). A call with the same figures within `max_age_days` of the build reuses
everything (seconds); otherwise the visits are rebuilt (TRUNCATE visits_visit and follow-ups:
the bench database holds synthetic data only; a table pointing at visits that this does not
know stops it) and the due dates recomputed. Open reports are
topped up to `open_reports` (never deleted). Reminders and notifications are left alone.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_children import USERNAME, prepare

DEFAULT_DISTRICT = "500109"
SURPLUS_NOTE = "bench: surplus over the requested population"
REPORT_MARK = "bench population"
# The (first) child director of the child `c`'s village: the author of its visits.
DIRECTOR = (
    "SELECT a.user_id FROM org_assignment a JOIN org_region v ON v.id = a.region_id "
    "WHERE v.code = c.region_code AND a.role = 'child_director' ORDER BY a.id LIMIT 1"
)
# Lateness profile: (share, first age, last age) of each child's latest visit, in days.
LATENESS: tuple[tuple[float, int, int], ...] = (
    (0.82, 0, 22),
    (0.09, 23, 30),
    (0.055, 31, 60),
    (0.035, 61, 210),
)


@dataclass
class PopulationInfo:
    district: str
    children: int = 0  # active children in the district
    visits: int = 0
    open_reports: int = 0
    reused: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        steps = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.timings.items())
        due = ", ".join(f"{name} {count:,}" for name, count in self.due.items())
        return (
            f"population of {self.district}: {self.children:,} active children, "
            f"{self.visits:,} visits, {self.open_reports:,} open reports "
            f"({'reused' if self.reused else 'built'}; {steps or 'nothing to do'})\n"
            f"  due dates: {due}"
        )


def staff(district_code: str) -> None:
    """A director per village, a supervisor per town, civil affairs for the district."""
    from core.regions import Level, district_prefix
    from org.models import Assignment, Region, Role, User

    roles: dict[str, str] = {Level.VILLAGE: Role.CHILD_DIRECTOR, Level.TOWN: Role.SUPERVISOR}
    regions = list(Region.objects.filter(code__startswith=district_prefix(district_code)))
    for region in regions:
        role = roles.get(region.level, Role.CIVIL_AFFAIRS if region.level == Level.DISTRICT else "")
        if not role:
            continue
        user, created = User.objects.get_or_create(
            username=f"bench_{role}_{region.code}",
            defaults={"real_name": f"基准{region.name}"},
        )
        if created:
            Assignment.objects.create(
                user=user, region=region, role=role, start_date=datetime.date(2020, 1, 1)
            )


def _log(verbose: bool, text: str) -> None:
    if verbose:
        print(text, flush=True)


def _execute(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _fetch(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _scalar(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _district_range(district: str) -> tuple[str, str]:
    from core.regions import district_prefix, prefix_range

    low, high = prefix_range(district_prefix(district))
    return low, high


def _active_count(district: str) -> int:
    low, high = _district_range(district)
    return int(
        _scalar(
            "SELECT COUNT(*) FROM children_child WHERE status = 'active' "
            "AND region_code BETWEEN %s AND %s",
            [low, high],
        )
    )


def _adjust_children(district: str, wanted: int, today: datetime.date, verbose: bool) -> bool:
    """Make the district hold exactly `wanted` active children; True when the set changed."""
    from core.regions import district_code
    from demo.synthetic import generate
    from org.models import Region, User

    low, high = _district_range(district)
    active = _active_count(district)
    changed = False
    if active > wanted:
        _log(verbose, f"Closing {active - wanted:,} surplus children …")
        _execute(
            "UPDATE children_child SET status = 'closed', close_reason = 'other', "
            "close_note = %s, closed_on = %s, next_contact_due = NULL, "
            "next_home_visit_due = NULL WHERE id IN (SELECT id FROM children_child "
            "WHERE status = 'active' AND region_code BETWEEN %s AND %s "
            "ORDER BY id DESC LIMIT %s)",
            [SURPLUS_NOTE, today, low, high, active - wanted],
        )
        return True
    if active < wanted:
        changed = True
        reopened = _execute(
            "UPDATE children_child SET status = 'active', close_reason = '', close_note = '', "
            "closed_on = NULL WHERE id IN (SELECT id FROM children_child "
            "WHERE close_note = %s AND region_code BETWEEN %s AND %s ORDER BY id LIMIT %s)",
            [SURPLUS_NOTE, low, high, wanted - active],
        )
        active += reopened
    region = Region.objects.get(code=district_code(district))
    creator = User.objects.filter(username=USERNAME).first()
    while active < wanted:
        missing = wanted - active
        batch = int(missing * 1.035) + 50  # the generator closes ~3% of what it creates
        _log(verbose, f"Generating {batch:,} children in {region.name} …")
        seed = int(_scalar("SELECT COALESCE(MAX(id), 0) FROM children_child")) + 1
        if generate(region, batch, seed=seed, created_by=creator, recompute_due=False) == 0:
            raise SystemExit("The generator created nobody: the district's ID numbers are full.")
        active = _active_count(district)
    if active > wanted:
        _adjust_children(district, wanted, today, verbose)
    return changed


def _marker(district: str) -> tuple[int, int, int, datetime.date] | None:
    _execute(
        "CREATE TABLE IF NOT EXISTS bench_population (district varchar(12) PRIMARY KEY, "
        "children integer NOT NULL, visits_per_child integer NOT NULL, visits bigint NOT NULL, "
        "built_on date NOT NULL)"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT children, visits_per_child, visits, built_on FROM bench_population "
            "WHERE district = %s",
            [district],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    built = row[3]
    if isinstance(built, str):  # SQLite
        built = datetime.date.fromisoformat(built)
    return int(row[0]), int(row[1]), int(row[2]), built


def _set_marker(district: str, children: int, per_child: int, visits: int, day: Any) -> None:
    _execute("DELETE FROM bench_population WHERE district = %s", [district])
    _execute(
        "INSERT INTO bench_population (district, children, visits_per_child, visits, built_on) "
        "VALUES (%s, %s, %s, %s, %s)",
        [district, children, per_child, visits, day],
    )


def _profile_sql(postgres: bool) -> str:
    """SELECT of one row per active child of the district: id, is_key, its director, the
    age of its latest visit (lateness profile), its home-visit phase and registration day."""
    bounds = []
    cumulative = 0.0
    for share, first, last in LATENESS:
        cumulative += share
        span = last - first + 1
        bounds.append(f"WHEN r < {cumulative:.4f} THEN {first} + CAST(r2 * {span} AS INTEGER)")
    lateness = "CASE " + " ".join(bounds[:-1]) + f" ELSE {bounds[-1].split('THEN ')[1]} END"
    if postgres:
        registered = (
            "GREATEST(c.birth_date + 1, CAST(%(today)s AS date) - 600 - CAST(r3 * 1000 AS int))"
        )
    else:
        registered = (
            "MAX(date(c.birth_date, '+1 day'), "
            "date(%(today)s, '-' || (600 + CAST(r3 * 1000 AS INTEGER)) || ' days'))"
        )
    # SQLite flattens the subquery and would draw a fresh random() at each use of r: there
    # the draws are stored first (bench_draw, see _build_visits).
    source = f"({_draw_sql(postgres)}) c" if postgres else "bench_draw c"
    return (
        f"SELECT c.id, c.is_key, c.author_id, CAST(r4 * 3 AS INTEGER) AS phase, "  # noqa: S608
        f"{lateness} AS late, {registered} AS registered FROM {source}"
    )


def _draw_sql(postgres: bool) -> str:
    """The active children of the district with their director and four random draws."""
    rand = "random()" if postgres else "(abs(random()) / 9223372036854775808.0)"
    return (
        f"SELECT c.id, c.is_key, c.birth_date, ({DIRECTOR}) AS author_id, "  # noqa: S608
        f"{rand} AS r, {rand} AS r2, {rand} AS r3, {rand} AS r4 "
        "FROM children_child c "
        "WHERE c.status = 'active' AND c.region_code BETWEEN %(low)s AND %(high)s"
    )


def _visits_sql(postgres: bool, per_child: int) -> str:
    step = 365.0 / per_child
    rand = "random()" if postgres else "(abs(random()) / 9223372036854775808.0)"
    if postgres:
        series = f"CROSS JOIN LATERAL generate_series(0, {per_child - 1}) AS g(i)"
        day = (
            f"CAST(%(today)s AS date) - p.late - CAST(g.i * {step} AS integer) "
            f"- CASE WHEN g.i > 0 THEN CAST({rand} * 7 AS integer) - 3 ELSE 0 END"
        )
        uuid = "gen_random_uuid()"
        stamp = "CAST(v.day AS timestamp) + INTERVAL '10 hours'"
        frm = "(SELECT p.*, g.i, {day} AS day FROM bench_profile p {series}) v"
    else:
        series = (
            f"JOIN (WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s "  # noqa: S608
            f"WHERE i < {per_child - 1}) SELECT i FROM s) g"
        )
        day = (
            f"date(%(today)s, '-' || (p.late + CAST(g.i * {step} AS INTEGER) "
            f"+ CASE WHEN g.i > 0 THEN 3 - CAST({rand} * 7 AS INTEGER) ELSE 0 END) || ' days')"
        )
        uuid = "lower(hex(randomblob(16)))"
        stamp = "v.day || ' 02:00:00'"
        frm = "(SELECT p.*, g.i, {day} AS day FROM bench_profile p {series}) v"
    kind = (
        "CASE WHEN v.is_key OR (v.i + v.phase) %% 3 = 0 THEN 'home_visit' "
        f"WHEN {rand} < 0.45 THEN 'phone' WHEN {rand} < 0.636 THEN 'in_person' ELSE 'video' END"
    )
    findings = ", ".join("'fine', ''" for _ in range(6))
    columns = (
        "client_uuid, child_id, author_id, kind, visit_date, seen, safety, safety_note, "
        "guardianship, guardianship_note, schooling, schooling_note, health, health_note, "
        "mental, mental_note, living, living_note, problems, actions, danger_found, "
        "child_note, created_at, updated_at"
    )
    if postgres:
        select = (
            f"SELECT {uuid}, v.id, v.author_id, k.kind, v.day, "  # noqa: S608
            "CASE WHEN k.kind = 'home_visit' THEN '孩子和监护人' ELSE '' END, "
            f"{findings}, '', '', FALSE, '', {stamp}, {stamp} "
            f"FROM {frm.format(day=day, series=series)} "
            f"CROSS JOIN LATERAL (SELECT {kind} AS kind) k "
        )
    else:
        select = (
            f"SELECT {uuid}, v.id, v.author_id, {kind}, v.day, '', {findings}, '', '', 0, '', "  # noqa: S608
            f"{stamp}, {stamp} FROM {frm.format(day=day, series=series)} "
        )
    # Fixed SQL of this module; the values are parameters.
    return f"INSERT INTO visits_visit ({columns}) {select}WHERE v.day >= v.registered"


def _build_visits(
    district: str, per_child: int, today: datetime.date, info: PopulationInfo, verbose: bool
) -> None:
    from django.db import connection, transaction

    postgres = connection.vendor == "postgresql"
    low, high = _district_range(district)
    params = {"today": today if postgres else today.isoformat(), "low": low, "high": high}
    started = time.perf_counter()
    with transaction.atomic():
        _execute("DROP TABLE IF EXISTS bench_profile")
        if not postgres:
            _execute("DROP TABLE IF EXISTS bench_draw")
            _execute("CREATE TABLE bench_draw AS " + _draw_sql(postgres), params)
        _execute(
            f"CREATE {'UNLOGGED ' if postgres else ''}TABLE bench_profile AS "
            + _profile_sql(postgres),
            params,
        )
        if not postgres:
            _execute("DROP TABLE bench_draw")
        if postgres:
            _execute("ANALYZE bench_profile")
            # Registration 1.6-4.4 years back (never before birth, never in the future: a
            # child born today is registered now), so every visit follows it.
            _execute(
                "UPDATE children_child c SET created_at = LEAST(CAST(p.registered AS timestamp) "
                "+ INTERVAL '9 hours', CAST(NOW() AS timestamp)) "
                "FROM bench_profile p WHERE p.id = c.id"
            )
        else:
            _execute(
                "UPDATE children_child SET created_at = (SELECT MIN(p.registered || ' 01:00:00', "
                "datetime('now')) FROM bench_profile p WHERE p.id = children_child.id) "
                "WHERE id IN (SELECT id FROM bench_profile)"
            )
    info.timings["profile + registration"] = time.perf_counter() - started
    _log(verbose, f"  profile and registration dates: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with transaction.atomic():
        # A report filed from a visit (reports.MandatoryReport.visit, nullable) forgets the
        # rebuilt visit; the report itself is kept.
        _execute("UPDATE reports_mandatoryreport SET visit_id = NULL WHERE visit_id IS NOT NULL")
        if postgres:
            # No CASCADE: a new table pointing at visits should stop the bench, not be emptied.
            # The reports' reference is known: its constraint is dropped around the TRUNCATE
            # (PostgreSQL refuses to truncate a referenced table) and restored, unvalidated
            # rows being none (every reference was just cleared).
            constraints = _fetch(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'reports_mandatoryreport'::regclass "
                "AND confrelid = 'visits_visit'::regclass"
            )
            for name, _definition in constraints:
                _execute(f'ALTER TABLE reports_mandatoryreport DROP CONSTRAINT "{name}"')
            _execute("TRUNCATE visits_visit, visits_followup")
            for name, definition in constraints:
                _execute(
                    f'ALTER TABLE reports_mandatoryreport ADD CONSTRAINT "{name}" {definition}'
                )
        else:
            _execute("DELETE FROM visits_followup")
            _execute("DELETE FROM visits_visit")
        secondary: list[tuple[str, str]] = []
        if postgres:
            _execute("SET LOCAL maintenance_work_mem = '512MB'")
            _execute("SET LOCAL synchronous_commit = off")
            # Secondary indexes are rebuilt after the load (faster than 12M index inserts);
            # the rows come from a join with children and their directors, so the FK
            # triggers are skipped for this statement (bench database, superuser only).
            secondary = _drop_secondary_indexes("visits_visit")
            _skip_fk_triggers(verbose)
        inserted = _execute(_visits_sql(postgres, per_child), params)
        if postgres:
            for _name, definition in secondary:
                _execute(definition)
    info.timings["visits"] = time.perf_counter() - started
    _log(verbose, f"  {inserted:,} visits: {time.perf_counter() - started:.1f} s")
    info.visits = inserted
    _execute("DROP TABLE IF EXISTS bench_profile")
    if postgres:
        _execute("ANALYZE visits_visit")


def _skip_fk_triggers(verbose: bool) -> None:
    """Until the transaction ends, no foreign-key triggers: the bulk writes here join rows
    that exist (PostgreSQL, superuser only; otherwise the checks simply run)."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            _execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        _log(verbose, "  (not a superuser: foreign-key triggers stay on)")


def _drop_secondary_indexes(table: str) -> list[tuple[str, str]]:
    """Drop `table`'s indexes that back no constraint; returns (name, CREATE statement) of
    each to rebuild them (in the caller's transaction: a failure rolls the drop back)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = CAST(%s AS regclass))",
            [table, table],
        )
        secondary = cursor.fetchall()
    for name, _definition in secondary:
        _execute(f'DROP INDEX "{name}"')
    return secondary


def _recompute_due(district: str, info: PopulationInfo, verbose: bool) -> None:
    from django.db import transaction

    from core.regions import district_code
    from org.models import Region
    from visits.cadence import apply_rule_to_district

    started = time.perf_counter()
    with transaction.atomic():
        apply_rule_to_district(Region.objects.get(code=district_code(district)))
    info.timings["due dates (cadence rule)"] = time.perf_counter() - started
    _log(verbose, f"  due dates by the cadence rule: {time.perf_counter() - started:.1f} s")


def _reports(district: str, wanted: int, today: datetime.date, info: PopulationInfo) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from reports.models import MandatoryReport, Stage

    low, high = _district_range(district)
    have = MandatoryReport.objects.open().filter(region_code__range=(low, high)).count()
    missing = wanted - have
    if missing > 0:
        started = time.perf_counter()
        postgres = connection.vendor == "postgresql"
        now = timezone.now()
        label = str(Stage(Stage.EMERGENCY_RESPONSE).label)
        if postgres:
            filed = "%(now)s - (random() * 90 * 86400) * INTERVAL '1 second'"
            uuid = "gen_random_uuid()"
            ack = "CASE WHEN random() < 0.7 THEN p.filed + INTERVAL '3 hours' END"
            due = "p.filed + INTERVAL '24 hours'"
            found = "p.filed - INTERVAL '2 hours'"
        else:
            filed = "datetime(%(now)s, '-' || (abs(random()) %% 7776000) || ' seconds')"
            uuid = "lower(hex(randomblob(16)))"
            ack = "CASE WHEN abs(random()) %% 10 < 7 THEN datetime(p.filed, '+3 hours') END"
            due = "datetime(p.filed, '+24 hours')"
            found = "datetime(p.filed, '-2 hours')"
        situations = (
            "'[\"guardian_neglect\"]'",
            "'[\"alone_unguarded\"]'",
            "'[\"accidental_injury\"]'",
            '\'["domestic_violence", "guardian_neglect"]\'',
        )
        pick = "CASE p.n %% 4 " + " ".join(f"WHEN {i} THEN {s}" for i, s in enumerate(situations))
        pick += " END"
        if postgres:
            pick = f"CAST({pick} AS jsonb)"
        params = {
            "now": now if postgres else now.strftime("%Y-%m-%d %H:%M:%S"),
            "low": low,
            "high": high,
            "missing": missing,
            "label": label,
            "mark": REPORT_MARK,
            "what": "基准：发现儿童处于无人照料状态，已报告派出所。",
        }
        with transaction.atomic():
            _execute("DROP TABLE IF EXISTS bench_reports")
            _execute(
                "CREATE TEMP TABLE bench_reports AS "  # noqa: S608
                f"SELECT c.id AS child_id, c.village_id, c.region_code, ({DIRECTOR}) AS reporter, "
                f"ROW_NUMBER() OVER () AS n, {filed} AS filed FROM (SELECT id, village_id, "
                "region_code FROM children_child WHERE status = 'active' AND region_code "
                f"BETWEEN %(low)s AND %(high)s ORDER BY random() LIMIT %(missing)s) c",
                params,
            )
            _execute(  # fixed SQL of this module; the values are parameters
                "INSERT INTO reports_mandatoryreport (client_uuid, child_id, child_description, "  # noqa: S608
                "location, village_id, region_code, situations, found_at, how_found, what_seen, "
                "immediate_danger, police_station, police_reported_at, police_officer, "
                "police_receipt, civil_affairs_informed, education_informed, reporter_id, "
                "stage, stage_since, acknowledged_at, acknowledged_by_id, next_step, "
                "next_due_at, created_at) "
                f"SELECT {uuid}, p.child_id, '', '', p.village_id, p.region_code, {pick}, "
                f"{found}, %(mark)s, %(what)s, {'FALSE' if postgres else '0'}, '', NULL, '', "
                f"'', {'TRUE' if postgres else '1'}, {'FALSE' if postgres else '0'}, "
                f"p.reporter, 'reported', p.filed, {ack}, NULL, %(label)s, {due}, p.filed "
                "FROM bench_reports p",
                params,
            )
            _execute(
                "INSERT INTO reports_reportstep (report_id, stage, kind, what, by_id, done_at, "
                "child_location, next_step, next_due_at, corrects_id, created_at) "
                "SELECT r.id, 'reported', 'report', r.what_seen, r.reporter_id, r.created_at, "
                "'', r.next_step, r.next_due_at, NULL, r.created_at "
                "FROM reports_mandatoryreport r WHERE r.how_found = %(mark)s "
                "AND NOT EXISTS (SELECT 1 FROM reports_reportstep s WHERE s.report_id = r.id)",
                params,
            )
            _execute("DROP TABLE bench_reports")
        info.timings["open reports"] = time.perf_counter() - started
    info.open_reports = (
        MandatoryReport.objects.open().filter(region_code__range=(low, high)).count()
    )


def due_profile(district: str, today: datetime.date) -> dict[str, int]:
    """How many active children are overdue / due within 7 days / on cadence (contact, and
    home visit), by the stored due dates."""
    from django.db import connection

    low, high = _district_range(district)
    soon = today + datetime.timedelta(days=7)
    out: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, column in (
            ("contact", "next_contact_due"),
            ("home visit", "next_home_visit_due"),
        ):
            cursor.execute(
                f"SELECT SUM(CASE WHEN {column} < %s THEN 1 ELSE 0 END), "  # noqa: S608
                f"SUM(CASE WHEN {column} >= %s AND {column} <= %s THEN 1 ELSE 0 END), "
                f"SUM(CASE WHEN {column} < %s THEN 1 ELSE 0 END), COUNT(*) "
                "FROM children_child WHERE status = 'active' AND region_code BETWEEN %s AND %s",
                [today, today, soon, today - datetime.timedelta(days=30), low, high],
            )
            overdue, due_soon, late30, total = cursor.fetchone()
            out[f"{name} overdue"] = int(overdue or 0)
            out[f"{name} overdue > 30 days"] = int(late30 or 0)
            out[f"{name} due within 7 days"] = int(due_soon or 0)
            out[f"{name} later"] = int(total or 0) - int(overdue or 0) - int(due_soon or 0)
    return out


def ensure_population(
    children: int = 1_000_000,
    visits_per_child: int = 12,
    open_reports: int = 10_000,
    *,
    district: str | None = None,
    today: datetime.date | None = None,
    max_age_days: int = 7,
    rebuild: bool = False,
    verbose: bool = True,
) -> PopulationInfo:
    """Make the bench database hold the population described in this module's docstring
    (call bench_children.configure() first); reuse it when it already does. Returns what it
    holds and how long each step took."""
    from django.db import connection, transaction
    from django.utils import timezone

    from core.regions import district_prefix

    district = district_prefix(district or os.environ.get("BENCH_DISTRICT", DEFAULT_DISTRICT))
    today = today or timezone.localdate()
    if children < 1 or visits_per_child < 1 or open_reports < 0:
        raise ValueError("children and visits_per_child must be positive, open_reports >= 0")
    info = PopulationInfo(district=district)
    started = time.perf_counter()
    prepare(district, 0)  # migrations, the region tree, the bench's civil-affairs user
    staff(district)
    info.timings["setup"] = time.perf_counter() - started

    started = time.perf_counter()
    changed = _adjust_children(district, children, today, verbose)
    if changed:
        info.timings["children"] = time.perf_counter() - started
    info.children = _active_count(district)

    marker = _marker(district)
    fresh = (
        marker is not None
        and marker[0] == children
        and marker[1] == visits_per_child
        and (today - marker[3]).days <= max_age_days
    )
    if fresh and not changed and not rebuild and marker is not None:
        info.reused = True
        info.visits = marker[2]
    else:
        _log(verbose, f"Building ~{children * visits_per_child:,} visits …")
        postgres = connection.vendor == "postgresql"
        with transaction.atomic():
            # Two bulk UPDATEs of every child (registration, due dates) cost far less without
            # the children's ~18 secondary indexes, rebuilt at the end (same transaction).
            rebuild_children = _drop_secondary_indexes("children_child") if postgres else []
            if postgres:
                _skip_fk_triggers(verbose)
            _build_visits(district, visits_per_child, today, info, verbose)
            _recompute_due(district, info, verbose)
            started = time.perf_counter()
            if postgres:
                _execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending events: CREATE INDEX
            for _name, definition in rebuild_children:
                _execute(definition)
            if postgres:
                info.timings["children indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        # Dead rows of the bulk updates gone, visibility map set, fresh statistics.
        _execute("VACUUM ANALYZE children_child" if postgres else "ANALYZE children_child")
        info.timings["vacuum"] = time.perf_counter() - started
        _set_marker(district, children, visits_per_child, info.visits, today)
    _reports(district, open_reports, today, info)
    if connection.vendor == "postgresql":
        # The staff tables are small and just written: fresh statistics keep plans sane.
        _execute("ANALYZE org_user, org_assignment, org_region")
    info.due = due_profile(district, today)
    return info


def main() -> None:
    import argparse

    from bench_children import configure

    parser = argparse.ArgumentParser(description="Build or reuse the benchmark population.")
    parser.add_argument(
        "--children", type=int, default=0, help="default 1,000,000 (PostgreSQL), 100,000 (SQLite)"
    )
    parser.add_argument("--visits-per-child", type=int, default=12)
    parser.add_argument("--open-reports", type=int, default=10_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    configure()
    from django.db import connection

    children = args.children or (1_000_000 if connection.vendor == "postgresql" else 100_000)
    started = time.perf_counter()
    info = ensure_population(
        children=children,
        visits_per_child=args.visits_per_child,
        open_reports=args.open_reports,
        rebuild=args.rebuild,
    )
    print(info.summary())
    print(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
