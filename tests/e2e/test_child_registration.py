import datetime

import pytest

from children.models import Child
from core import permissions
from org.models import User
from tests.factories import PASSWORD, make_id
from tests.signin import authenticator, current_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, url, username):
    """Sign in through the page; a person who must have a second factor types the code of
    their authenticator (enrolled for them here) on the step that follows."""
    person = User.objects.get(username=username)
    device = authenticator(person) if permissions.needs_two_factor(person) else None
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    # Until the next page's load event: its stylesheets applied, what is visible and how wide
    # is asked of the laid-out page (on a loaded machine the DOM can be queried before the CSS
    # has arrived).
    with page.expect_navigation(wait_until="load"):
        page.click("button[type=submit]")
    if device is not None:
        page.fill("input[name=code]", current_code(device))
        with page.expect_navigation(wait_until="load"):
            page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=current-user]", state="attached")


def test_director_registers_a_child_on_a_phone(live_server, people, phone, artifacts):
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/children/new/")
    number = make_id(datetime.date(2016, 5, 20), "F")
    phone.fill("input[name=name]", "陈小雨")
    phone.check("input[name=gender][value=F]")
    # A mistyped ID number first: the message appears next to the field, in Chinese.
    phone.fill("input[name=id_number]", number[:-1] + ("1" if number[-1] != "1" else "2"))
    phone.fill("input[name=birth_date]", "2016-05-20")
    phone.fill("input[name=hukou_address]", "重庆市北碚区静观镇")
    phone.fill("input[name=address]", "志达社区2组")
    phone.check("input[name=categories][value=rural_left_behind]")
    # The parents' sections hold no required field: closed until tapped (<details>).
    assert not phone.is_visible("input[name=father_name]")
    phone.click("[data-section=father] > summary")
    phone.click("[data-section=mother] > summary")
    phone.fill("input[name=father_name]", "陈大勇")
    phone.select_option("select[name=father_status]", "working_away")
    phone.fill("input[name=mother_name]", "周燕")
    phone.select_option("select[name=mother_status]", "working_away")
    phone.select_option("select[name=guardian_type]", "grandparents")
    phone.fill("input[name=carer_name]", "陈奶奶")
    phone.select_option("select[name=carer_capacity]", "capable")
    phone.select_option("select[name=guardianship_quality]", "good")
    phone.select_option("select[name=schooling]", "primary")
    with phone.expect_navigation(wait_until="load"):
        phone.click("main button[type=submit]")
    error = phone.inner_text("[data-field-error=id_number]")
    assert "校验" in error
    assert Child.objects.count() == 0
    wide = phone.evaluate(  # what sticks out, to say so if anything does
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 376)"
        ".map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"
        ".slice(0, 8)"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375, wide
    phone.screenshot(path=str(artifacts / "child-form-error-375.png"), full_page=True)

    phone.fill("input[name=id_number]", number)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=child-name]")
    assert "陈小雨" in phone.inner_text("[data-testid=child-name]")
    assert number not in phone.inner_text("body")  # masked for a director
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.screenshot(path=str(artifacts / "child-archive-375.png"), full_page=True)
    child = Child.objects.get()
    assert child.id_number == number and child.created_by.username == "director"
