"""Writes of supervision: annual written assessments (R5), the annual archive spot-check draw,
its checklist and rectification items (R11). One transaction per multi-row write."""

from __future__ import annotations

import datetime
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from children.choices import Status
from children.models import Child
from core import clock, permissions, scoping
from core.regions import Level, prefix_range, town_prefix
from core.roles import Role
from core.workitems import workitem_done
from org.models import Assignment, Region, User
from org.selectors import staff_serving
from supervision import selectors
from supervision.models import (
    CHECKLIST_FIELDS,
    AssessedRole,
    Rating,
    SpotCheck,
    SpotCheckItem,
    SpotCheckRectification,
    SpotCheckTown,
    WorkerAssessment,
)

FIRST_YEAR = 2000
MAX_SEED = 2**53 - 1  # exact in JSON and JavaScript

# --- Written assessments (R5) -----------------------------------------------------------------


def _year_errors(year: Any, today: datetime.date) -> list[str]:
    if not isinstance(year, int) or isinstance(year, bool):
        return [_("Give a year such as %(year)d.") % {"year": today.year}]
    if year > today.year:
        return [_("The year cannot be in the future.")]
    if year < FIRST_YEAR:
        return [_("The year cannot be before %(year)d.") % {"year": FIRST_YEAR}]
    return []


def assessable(by: User, year: int) -> dict[int, Assignment]:
    """The workers `by` writes the annual assessment of for `year`, by user id, each with the
    assignment that makes it so: a supervisor's directors (an assignment in one of the town's
    villages during the year), civil affairs' supervisors (a town of the district)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    towns = scoping.role_scope(by, Role.SUPERVISOR).prefixes
    districts = scoping.role_scope(by, Role.CIVIL_AFFAIRS).prefixes
    served = staff_serving(
        roles=[Role.CHILD_DIRECTOR], prefixes=towns, day=first, until=last
    ) | staff_serving(roles=[Role.SUPERVISOR], prefixes=districts, day=first, until=last)
    result: dict[int, Assignment] = {}
    for assignment in (
        served.visible_to(by)
        .exclude(user_id=by.pk)
        .select_related("user", "region")
        .order_by("region__code", "pk")
    ):
        result.setdefault(assignment.user_id, assignment)
    return result


def _assessment_errors(rating: Any, text: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if rating not in Rating.values:
        errors["rating"] = [_("Choose a rating.")]
    if not (text or "").strip():
        errors["text"] = [_("Write the assessment.")]
    return errors


def assessment_write(
    *,
    by: User,
    worker: User,
    year: Any,
    rating: str,
    text: str,
    today: datetime.date | None = None,
) -> WorkerAssessment:
    """A worker's annual written assessment, once per worker and year, by a supervisor of
    the director's town or civil affairs of the supervisor's district."""
    today = today or clock.today()
    permissions.require_work(by)
    errors = _assessment_errors(rating, text)
    year_errors = _year_errors(year, today)
    if year_errors:
        errors["year"] = year_errors
        raise ValidationError(errors)
    assignment = assessable(by, year).get(worker.pk)
    if assignment is None:
        raise PermissionDenied(
            _(
                "A director is assessed by the town's supervisor, a supervisor by the "
                "district's civil affairs."
            )
        )
    existing = WorkerAssessment.objects.filter(worker=worker, year=year).first()
    if existing is not None:
        errors["year"] = [
            _("%(worker)s already has an assessment for %(year)d: correct it instead.")
            % {"worker": worker, "year": year}
        ]
    if errors:
        raise ValidationError(errors)
    role = (
        AssessedRole.SUPERVISOR
        if assignment.role == Role.SUPERVISOR
        else AssessedRole.CHILD_DIRECTOR
    )
    assessment = WorkerAssessment(
        worker=worker,
        year=year,
        role=role,
        region=assignment.region,
        region_code=assignment.region.code,
        rating=rating,
        text=text.strip(),
        author=by,
    )
    assessment._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as exc:  # the same worker and year saved concurrently
        raise ValidationError(
            {"year": [_("This worker already has an assessment for that year.")]}
        ) from exc
    return assessment


def assessment_correct(
    *, by: User, assessment: WorkerAssessment, rating: str, text: str
) -> WorkerAssessment:
    """Its author corrects an assessment; the earlier version stays in its history."""
    permissions.require_work(by)
    if assessment.author_id != by.pk:
        raise PermissionDenied(_("Only the author corrects an assessment."))
    errors = _assessment_errors(rating, text)
    if errors:
        raise ValidationError(errors)
    assessment.rating, assessment.text = rating, text.strip()
    assessment._history_user = by  # type: ignore[attr-defined]
    assessment.save(update_fields=["rating", "text", "updated_at"])
    return assessment


# --- The annual archive spot-check (R11) ---------------------------------------------------


def sample_size(percentage: int, population: int) -> int:
    """ceil(percentage % of population), in integers."""
    return -(-percentage * population // 100)


def draw_sample(
    seed: int, percentage: int, children: list[tuple[int, str]]
) -> dict[str, tuple[int, list[int]]]:
    """The pure draw: `children` are (pk, region code) pairs. Per town (9-digit prefix, in
    code order): (active children, the drawn pks). One random.Random(seed) draws every town
    in turn from its children ordered by primary key, so the same seed over the same children
    gives the same sample."""
    by_town: dict[str, list[int]] = defaultdict(list)
    for pk, code in sorted(children):
        by_town[town_prefix(code)].append(pk)
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    result: dict[str, tuple[int, list[int]]] = {}
    for town in sorted(by_town):
        pks = by_town[town]
        result[town] = (len(pks), sorted(rng.sample(pks, sample_size(percentage, len(pks)))))
    return result


def _draw_errors(year: Any, percentage: Any, seed: Any, today: datetime.date) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    year_errors = _year_errors(year, today)
    if year_errors:
        errors["year"] = year_errors
    if (
        not isinstance(percentage, int)
        or isinstance(percentage, bool)
        or not 1 <= percentage <= 100
    ):
        errors["percentage"] = [_("Give a whole number from 1 to 100.")]
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED
    ):
        errors["seed"] = [
            _("Give a whole number from 0 to %(max)d, or leave it empty.") % {"max": MAX_SEED}
        ]
    return errors


def spot_check_draw(
    *,
    by: User,
    district: Region,
    year: Any,
    percentage: Any,
    seed: Any = None,
    today: datetime.date | None = None,
) -> SpotCheck:
    """Draw the district's spot-check of `year`: per town, ceil(percentage %) of its active
    archives, at random from `seed` (generated and recorded when not given). All in one
    transaction; a district draws once a year."""
    today = today or clock.today()
    permissions.require_work(by)
    if not any(d.pk == district.pk for d in permissions.managed_districts(by)):
        raise PermissionDenied(_("Spot-checks are drawn by the district's civil-affairs staff."))
    errors = _draw_errors(year, percentage, seed, today)
    if "year" not in errors:
        earlier = SpotCheck.objects.filter(district=district, year=year).first()
        if earlier is not None:
            errors["year"] = [
                _("The %(year)d spot-check of %(district)s was already drawn on %(date)s.")
                % {
                    "year": year,
                    "district": district.name,
                    "date": timezone.localdate(earlier.drawn_at).isoformat(),
                }
            ]
    if errors:
        raise ValidationError(errors)
    if seed is None:
        seed = secrets.randbelow(2**31)
    span = prefix_range(district.prefix)
    try:
        with transaction.atomic():
            children = list(
                Child.objects.visible_to(by)
                .filter(region_code__range=span, status=Status.ACTIVE)
                .order_by("pk")
                .values_list("pk", "region_code")
            )
            drawn = draw_sample(seed, percentage, children)
            spot_check = SpotCheck.objects.create(
                district=district,
                region_code=district.code,
                year=year,
                percentage=percentage,
                seed=seed,
                population=len(children),
                sample_size=sum(len(pks) for _n, pks in drawn.values()),
                drawn_by=by,
            )
            towns = Region.objects.filter(code__range=span, level=Level.TOWN).order_by("code")
            SpotCheckTown.objects.bulk_create(
                [
                    SpotCheckTown(
                        spot_check=spot_check,
                        town=town,
                        region_code=town.code,
                        population=drawn.get(town_prefix(town.code), (0, []))[0],
                        sample_size=len(drawn.get(town_prefix(town.code), (0, []))[1]),
                    )
                    for town in towns
                ]
            )
            codes = dict(children)
            SpotCheckItem.objects.bulk_create(
                [
                    SpotCheckItem(spot_check=spot_check, child_id=pk, region_code=codes[pk])
                    for _n, pks in drawn.values()
                    for pk in pks
                ],
                batch_size=1000,
            )
    except IntegrityError as exc:  # drawn concurrently by a colleague
        raise ValidationError(
            {"year": [_("This district's spot-check for that year has already been drawn.")]}
        ) from exc
    return spot_check


@dataclass(frozen=True)
class RectificationInput:
    text: str
    due_on: datetime.date


def spot_check_record(
    *,
    by: User,
    item: SpotCheckItem,
    answers: dict[str, Any],
    findings: str = "",
    rectifications: list[RectificationInput] | None = None,
    today: datetime.date | None = None,
) -> SpotCheckItem:
    """Record (or correct) the check of one drawn archive: each checklist point confirmed or
    not, findings, and new rectification items. The suggestions computed from the archive at
    that moment are kept beside the answers; the earlier version stays in the history."""
    today = today or clock.today()
    rectifications = list(rectifications or [])
    permissions.require_work(by)
    if not selectors.may_check(by, item):
        raise PermissionDenied(_("Archives are checked by the district's civil-affairs staff."))
    errors: dict[str, list[str]] = {}
    for name in CHECKLIST_FIELDS:
        if not isinstance(answers.get(name), bool):
            errors[name] = [_("Confirm whether this point is met.")]
    findings = (findings or "").strip()
    if not errors and not all(answers[name] for name in CHECKLIST_FIELDS) and not findings:
        errors["findings"] = [_("Describe what is missing.")]
    for rect in rectifications:
        if not (rect.text or "").strip():
            errors.setdefault("rectifications", []).append(_("Describe each rectification item."))
        if rect.due_on < today:
            errors.setdefault("rectifications", []).append(
                _("A rectification item cannot be due before today.")
            )
    if errors:
        raise ValidationError(errors)
    child = selectors.with_archive_facts(Child.objects.filter(pk=item.child_id)).get()
    with transaction.atomic():
        locked = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
        for name in CHECKLIST_FIELDS:
            setattr(locked, name, answers[name])
        locked.findings = findings
        locked.suggested = selectors.suggestions(child, today)
        locked.checked_by, locked.checked_on = by, today
        locked._history_user = by  # type: ignore[attr-defined]
        locked.save()
        SpotCheckRectification.objects.bulk_create(
            [
                SpotCheckRectification(
                    item=locked, text=r.text.strip(), due_on=r.due_on, created_by=by
                )
                for r in rectifications
            ]
        )
    return locked


def spot_rectification_done(
    *,
    by: User,
    rectification: SpotCheckRectification,
    done_on: datetime.date | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> SpotCheckRectification:
    """Mark a spot-check rectification item done: the town's supervisor (or civil affairs)."""
    today = today or clock.today()
    permissions.require_work(by)
    if not selectors.may_complete(by, rectification):
        raise PermissionDenied(_("Rectification items are closed by the town's supervisor."))
    return workitem_done(
        item=rectification,
        by=by,
        done_on=done_on or today,
        earliest=timezone.localdate(rectification.created_at),
        today=today,
        note=note,
    )
