"""Registering a child and updating its archive: identity (ID number, name, pinyin keys),
duplicate IDs, scope, the village, the derived key-child facts, history. Views, the API and
the roster importer all call `child_save`, so every rule is applied in one place."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from children import crypto, idnumber, risk, rules
from children.choices import ADULT_AGE, ENTRUSTED, CloseReason, Gender, Health, Status
from children.family import child_facts, parents_check, parents_of, parents_save
from children.fields import CHILD_FIELDS
from children.models import CategoryTag, Child
from core import clock, permissions
from core.regions import Level
from core.text import clean_name
from org.models import Region, User, phone_validator
from visits import cadence

# A registration is for a child: under 18 (ADULT_AGE), or up to MAX_AGE_WITH_REASON with the
# reason the archive is kept past 18 (a policy case).
MAX_AGE_WITH_REASON = 25
# Real province-level codes (GB/T 2260): an ID's area code outside them is worth a warning.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


@dataclass
class ChildInput:
    """Everything a registration or an update supplies."""

    village: Region | None  # None only while a page checks a form that is not valid yet
    fields: dict[str, Any]
    id_number: str = ""
    carer_id_number: str = ""
    categories: list[str] = field(default_factory=list)
    # {"father": {...}, "mother": {...}}; a relation left out or with no status is not recorded.
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class SaveResult:
    child: Child
    created: bool
    changed: bool
    warnings: list[str]


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials, lower-case without spaces: 张小明 -> zhangxiaoming, zxm."""
    syllables = [s.lower() for s in lazy_pinyin(name, errors="ignore")]
    initials = [s.lower() for s in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")]
    return "".join(syllables)[:200], "".join(initials)[:50]


class DuplicateChild(ValidationError):
    """The ID number is already registered; `existing` is set only when the user may see it."""

    def __init__(self, message: str, existing: Child | None, *, moved_away: bool = False) -> None:
        super().__init__({"id_number": [message]}, code="duplicate")
        self.existing = existing
        # The archive was closed as moved away from another village: its transfer is offered
        # (transfers.services.transfer_claim) instead of a second archive.
        self.moved_away = moved_away


def _validate(
    by: User, data: ChildInput, today: datetime.date, instance: Child | None
) -> tuple[idnumber.IdFacts | None, list[str], dict[str, list[str]]]:
    """Every rule, all at once: the facts of a valid ID number, the warnings and the errors
    by field. Gender and date of birth left empty are taken from a valid ID number."""
    errors: dict[str, list[str]] = {}
    warnings: list[str] = []

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    f = data.fields
    for key in ("name", "carer_name"):
        if f.get(key) or key == "name":
            try:
                f[key] = clean_name(f.get(key) or "")
            except ValidationError as exc:
                if key == "name" or f.get(key, "").strip():
                    err(key, exc.messages[0])
    for relation, parent in (data.parents or {}).items():
        if parent.get("name"):
            try:
                parent["name"] = clean_name(parent["name"])
            except ValidationError as exc:
                err(f"{relation}_name", exc.messages[0])
    if data.village is None or data.village.level != Level.VILLAGE:
        err("village", _("Choose a village or community."))
    elif (
        not Region.objects.villages_in(permissions.archive_scope(by))
        .filter(pk=data.village.pk)
        .exists()
    ):
        err("village", _("This village is outside the regions where you keep archives."))

    facts = None
    if data.id_number:
        try:
            facts = idnumber.parse(data.id_number, today)
        except ValidationError as exc:
            for message in exc.messages:
                err("id_number", message)
    # Gender and date of birth may be left to a valid ID number (as the roster and the API).
    for key, derived, missing in (
        ("birth_date", facts.birth_date if facts else None,
         _("Give the date of birth or the ID number.")),
        ("gender", facts.gender if facts else None, _("Give the gender or the ID number.")),
    ):  # fmt: skip
        if key in f and not f[key]:
            if derived is not None:
                f[key] = derived
            elif not data.id_number:  # a bad ID number: its own error says what to fix
                err(key, missing)
    birth = f.get("birth_date") or (facts.birth_date if facts else None)
    if birth and birth > today:
        err("birth_date", _("The date of birth cannot be in the future."))
    if birth and (instance is None or instance.birth_date != birth):
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        if age >= MAX_AGE_WITH_REASON:
            err(
                "birth_date",
                _("A child born on %(date)s would be %(age)d: check the date of birth.")
                % {"date": birth.isoformat(), "age": age},
            )
        elif age >= ADULT_AGE and not (f.get("over_age_reason") or "").strip():
            err(
                "birth_date",
                _(
                    "This child is %(age)d, older than 18: record why the archive is kept "
                    "(reason for keeping past 18), or check the date of birth."
                )
                % {"age": age},
            )
    if facts:
        if birth and birth != facts.birth_date:
            err(
                "birth_date",
                _("The date of birth differs from the ID number (%(date)s).")
                % {"date": facts.birth_date.isoformat()},
            )
        if f.get("gender") and f["gender"] != facts.gender:
            err(
                "gender",
                _("The gender differs from the ID number (%(gender)s).")
                % {"gender": Gender(facts.gender).label},
            )
        if facts.area_code[:2] not in PROVINCE_CODES:
            warnings.append(
                _("The area code %(code)s of the ID number is not a known province; check it.")
                % {"code": facts.area_code}
            )
    if data.carer_id_number:
        try:
            idnumber.parse(data.carer_id_number, today)
        except ValidationError as exc:
            for message in exc.messages:
                err("carer_id_number", message)

    for date_field in ("entrustment_signed_on",):
        if f.get(date_field) and f[date_field] > today:
            err(date_field, _("This date cannot be in the future."))
    if f.get("carer_phone"):
        try:
            phone_validator(f["carer_phone"])
        except ValidationError as exc:
            err("carer_phone", exc.messages[0])
    if f.get("guardian_type") in ENTRUSTED:
        if not f.get("carer_name"):
            err("carer_name", _("Name the entrusted carer."))
        if not f.get("carer_capacity"):
            err("carer_capacity", _("Assess the entrusted carer's capacity."))
    if f.get("health") in (Health.DISABLED, Health.DISABLED_AND_ILL) and not f.get(
        "disability_type"
    ):
        err("disability_type", _("Give the type of disability."))
    if f.get("health") in (Health.ILL, Health.DISABLED_AND_ILL) and not f.get("illness"):
        err("illness", _("Name the illness."))

    for name, messages in parents_check(data.parents, today).items():
        for message in messages:
            err(name, message)

    return facts, warnings, errors


def _check(
    by: User, data: ChildInput, today: datetime.date, instance: Child | None
) -> tuple[idnumber.IdFacts | None, list[str]]:
    """The rules and the duplicate check in one round. A duplicate alone raises DuplicateChild
    (which may name the existing child); with other errors, it joins them."""
    facts, warnings, errors = _validate(by, data, today, instance)
    try:
        _check_duplicate(
            by, crypto.lookup_hash(facts.number) if facts else None, instance, data.village
        )
    except DuplicateChild as duplicate:
        if not errors:
            raise
        errors.setdefault("id_number", []).extend(duplicate.messages)
    if errors:
        raise ValidationError(errors)
    return facts, warnings


def _check_duplicate(
    by: User, id_hash: str | None, instance: Child | None, village: Region | None = None
) -> None:
    if not id_hash:
        return
    others = Child.objects.filter(id_hash=id_hash)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    existing = others.first()
    if existing is None:
        return
    visible = Child.objects.visible_to(by).filter(pk=existing.pk).exists()
    if (
        instance is None
        and existing.status == Status.CLOSED
        and existing.close_reason == CloseReason.MOVED_AWAY
        and (village is None or existing.village_id != village.pk)
    ):
        # Closed as moved away from another village: the child has arrived here. Offer the
        # transfer of that archive, and say nothing more of it than the closing.
        raise DuplicateChild(
            _(
                "This child's archive was closed as moved away from another village: request "
                "its transfer to your village instead of registering the child again."
            ),
            existing if visible else None,
            moved_away=True,
        )
    if visible:
        raise DuplicateChild(
            _("This child is already registered: %(name)s.") % {"name": existing.name}, existing
        )
    # Out of scope: reveal nothing about the child, not even the district.
    raise DuplicateChild(
        _(
            "A child with this ID number is already registered elsewhere. Contact your "
            "district civil-affairs office, which can arrange the transfer."
        ),
        None,
    )


def child_check(
    *, by: User, data: ChildInput, instance: Child | None, today: datetime.date | None = None
) -> None:
    """Raise the ValidationError (or DuplicateChild) `child_save` would raise for `data` on
    `instance` (None: a registration), saving nothing: for a merge that applies only part of
    what was sent, so that a bad value is refused even where it is not applied
    (children.merge), and for a page or a roster row whose own checks failed, so that the
    rules' errors are shown with theirs in one round (`data.village` may then be None)."""
    _check(by, data, today or clock.today(), instance)


def child_save(
    *,
    by: User,
    data: ChildInput,
    instance: Child | None = None,
    today: datetime.date | None = None,
    client_token: uuid.UUID | None = None,
    reason: str = "",
) -> SaveResult:
    """Register a child (instance None) or update one, with parents and categories, in one
    transaction. Raises ValidationError keyed by field; returns warnings that do not block."""
    today = today or clock.today()
    if instance is None and client_token is not None:
        earlier = Child.objects.visible_to(by).filter(client_token=client_token).first()
        if earlier is not None:  # the same form submitted again (a phone retrying)
            return SaveResult(earlier, created=False, changed=False, warnings=[])
    facts, warnings = _check(by, data, today, instance)
    id_hash = crypto.lookup_hash(facts.number) if facts else None
    village = data.village
    if village is None:  # refused by _validate already
        raise ValidationError({"village": [_("Choose a village or community.")]})

    with transaction.atomic():
        child = instance if instance is not None else Child(created_by=by)
        if instance is not None:
            # Lock the row: two people editing the same archive save one after the other.
            Child.objects.select_for_update().filter(pk=instance.pk).first()
        before_parents = parents_of(child) if child.pk else {}
        before_categories = set(child.category_codes()) if child.pk else set()
        dirty = child.pk is None
        for key in CHILD_FIELDS:
            if key in data.fields:
                value = data.fields[key]
                if value is None and key not in ("entrustment_signed_on",):
                    value = "" if not isinstance(getattr(child, key, ""), bool) else False
                if getattr(child, key) != value:
                    setattr(child, key, value)
                    dirty = True
        moved = child.village_id != village.pk
        if moved:
            child.village = village
            child.region_code = village.code
            dirty = True
        if facts is not None and (child.id_hash != id_hash):
            child.set_id_number(facts.number)
            dirty = True
        elif facts is None and not data.id_number and child.id_hash:
            child.set_id_number("")
            dirty = True
        if data.carer_id_number != child.carer_id:
            child.set_carer_id(
                idnumber.normalize(data.carer_id_number) if data.carer_id_number else ""
            )
            dirty = True
        if facts is not None and not child.birth_date:
            child.birth_date = facts.birth_date
        child.name_pinyin, child.name_initials = pinyin_keys(child.name)

        merged_parents = {**before_parents, **data.parents}
        reasons = rules.key_reasons(child_facts(child, merged_parents, data.categories))
        key_changed = child.is_key != bool(reasons)
        risk_inputs_changed = moved or child.key_reasons != reasons
        if child.is_key != bool(reasons) or child.key_reasons != reasons:
            child.is_key, child.key_reasons = bool(reasons), reasons
            dirty = True
        parents_changed = merged_parents != before_parents
        categories_changed = set(data.categories) != before_categories
        created = child.pk is None
        if dirty or categories_changed:
            if created:
                child.client_token = client_token
            # One history row per save, holding the categories too: write the row and its
            # categories without history first, then save once with history.
            child.skip_history_when_saving = True  # type: ignore[attr-defined]
            try:
                if created:
                    try:
                        with transaction.atomic():
                            child.save()
                    except IntegrityError:
                        # A concurrent registration of the same ID number won the race.
                        _check_duplicate(by, id_hash, instance, village)
                        raise
                if categories_changed:
                    CategoryTag.objects.bulk_create(
                        [CategoryTag(code=c) for c in data.categories], ignore_conflicts=True
                    )
                    child.categories.set(data.categories)  # type: ignore[arg-type]
            finally:
                del child.skip_history_when_saving  # type: ignore[attr-defined]
            child._history_user = by  # type: ignore[attr-defined]
            child._change_reason = reason  # type: ignore[attr-defined]
            child.save()
        if parents_changed:
            parents_save(by=by, child=child, parents=data.parents)
        level_changed = False
        if created or risk_inputs_changed:
            level_changed = risk.risk_archive_update(child=child, key_reasons=reasons)
        if created or key_changed or level_changed:
            # The visit cadence follows registration, key status and the risk level.
            cadence.recompute(child)
    warnings += [str(w) for w in rules.eligibility_warnings(
        child_facts(child, merged_parents, data.categories), today
    )]  # fmt: skip
    return SaveResult(
        child,
        created=created,
        changed=created or dirty or categories_changed or parents_changed,
        warnings=warnings,
    )
