"""The child's dossier (儿童档案) as a PDF: the whole archive on A4 pages, rendered by
WeasyPrint from templates/children/dossier.html. The visits and mandatory reports are added
from above the archive by casefile.dossier (templates/casefile/dossier.html extends this one),
which serves the page.

Nothing is fetched while rendering: the only resource the page may use is the child's photo,
passed in as a data: URI, and the URL fetcher refuses every other URL. The queries are fixed
in number (prefetches), whatever the number of records the archive holds.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import io
import logging
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from children import idnumber
from children.attachments import IMAGE_TYPES, read_image
from children.choices import AttachmentKind, Category
from children.fields import GUARDIANSHIP, HEALTH, IDENTITY, SCHOOLING
from children.models import (
    Assistance,
    Attachment,
    Child,
    ChildQuerySet,
    Problem,
    Referral,
    WorkNote,
)
from core import clock, permissions
from core.text import mask_phone
from org.models import User

if TYPE_CHECKING:
    from org.models import Region

logger = logging.getLogger(__name__)

EMPTY = "—"
PHOTO_MAX_PIXELS = (480, 600)  # enough for a 4 cm x 5 cm photo at 300 dpi
_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?),", re.S)

STATUS_FIELDS = ("status", "close_reason", "closed_on", "close_note", "new_address")
# Child fields compared between history records (diff_against compares editable fields): the
# sections of children.fields with the village, but not the reason for keeping past 18, and the
# closing fields.
HISTORY_FIELDS = (
    *IDENTITY,
    "village",
    *GUARDIANSHIP,
    *SCHOOLING,
    *HEALTH,
    *STATUS_FIELDS,
)
# Identity numbers are not editable fields and are compared here. They are never shown in
# clear: a change of ID number shows the masked numbers, a change of the carer's ID only that
# it changed.
HISTORY_SECRET_FIELDS = ("id_hash", "carer_id_cipher")
# Shown as the reader may read them (core.permissions.can_view_phone), old and new alike.
PHONE_FIELDS = frozenset({"carer_phone"})


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime.datetime
    who: str
    action: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def dossier_queryset() -> ChildQuerySet:
    """Children with everything the dossier shows, in a fixed number of queries."""
    by = "created_by"
    return Child.objects.select_related("village__parent__parent", by).prefetch_related(
        "categories",
        "parents",
        Prefetch("assistances", queryset=Assistance.objects.select_related(by)),
        Prefetch("referrals", queryset=Referral.objects.select_related(by)),
        Prefetch("worknotes", queryset=WorkNote.objects.select_related(by)),
        Prefetch("problems", queryset=Problem.objects.select_related(by)),
        Prefetch("attachments", queryset=Attachment.objects.select_related(by)),
    )


def _field(model: type[models.Model] | models.Model, name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    if not isinstance(found, models.Field):
        raise TypeError(f"{name} is not a concrete field")
    return found


def _label(name: str) -> str:
    if name == "id_hash":
        return capfirst(str(_field(Child, "id_masked").verbose_name))
    if name == "carer_id_cipher":
        return capfirst(_("carer's ID number"))
    return capfirst(str(_field(Child, name).verbose_name))


def display(obj: models.Model, name: str) -> str:
    """A field's value as a person reads it: choice labels, 2026年11月22日, 是/否, '—'."""
    model_field = _field(obj, name)
    value = getattr(obj, model_field.attname)
    if value is None or value == "":
        return EMPTY
    if isinstance(model_field, models.BooleanField):
        return _("Yes") if value else _("No")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "DATE_FORMAT")
    return str(value)


def _rows(child: Child, names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(_label(name), display(child, name)) for name in names]


def _people(user: User) -> str:
    if user is None:
        return EMPTY
    return str(getattr(user, "real_name", "") or user.get_username())


def history(child: Child, *, full_phones: bool = False) -> list[HistoryEntry]:
    """The archive's change history, oldest first: who changed it, when, and what changed
    (three queries whatever its length); the carer's phone masked unless `full_phones`."""
    records = list(
        Child.history.filter(id=child.pk)
        .select_related("history_user", "village")
        .prefetch_related("historicalchild_categories_set")
        .order_by("history_date", "history_id")
    )
    actions = {"+": _("Registered"), "~": _("Changed"), "-": _("Deleted")}
    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        entry = HistoryEntry(
            at=record.history_date,
            who=_people(record.history_user),
            # The first record is the registration, whatever its type (the service writes
            # the row and its categories, then saves once with history).
            action=actions["+"]
            if previous is None
            else actions.get(record.history_type, record.history_type),
            reason=record.history_change_reason or "",
        )
        if previous is not None:
            delta = record.diff_against(previous, included_fields=HISTORY_FIELDS)
            changed = set(delta.changed_fields)
            changed.update(
                name
                for name in HISTORY_SECRET_FIELDS
                if getattr(previous, name) != getattr(record, name)
            )
            order = (*HISTORY_SECRET_FIELDS[:1], *HISTORY_FIELDS, *HISTORY_SECRET_FIELDS[1:])
            entry.changes.extend(
                _history_change(name, previous, record, full_phones)
                for name in order
                if name in changed
            )
            old_codes = _category_codes(previous)
            new_codes = _category_codes(record)
            if old_codes != new_codes:
                entry.changes.append(
                    Change(
                        capfirst(str(_field(Child, "categories").verbose_name)),
                        _category_labels(old_codes),
                        _category_labels(new_codes),
                    )
                )
        entries.append(entry)
        previous = record
    return entries


def _category_codes(record: Any) -> list[str]:
    return sorted(row.categorytag_id for row in record.historicalchild_categories_set.all())


def _category_labels(codes: list[str]) -> str:
    labels = dict(Category.choices)
    return "、".join(str(labels.get(code, code)) for code in codes) or EMPTY


def _history_change(name: str, old: Any, new: Any, full_phones: bool) -> Change:
    if name in PHONE_FIELDS and not full_phones:
        return Change(
            _label(name),
            mask_phone(getattr(old, name)) or EMPTY,
            mask_phone(getattr(new, name)) or EMPTY,
        )
    if name == "id_hash":
        return Change(_label(name), old.id_masked or EMPTY, new.id_masked or EMPTY)
    if name == "carer_id_cipher":
        return Change(_label(name), "…", "…")
    if name == "village":
        return Change(_label(name), _region_name(old), _region_name(new))
    return Change(_label(name), display(old, name), display(new, name))


def _region_name(record: Any) -> str:
    try:
        return str(record.village.name)
    except models.ObjectDoesNotExist:
        return str(record.village_id or EMPTY)


def photo_data_uri(child: Child) -> str | None:
    """The newest photo of the child as a small JPEG data: URI, or None."""
    for attachment in child.attachments.all():  # prefetched, newest first
        if attachment.kind != AttachmentKind.PHOTO or attachment.content_type not in IMAGE_TYPES:
            continue
        content = read_image(attachment)
        if content is None:
            continue
        try:
            with Image.open(io.BytesIO(content)) as image:
                picture = ImageOps.exif_transpose(image)
                picture.thumbnail(PHOTO_MAX_PIXELS)
                if picture.mode not in ("RGB", "L"):
                    background = Image.new("RGB", picture.size, "white")
                    rgba = picture.convert("RGBA")
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    picture = background
                out = io.BytesIO()
                picture.save(out, format="JPEG", quality=85)
        except Exception:  # a damaged photo must not stop the dossier
            logger.warning("Photo attachment %s could not be read", attachment.pk, exc_info=True)
            continue
        return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    return None


def identifiers(child: Child, user: User) -> dict[str, Any]:
    """ID numbers as `user` may read them: in full with the view_identifier permission,
    masked otherwise."""
    full = permissions.can_view_identifier(user)
    carer_id = child.carer_id
    return {
        "full": full,
        "child": (child.id_number if full else child.id_masked) or EMPTY,
        "carer": (carer_id if full else idnumber.mask(carer_id)) or EMPTY,
        "parents": {
            parent.pk: (parent.id_number if full else parent.id_masked) or EMPTY
            for parent in child.parents.all()
        },
    }


def phones(child: Child, user: User) -> dict[str, Any]:
    """The family's phone numbers as `user` may read them (core.permissions.can_view_phone):
    in full for the child director of the child's village and holders of view_identifier,
    masked otherwise."""
    full = permissions.can_view_phone(user, child.region_code)

    def shown(number: str) -> str:
        return (number if full else mask_phone(number)) or EMPTY

    return {
        "full": full,
        "carer": shown(child.carer_phone),
        "parents": {parent.pk: shown(parent.phone) for parent in child.parents.all()},
    }


def region_path(child: Child) -> str:
    """District, town and village (selected with the child, no further query)."""
    names: list[str] = []
    region: Region | None = child.village
    for _level in range(3):
        if region is None:
            break
        names.append(region.name)
        region = region.parent if region.parent_id and len(names) < 3 else None
    return " ".join(reversed(names))


def context(child: Child, user: User, now: datetime.datetime) -> dict[str, Any]:
    ids = identifiers(child, user)
    numbers = phones(child, user)
    parents = [
        (parent, ids["parents"][parent.pk], numbers["parents"][parent.pk])
        for parent in child.parents.all()
    ]
    # The identity and guardianship sections of children.fields, with the identity numbers.
    identity = _rows(child, IDENTITY)
    identity.insert(4, (_label("id_hash"), ids["child"]))
    guardianship = _rows(child, GUARDIANSHIP)
    guardianship[GUARDIANSHIP.index("carer_phone")] = (_label("carer_phone"), numbers["carer"])
    guardianship.insert(4, (_label("carer_id_cipher"), ids["carer"]))
    return {
        "child": child,
        "title": _("Child dossier"),
        "printed_at": timezone.localtime(now),
        "printed_by": _people(user),
        "region_path": region_path(child),
        "photo": photo_data_uri(child),
        "identity": identity,
        "categories": [str(tag) for tag in child.categories.all()],
        "key_reasons": child.key_reason_labels(),
        "parents": parents,
        "guardianship": guardianship,
        "schooling": _rows(child, SCHOOLING),
        "health": _rows(child, HEALTH),
        "status": _rows(child, STATUS_FIELDS),
        "assistance": list(child.assistances.all()),
        "referrals": list(child.referrals.all()),
        "notes": list(child.worknotes.all()),
        "problems": list(child.problems.all()),
        "attachments": list(child.attachments.all()),
        "history": history(child, full_phones=numbers["full"]),
        "empty": EMPTY,
    }


TEMPLATE = "children/dossier.html"


def render_html(
    child: Child,
    user: User,
    now: datetime.datetime | None = None,
    *,
    template: str = TEMPLATE,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The dossier's HTML. A layer above the archive (casefile.dossier) passes a template
    extending this one and the context of its own sections (`extra`)."""
    values = context(child, user, now or clock.now())
    values.update(extra or {})
    return render_to_string(template, values)


def url_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's fetcher: data: URIs only, never the network or the file system."""
    match = _DATA_URI.match(url)
    if match is None:
        raise ValueError("The dossier does not load external resources.")
    payload = url[match.end() :]
    mime = match.group("mime") or "text/plain"
    params = match.group("params") or ""
    try:
        if ";base64" in params.lower():
            data = base64.b64decode(payload, validate=False)
        else:
            data = urllib.parse.unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("Malformed data: URI.") from exc
    return {"string": data, "mime_type": mime}


def render_pdf(
    child: Child,
    user: User,
    now: datetime.datetime | None = None,
    *,
    template: str = TEMPLATE,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The dossier of `child` as printed by `user`. `child` should come from
    dossier_queryset() so that its records are prefetched. The page serves the whole dossier,
    visits and reports included: casefile.dossier.render_pdf."""
    from weasyprint import HTML

    html = render_html(child, user, now, template=template, extra=extra)
    pdf = HTML(string=html, url_fetcher=url_fetcher, media_type="print").write_pdf()
    return bytes(pdf)


_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f;]+')


def filename(child: Child, day: datetime.date) -> str:
    """儿童档案-张小明-2026-11-22.pdf (the prefix in the user's language)."""
    name = _UNSAFE_IN_NAME.sub("_", child.name).strip() or str(child.pk)
    return f"{_('Child dossier')}-{name}-{day.isoformat()}.pdf"


def content_disposition(child: Child, day: datetime.date) -> str:
    """`attachment` with an ASCII fallback name and the real one as RFC 5987 filename*."""
    fallback = f"dossier-{child.pk}-{day.isoformat()}.pdf"
    encoded = urllib.parse.quote(filename(child, day), safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


__all__ = [
    "content_disposition",
    "context",
    "dossier_queryset",
    "filename",
    "history",
    "render_html",
    "render_pdf",
    "url_fetcher",
]
