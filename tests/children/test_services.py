import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from children import crypto
from children.closing import age_reviews_mark
from children.models import Child
from children.registration import DuplicateChild, child_save
from tests.factories import CHENGUANG, XINGCHENG, ZHIDA, child_input, make_child, make_id

BIRTH = datetime.date(2015, 3, 8)


def test_register_stores_the_id_encrypted_with_a_lookup_hash(people):
    number = make_id(BIRTH, "M")
    child = make_child(people["director"], id_number=number)
    child.refresh_from_db()
    assert child.id_number == number
    assert child.id_masked == number[:6] + "********" + number[-4:]
    assert child.id_hash == crypto.lookup_hash(number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_cipher FROM children_child WHERE id = %s", [child.pk])
        (stored,) = cursor.fetchone()
    assert number not in stored
    assert child.region_code == ZHIDA
    assert child.name_pinyin == "zhangxiaoming"
    assert child.name_initials == "zxm"
    assert child.category_codes() == ["rural_left_behind"]
    assert child.parents.count() == 2


def test_birth_date_and_gender_must_agree_with_the_id(people):
    data = child_input(id_number=make_id(BIRTH, "F"))
    data.fields["gender"] = "M"
    data.fields["birth_date"] = datetime.date(2015, 3, 9)
    with pytest.raises(ValidationError) as exc:
        child_save(by=people["director"], data=data)
    assert set(exc.value.message_dict) == {"gender", "birth_date"}
    assert not Child.objects.exists()


def test_a_village_outside_the_directors_scope_is_refused(people):
    with pytest.raises(ValidationError) as exc:
        child_save(by=people["director"], data=child_input(XINGCHENG))
    assert "village" in exc.value.message_dict


def test_supervisors_do_not_register_children(people):
    with pytest.raises(ValidationError):
        child_save(by=people["supervisor"], data=child_input(ZHIDA))


def test_duplicate_in_scope_links_to_the_existing_child(people):
    number = make_id(BIRTH, "M")
    first = make_child(people["director"], id_number=number)
    with pytest.raises(DuplicateChild) as exc:
        make_child(people["civil"], id_number=number)
    assert exc.value.existing == first


def test_duplicate_out_of_scope_reveals_nothing(people):
    number = make_id(BIRTH, "M")
    make_child(people["director"], id_number=number, name="王秘密")
    with pytest.raises(DuplicateChild) as exc:
        make_child(people["other_director"], CHENGUANG, id_number=number)
    assert exc.value.existing is None
    message = " ".join(exc.value.messages)
    assert "王秘密" not in message and "北碚" not in message and "志达" not in message
    assert Child.objects.count() == 1


def test_the_same_submission_twice_creates_one_child(people):
    token = uuid.uuid4()
    data = child_input()
    first = child_save(by=people["director"], data=data, client_token=token)
    second = child_save(by=people["director"], data=data, client_token=token)
    assert first.created and not second.created
    assert first.child.pk == second.child.pk
    assert Child.objects.count() == 1


def test_key_child_is_derived_and_stored(people):
    child = make_child(people["director"], schooling="dropped_out", health="disabled",
                       disability_type="physical")  # fmt: skip
    assert child.is_key
    assert child.key_reasons == ["child_disabled", "dropped_out"]


def test_every_change_is_kept_with_who(people):
    child = make_child(people["director"])
    data = child_input(id_number=child.id_number, school_name="静观中学", schooling="junior")
    result = child_save(by=people["civil"], data=data, instance=child)
    assert result.changed
    records = list(child.history.order_by("history_date"))
    assert len(records) == 2
    assert records[-1].history_user == people["civil"]
    delta = records[-1].diff_against(records[0])
    assert {c.field for c in delta.changes} >= {"school_name", "schooling"}


def test_saving_without_changes_writes_no_history(people):
    child = make_child(people["director"])
    data = child_input(id_number=child.id_number)
    result = child_save(by=people["director"], data=data, instance=child)
    assert not result.changed
    assert child.history.count() == 1


def test_eligibility_warnings_come_back(people):
    result = child_save(by=people["director"], data=child_input(categories=["poverty"]))
    assert result.warnings  # both parents away, under 16, not marked left-behind


def test_age_review_flags_left_behind_only_at_16_and_everyone_at_18(people):
    today = datetime.date(2026, 11, 23)
    at_16 = make_child(people["director"], birth_date=datetime.date(2010, 11, 1))
    at_16_poor = make_child(
        people["director"], birth_date=datetime.date(2010, 10, 1),
        categories=["rural_left_behind", "poverty"],
    )  # fmt: skip
    at_18 = make_child(
        people["director"],
        birth_date=datetime.date(2008, 11, 2),
        categories=["poverty"],
        over_age_reason="在校就读",  # 18 by today: registering needs the reason
    )
    young = make_child(people["director"])
    assert age_reviews_mark(today=today) == 2
    flagged = set(Child.objects.filter(age_review_due=True).values_list("pk", flat=True))
    assert flagged == {at_16.pk, at_18.pk}
    assert at_16_poor.pk not in flagged and young.pk not in flagged
    assert Child.objects.filter(status="active").count() == 4  # nothing closes by itself
