"""Registration and editing (issue 15, item 5): gender and date of birth from a valid ID
number, and every error of the form (the form's own and the rules') shown in one round."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from children import idnumber
from children.models import Child
from core import clock as app_clock
from tests.children.test_pages import BIRTH, registration_post
from tests.factories import ZHIDA, make_child, make_id


@pytest.fixture
def village(people):
    from org.models import Region

    return Region.objects.get(code=ZHIDA)


def field_errors(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(
        r'data-field-error="([\w-]+)">([^<]*)<', response.content.decode()
    ):
        found.setdefault(name, []).append(message)
    return found


def wrong_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_every_error_of_the_registration_is_shown_in_one_round(people, client, village):
    """One required field empty, a wrong check character and a future date of birth: all
    three are flagged on the first submit (the rules used to wait for the form to be valid)."""
    client.force_login(people["director"])
    future = app_clock.today() + datetime.timedelta(days=30)
    response = client.post(
        reverse("children:create"),
        registration_post(
            village=village.pk,
            hukou_address="",
            id_number=wrong_check(make_id(BIRTH, "F")),
            birth_date=future.isoformat(),
            carer_phone="12",
        ),
    )
    assert response.status_code == 400
    errors = field_errors(response)
    with translation.override("zh-hans"):
        checksum = str(idnumber.ERROR_MESSAGES[idnumber.ID_CHECKSUM])
        future_message = _("The date of birth cannot be in the future.")
    assert {"hukou_address", "id_number", "birth_date", "carer_phone"} <= set(errors)
    assert errors["id_number"] == [checksum]
    assert future_message in errors["birth_date"]
    assert len(errors["hukou_address"]) == 1  # the form's message, not the rules' again
    assert not Child.objects.exists()


def test_a_duplicate_id_is_flagged_with_the_forms_own_errors(people, client, village):
    number = make_id(BIRTH, "F")
    make_child(people["director"], id_number=number, gender="F")
    client.force_login(people["director"])
    response = client.post(
        reverse("children:create"),
        registration_post(village=village.pk, id_number=number, name="", client_token=""),
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert {"name", "id_number"} <= set(errors)


def test_the_edit_page_shows_every_error_in_one_round(people, client):
    child = make_child(people["director"])
    client.force_login(people["director"])
    future = app_clock.today() + datetime.timedelta(days=3)
    data = registration_post(
        village=child.village_id,
        id_number="",
        birth_date=child.birth_date.isoformat(),
        gender=child.gender,
        schooling="",  # required by the form
        entrustment_signed_on=future.isoformat(),  # refused by the rules
    )
    response = client.post(reverse("children:edit", args=[child.pk]), data)
    assert response.status_code == 400
    assert {"schooling", "entrustment_signed_on"} <= set(field_errors(response))


def test_gender_and_birth_date_come_from_a_valid_id_number(people, client, village):
    client.force_login(people["director"])
    number = make_id(BIRTH, "F")
    data = registration_post(village=village.pk, id_number=number, birth_date="")
    del data["gender"]
    response = client.post(reverse("children:create"), data)
    assert response.status_code == 302, field_errors(response)
    child = Child.objects.get()
    assert child.birth_date == BIRTH
    assert child.gender == "F"


def test_without_an_id_number_gender_and_birth_date_are_asked_for(people, client, village):
    client.force_login(people["director"])
    data = registration_post(village=village.pk, id_number="", birth_date="")
    del data["gender"]
    response = client.post(reverse("children:create"), data)
    assert response.status_code == 400
    errors = field_errors(response)
    with translation.override("zh-hans"):
        assert errors["birth_date"] == [_("Give the date of birth or the ID number.")]
        assert errors["gender"] == [_("Give the gender or the ID number.")]
    assert not Child.objects.exists()


def test_a_gender_given_against_the_id_number_is_still_refused(people, client, village):
    client.force_login(people["director"])
    response = client.post(
        reverse("children:create"),
        registration_post(village=village.pk, id_number=make_id(BIRTH, "F"), gender="M"),
    )
    assert response.status_code == 400
    assert "gender" in field_errors(response)


def test_the_form_page_carries_the_phone_side_id_check(people, client):
    client.force_login(people["director"])
    body = client.get(reverse("children:create")).content.decode()
    assert 'id="carecase-id-messages"' in body
    assert "carecase/idnumber" in body and "carecase/child_form" in body
