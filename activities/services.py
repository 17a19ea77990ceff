"""Recording a care activity: `activity_record` (the activity, who took part and its photos,
in one transaction; the same client id again returns the first activity), the regions a
person may organise for, and who may set the district's activity rule."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityKind, ActivityPhoto, Attendance, SafetyTopic
from children.attachments import validate_upload
from children.choices import Status
from children.models import Child
from core import clock, permissions, storage, uploads
from core.regions import Level, district_code
from core.roles import Role
from core.scoping import get_scope, role_scope
from org.models import Region, User
from providers.models import ServiceProvider

MAX_CHILDREN = 500
MAX_PHOTOS = 10
# Who organises for which level of area: a director her village, a supervisor her town or a
# village in it, district staff the district or a town in it.
ORGANISER_ROLES = (Role.CHILD_DIRECTOR, Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE)


@dataclass
class ActivityInput:
    region: Region
    kind: str
    title: str
    held_on: datetime.date
    place: str
    provider: ServiceProvider | None = None
    topics: list[str] = field(default_factory=list)
    volunteers: str = ""
    notes: str = ""


def organiser_regions(user: User) -> list[Region]:
    """The areas `user` may record an activity for, in code order (one query): each region
    of her data assignments and the level below it (a town's villages, a district's towns)."""
    scope = role_scope(user, *ORGANISER_ROLES)
    assigned = scope.regions()
    if not assigned:
        return []
    lower = [r.pk for r in assigned if r.level != Level.VILLAGE]
    return list(
        Region.objects.filter(Q(pk__in=[r.pk for r in assigned]) | Q(parent_id__in=lower))
        .filter(level__in=[Level.VILLAGE, Level.TOWN, Level.DISTRICT])
        .order_by("code")
    )


def may_record(user: User) -> bool:
    return permissions.can_add_records(user) and bool(role_scope(user, *ORGANISER_ROLES).prefixes)


def providers_for(region: Region) -> Any:
    """The active providers of `region`'s district."""
    return ServiceProvider.objects.filter(
        district__code=district_code(region.code), active=True
    ).order_by("name")


def _validate(
    by: User,
    values: ActivityInput,
    children: Sequence[Child],
    photos: Sequence[UploadedFile],
    today: datetime.date,
) -> None:
    errors: dict[str, list[str]] = {}
    region = values.region
    if region.level not in (Level.VILLAGE, Level.TOWN, Level.DISTRICT) or not role_scope(
        by, *ORGANISER_ROLES
    ).covers(region.code):
        errors["region"] = [_("You do not organise activities for this area.")]
    if values.kind not in ActivityKind.values:
        errors["kind"] = [_("Choose the type of activity.")]
    topics = list(values.topics)
    if any(t not in SafetyTopic.values for t in topics):
        errors["topics"] = [_("Choose the topics from the list.")]
    elif topics and values.kind != ActivityKind.SAFETY:
        errors["topics"] = [_("Topics are for safety-education activities only.")]
    if not values.title.strip():
        errors["title"] = [_("Give the activity a title.")]
    elif len(values.title) > 100:
        errors["title"] = [_("At most 100 characters.")]
    if not values.place.strip():
        errors["place"] = [_("Say where the activity was held.")]
    elif len(values.place) > 200:
        errors["place"] = [_("At most 200 characters.")]
    if len(values.volunteers) > 300:
        errors["volunteers"] = [_("At most 300 characters.")]
    if values.held_on > today:
        errors["held_on"] = [_("An activity is recorded once it has been held: not a future date.")]
    elif values.held_on.year < today.year - 1:
        errors["held_on"] = [_("Only this year's and last year's activities can be recorded.")]
    if values.provider is not None and (
        not values.provider.active or values.provider.district.code != district_code(region.code)
    ):
        errors["provider"] = [_("Choose an active service provider of the area's district.")]
    errors.update(_children_errors(by, region, children))
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("At most %(n)d photos.") % {"n": MAX_PHOTOS}]
    else:
        for photo in photos:
            try:
                validate_upload(photo)
            except ValidationError as exc:
                name = uploads.clean_filename(photo.name or "")
                errors.setdefault("photos", []).extend(
                    f"{name}: {message}" for message in exc.message_dict.get("file", [])
                )
    if errors:
        raise ValidationError(errors)


def _children_errors(by: User, region: Region, children: Sequence[Child]) -> dict[str, list[str]]:
    """Each child must be one `by` may see, active, and in the organising area. A child out
    of `by`'s scope is never named (the message says nothing of who it is)."""
    if len(children) > MAX_CHILDREN:
        return {"children": [_("At most %(n)d children.") % {"n": MAX_CHILDREN}]}
    ids = [c.pk for c in children]
    visible = set(Child.objects.visible_to(by).filter(pk__in=ids).values_list("pk", flat=True))
    messages: list[str] = []
    if len(visible) < len(set(ids)):
        messages.append(_("A child chosen is not in your regions."))
    for child in children:
        if child.pk not in visible:
            continue
        if not child.region_code.startswith(region.prefix):
            messages.append(
                _("%(name)s is not in the area of the activity.") % {"name": child.name}
            )
        elif child.status != Status.ACTIVE:
            messages.append(_("%(name)s's archive is closed.") % {"name": child.name})
    return {"children": messages} if messages else {}


def activity_record(
    *,
    by: User,
    values: ActivityInput,
    children: Sequence[Child] = (),
    photos: Sequence[UploadedFile] = (),
    client_uuid: uuid.UUID | None = None,
    today: datetime.date | None = None,
) -> tuple[Activity, bool]:
    """Record an activity with the children who took part and its photos, all or nothing.
    Returns (activity, created); the same `client_uuid` again returns the first activity and
    saves nothing. Raises ValidationError keyed by field."""
    today = today or clock.today()
    if client_uuid is not None:
        earlier = Activity.objects.visible_to(by).filter(client_uuid=client_uuid).first()
        if earlier is not None:  # a phone retrying the same submission
            return earlier, False
    permissions.require_work(by)
    if not may_record(by):
        raise PermissionDenied(_("Your role does not record activities."))
    children = list({c.pk: c for c in children}.values())
    _validate(by, values, children, photos, today)
    activity = Activity(
        region=values.region,
        region_code=values.region.code,
        provider=values.provider,
        kind=values.kind,
        topics=list(values.topics),
        title=values.title.strip(),
        held_on=values.held_on,
        place=values.place.strip(),
        volunteers=values.volunteers.strip(),
        notes=values.notes.strip(),
        created_by=by,
    )
    if client_uuid is not None:
        activity.client_uuid = client_uuid
    stored: list[ActivityPhoto] = []
    try:
        with transaction.atomic():
            activity.save()
            Attendance.objects.bulk_create(
                [Attendance(activity=activity, child=child) for child in children]
            )
            for upload in photos:
                file_type = validate_upload(upload)
                photo = ActivityPhoto(
                    activity=activity,
                    original_name=uploads.clean_filename(upload.name or ""),
                    content_type=file_type.content_type,
                    size=upload.size or 0,
                )
                storage.save_file(
                    photo.file, f"photo.{file_type.extension}", upload, field="photos"
                )
                stored.append(photo)
                photo.save()
    except BaseException as exc:
        # Nothing half-saved: no row was written, so no file may stay either.
        for photo in stored:
            storage.discard(photo.file.storage, photo.file.name)
        if isinstance(exc, IntegrityError) and client_uuid is not None:
            earlier = Activity.objects.visible_to(by).filter(client_uuid=client_uuid).first()
            if earlier is not None:  # a concurrent retry won the race
                return earlier, False
            raise ValidationError(
                {"client_uuid": [_("This id has already been used for another activity.")]}
            ) from None
        raise
    return activity, True


def may_set_rule(user: User) -> list[Region]:
    """The districts whose activity rule `user` sets: civil affairs of the district."""
    return [r for r in permissions.managed_districts(user) if r.level == Level.DISTRICT]


def sees_activities(user: User) -> bool:
    return bool(get_scope(user).prefixes)
