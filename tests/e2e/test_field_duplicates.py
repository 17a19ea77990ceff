"""The field app's registration meets a likely duplicate: the phone lists the candidates and
registers anyway when the director says it is not the same child (Chromium at 375 px)."""

import datetime

import pytest

from children.models import Child, NotDuplicate
from tests.duplicates.conftest import no_id_child
from tests.e2e.test_child_registration import sign_in
from tests.e2e.test_offline import (
    fill_registration,
    go_offline,
    go_online,
    open_field,
    wait_all_sent,
)
from tests.factories import make_child, make_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_likely_duplicate_is_shown_and_registered_anyway(live_server, gateway, people, phone):
    director = people["director"]
    make_child(director, name="陈小雨")  # the phone needs a child to open "my work"
    birth = datetime.date(2017, 3, 8)
    existing = no_id_child(director, name="赵小华", birth_date=birth, gender="F")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    fill_registration(phone, make_id(birth, "F"))  # 赵小花: one character from 赵小华
    phone.click("form[data-entry=child] button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")
    go_online(phone, gateway)
    phone.goto(f"{url}/field/#/outbox")
    phone.wait_for_selector("[data-state=conflict]")
    assert Child.objects.count() == 2
    phone.click("[data-testid=settle]")
    phone.wait_for_selector("[data-testid=likely-duplicates]")
    assert "赵小华" in phone.inner_text("[data-testid=likely-duplicates]")
    phone.click("[data-testid=not-same-child]")
    wait_all_sent(phone, 1)
    new = Child.objects.get(name="赵小花")
    assert NotDuplicate.objects.filter(child=existing, other=new).exists()
