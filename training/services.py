"""Writes of the training app, each one transaction. Pages, the API, the Excel import and the
demo loader call these; certification is recomputed in the same transaction as each result.

Who organises whom (R8): district civil affairs organise district sessions for the
supervisors and director trainers (child directors) of their district; a town's supervisor
organises town sessions for the child directors of the town's villages.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from core import clock, permissions, scoping, storage, uploads
from core.calendar import add_months
from core.district_rules import district_rule_save
from core.regions import Level, district_code
from core.roles import Role
from org.models import Assignment, Region, User
from training import gate
from training.models import (
    Attendance,
    Course,
    Material,
    OrganiserLevel,
    Result,
    Rotation,
    Session,
    Topic,
    TrainingPolicy,
    TrainingStatus,
)

logger = logging.getLogger(__name__)
PASS_MARK = 60


# --- Certification ---------------------------------------------------------------------------


def certification_recompute(
    *, user: User | int, today: datetime.date | None = None
) -> TrainingStatus:
    """Derive and store `user`'s certification from their passed results: certified on the
    first pass, renewal due 12 months after the last, flagged from 11 months after it."""
    user_id = user if isinstance(user, int) else user.pk
    today = today or clock.today()
    passes = Result.objects.filter(user_id=user_id, passed=True).aggregate(
        first=Min("assessed_on"), last=Max("assessed_on")
    )
    last = passes["last"]
    values: dict[str, Any] = {
        "certified_on": passes["first"],
        "last_passed_on": last,
        "renewal_due_on": add_months(last, 12) if last else None,
        "renewal_flag_on": add_months(last, 11) if last else None,
    }
    status = TrainingStatus(user_id=user_id, **values)
    values["rotation"] = status.rotation_on(today) if last else ""
    status, _created = TrainingStatus.objects.update_or_create(user_id=user_id, defaults=values)
    if not isinstance(user, int):
        gate.forget(user)
    return status


def rotation_sweep(*, today: datetime.date | None = None) -> dict[str, int]:
    """Set every stored rotation flag for `today` in three set-based updates (daily task)."""
    today = today or clock.today()
    certified = TrainingStatus.objects.filter(renewal_due_on__isnull=False)
    return {
        "lapsed": certified.filter(renewal_due_on__lt=today)
        .exclude(rotation=Rotation.LAPSED)
        .update(rotation=Rotation.LAPSED),
        "due": certified.filter(renewal_flag_on__lte=today, renewal_due_on__gte=today)
        .exclude(rotation=Rotation.DUE)
        .update(rotation=Rotation.DUE),
        "current": certified.filter(renewal_flag_on__gt=today)
        .exclude(rotation=Rotation.CURRENT)
        .update(rotation=Rotation.CURRENT),
    }


# --- Who may organise ------------------------------------------------------------------------


def organiser_regions(user: User) -> list[Region]:
    """Regions where `user` may organise sessions: districts (civil affairs) and towns
    (supervisors)."""
    scope = scoping.get_scope(user)
    return scope.regions(Role.CIVIL_AFFAIRS) + scope.regions(Role.SUPERVISOR)


def can_organise(user: User) -> bool:
    return bool(organiser_regions(user))


def manages_session(user: User, session: Session) -> bool:
    """Whether `user` records attendance and results for `session`: the district's civil
    affairs for every session in the district; the town's supervisor for a town session."""
    scope = scoping.get_scope(user)
    code = session.region.code
    if any(code.startswith(d.prefix) for d in scope.regions(Role.CIVIL_AFFAIRS)):
        return True
    return session.organiser_level == OrganiserLevel.TOWN and any(
        t.code == code for t in scope.regions(Role.SUPERVISOR)
    )


def _require_organiser(by: User) -> None:
    permissions.require_work(by)  # an untrained supervisor does not organise training either
    if not can_organise(by):
        raise PermissionDenied(
            _("Training is organised by district civil affairs and town supervisors.")
        )


def _require_manager(by: User, session: Session) -> None:
    permissions.require_work(by)
    if not manages_session(by, session):
        raise PermissionDenied(_("Only the organiser of this session records its results."))


def eligible_invitees(level: str, region: Region, today: datetime.date | None = None) -> Any:
    """People a session at `level` in `region` may invite (R8)."""
    roles = (
        [Role.SUPERVISOR, Role.CHILD_DIRECTOR]
        if level == OrganiserLevel.DISTRICT
        else [Role.CHILD_DIRECTOR]
    )
    assigned = Assignment.objects.active(today).filter(
        role__in=roles, region__code__startswith=region.prefix
    )
    return User.objects.filter(pk__in=assigned.values("user_id")).order_by("real_name", "pk")


# --- Courses and materials -------------------------------------------------------------------


def session_invitees(*, regions: Iterable[Region]) -> Any:
    """Everyone a session organised in any of `regions` may invite (R8), by name."""
    people = User.objects.none()
    for region in regions:
        level = "district" if region.level == "district" else "town"
        people = people | eligible_invitees(level, region)
    return people.distinct().order_by("real_name", "pk")


def _district_of(user: User) -> Region:
    regions = organiser_regions(user)
    codes = sorted({district_code(r.code) for r in regions})
    district = Region.objects.filter(code__in=codes[:1], level=Level.DISTRICT).first()
    if district is None:
        raise PermissionDenied(
            _("Training is organised by district civil affairs and town supervisors.")
        )
    return district


@transaction.atomic
def course_save(
    *,
    by: User,
    title: str,
    topics: Iterable[str],
    description: str = "",
    instance: Course | None = None,
) -> Course:
    _require_organiser(by)
    topics = list(dict.fromkeys(topics))
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the course a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    unknown = [t for t in topics if t not in Topic.values]
    if unknown:
        errors["topics"] = [_("Unknown topic: %(topic)s.") % {"topic": "、".join(unknown)}]
    elif not topics:
        errors["topics"] = [_("Choose at least one topic.")]
    if errors:
        raise ValidationError(errors)
    course = instance or Course(created_by=by, district=_district_of(by))
    course.title = title.strip()
    course.topics = topics
    course.description = description
    course.save()
    return course


def detect_material(upload: UploadedFile) -> uploads.FileType:
    """The type of a course material, decided by content: PDF (by its signature), JPEG/PNG
    (opened by Pillow), Office Open XML (a zip with [Content_Types].xml and a word/, xl/ or
    ppt/ part) or a legacy Office file. Raises ValidationError on `file` otherwise, or when
    too large."""
    known = uploads.image_or_pdf(upload, verify_pdf=False)
    if known is not None:
        return known
    head = uploads.read_head(upload)
    if head.startswith(uploads.OLE.magic):
        return uploads.OLE
    if head.startswith(uploads.ZIP_MAGIC):
        office = uploads.ooxml_type(upload)
        if office is not None:
            return office
    raise uploads.upload_error(
        _(
            "This type of file is not accepted: upload a PDF, a Word, Excel or PowerPoint "
            "document, or a JPEG or PNG image."
        ),
        "wrong_type",
    )


def material_add(*, by: User, course: Course, upload: UploadedFile) -> Material:
    """Validate and store a course material; nothing is kept when anything fails."""
    _require_organiser(by)
    if not Course.objects.visible_to(by).filter(pk=course.pk).exists():
        raise PermissionDenied(_("You cannot change this course."))
    kind = detect_material(upload)
    name = uploads.clean_filename(upload.name or "")
    material = Material(
        course=course,
        uploaded_by=by,
        original_name=name,
        content_type=kind.content_type,
        size=upload.size or 0,
    )
    storage.save_file(material.file, f"material.{kind.extension}", upload)
    stored = material.file.name
    try:
        with transaction.atomic():
            material.save()
    except BaseException:
        storage.discard(material.file.storage, stored)
        raise
    return material


# --- Sessions --------------------------------------------------------------------------------


@dataclass
class SessionInput:
    course: Course
    organiser_level: str
    region: Region
    date: datetime.date
    place: str
    trainer: str
    invitees: list[User]


@transaction.atomic
def session_save(
    *,
    by: User,
    data: SessionInput,
    instance: Session | None = None,
    today: datetime.date | None = None,
) -> Session:
    """Plan (or change) a session. Refused when organised outside the organiser's region,
    at a level they do not organise, or inviting people it does not train (R8)."""
    _require_organiser(by)
    errors: dict[str, list[str]] = {}
    scope = scoping.get_scope(by)
    region = data.region
    if data.organiser_level == OrganiserLevel.DISTRICT:
        if region.level != Level.DISTRICT:
            errors["region"] = [_("A district session is organised by a district/county.")]
        elif not any(d.pk == region.pk for d in scope.regions(Role.CIVIL_AFFAIRS)):
            errors["region"] = [
                _("You can only organise district sessions in the district you work for.")
            ]
    elif data.organiser_level == OrganiserLevel.TOWN:
        if region.level != Level.TOWN:
            errors["region"] = [_("A town session is organised by a town/street.")]
        elif not any(t.pk == region.pk for t in scope.regions(Role.SUPERVISOR)):
            errors["region"] = [
                _("You can only organise town sessions for the town you supervise.")
            ]
    else:
        errors["organiser_level"] = [_("Choose who organises the session.")]
    if not Course.objects.visible_to(by).filter(pk=data.course.pk).exists():
        errors["course"] = [_("Choose a course of your district.")]
    if not data.place.strip():
        errors["place"] = [_("Give the place.")]
    if not data.trainer.strip():
        errors["trainer"] = [_("Give the trainer's name.")]
    if "region" not in errors and "organiser_level" not in errors:
        allowed = set(
            eligible_invitees(data.organiser_level, region, today).values_list("pk", flat=True)
        )
        outside = [u for u in data.invitees if u.pk not in allowed]
        if outside:
            errors["invitees"] = [
                _("%(names)s cannot be invited: this session trains %(who)s.")
                % {
                    "names": "、".join(str(u) for u in outside),
                    "who": _("the supervisors and child directors of the district")
                    if data.organiser_level == OrganiserLevel.DISTRICT
                    else _("the child directors of the town's villages"),
                }
            ]
    if errors:
        raise ValidationError(errors)
    session = instance or Session(organised_by=by)
    if instance is not None:
        _require_manager(by, instance)
    session.course = data.course
    session.organiser_level = data.organiser_level
    session.region = region
    session.date = data.date
    session.place = data.place.strip()
    session.trainer = data.trainer.strip()
    session.save()
    session.invitees.set(data.invitees)
    return session


# --- Attendance and results ------------------------------------------------------------------


def _check_person(session: Session, user: User, today: datetime.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if session.date > today:
        errors["session"] = [
            _("The session is dated %(date)s, in the future: record attendance after it.")
            % {"date": session.date.isoformat()}
        ]
    if not session.invitees.filter(pk=user.pk).exists():
        errors["user"] = [_("%(name)s was not invited to this session.") % {"name": str(user)}]
    return errors


@transaction.atomic
def attendance_record(
    *,
    by: User,
    session: Session,
    user: User,
    attended: bool = True,
    today: datetime.date | None = None,
) -> Attendance:
    _require_manager(by, session)
    today = today or clock.today()
    errors = _check_person(session, user, today)
    if errors:
        raise ValidationError(errors)
    attendance, _created = Attendance.objects.update_or_create(
        session=session, user=user, defaults={"attended": attended, "recorded_by": by}
    )
    return attendance


@transaction.atomic
def result_record(
    *,
    by: User,
    session: Session,
    user: User,
    score: int | None,
    passed: bool | None = None,
    assessor: str,
    assessed_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Result:
    """Record or correct `user`'s assessment in `session` (marking them present) and recompute
    their certification in the same transaction. `passed` defaults to score >= PASS_MARK."""
    _require_manager(by, session)
    today = today or clock.today()
    assessed_on = assessed_on or session.date
    errors = _check_person(session, user, today)
    if score is None or not 0 <= score <= 100:
        errors["score"] = [_("The score must be a whole number from 0 to 100.")]
    if not assessor.strip():
        errors["assessor"] = [_("Give the assessor's name.")]
    if assessed_on > today:
        errors["assessed_on"] = [_("The assessment date cannot be in the future.")]
    elif assessed_on < session.date:
        errors["assessed_on"] = [_("The assessment cannot be before the session.")]
    if errors:
        raise ValidationError(errors)
    assert score is not None  # noqa: S101 - checked above
    if passed is None:
        passed = score >= PASS_MARK
    Attendance.objects.update_or_create(
        session=session, user=user, defaults={"attended": True, "recorded_by": by}
    )
    result, _created = Result.objects.update_or_create(
        session=session,
        user=user,
        defaults={
            "score": score,
            "passed": passed,
            "assessor": assessor.strip(),
            "assessed_on": assessed_on,
            "recorded_by": by,
        },
    )
    certification_recompute(user=user, today=today)
    return result


def training_policy_save(*, by: User, district: Region, lapsed_blocks_work: bool) -> TrainingPolicy:
    if not permissions.manages_region(by, district) or district.level != Level.DISTRICT:
        raise PermissionDenied(_("Only the district's civil-affairs staff change its setting."))
    return district_rule_save(
        rule=TrainingPolicy(district=district),
        by=by,
        data={"lapsed_blocks_work": lapsed_blocks_work},
    )
