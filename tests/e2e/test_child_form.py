"""The child form on a phone (issue 15, items 5 and 6): the date of birth and gender filled in
from the ID number as it is typed, collapsible sections that work without JavaScript, a save
bar that stays on screen and tap targets of at least 44 x 44 px."""

import datetime

import pytest
from django.utils import translation

from children import idnumber
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MIN = 44


def test_a_valid_id_number_fills_in_birth_date_and_gender(live_server, people, phone):
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/children/new/")
    number = make_id(datetime.date(2016, 5, 20), "F")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    phone.fill("input[name=id_number]", wrong)
    message = phone.inner_text("[data-id-check]")
    assert message == "身份证号校验位错误：请逐位核对。"
    assert phone.input_value("input[name=birth_date]") == ""  # nothing filled from a bad one
    phone.fill("input[name=id_number]", number)
    assert not phone.is_visible("[data-id-check]")
    assert phone.input_value("input[name=birth_date]") == "2016-05-20"
    assert phone.is_checked("input[name=gender][value=F]")
    # What the person chose is not overwritten by the next number.
    phone.check("input[name=gender][value=M]")
    phone.fill("input[name=id_number]", make_id(datetime.date(2016, 5, 20), "F"))
    assert phone.is_checked("input[name=gender][value=M]")


def test_the_form_has_sections_a_save_bar_and_big_tap_targets(
    live_server, people, phone, artifacts
):
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/children/new/")
    phone.screenshot(path=str(artifacts / "child-form-sections-375.png"))
    opened = phone.eval_on_selector_all(
        "form[data-child-form] details", "els => els.map(e => [e.dataset.section, e.open])"
    )
    assert dict(opened) == {
        "identity": True,  # the sections with a required field
        "father": False,
        "mother": False,
        "guardianship": True,
        "schooling": True,
        "health": True,
    }
    height = phone.viewport_size["height"]
    page_height = phone.evaluate("document.documentElement.scrollHeight")
    assert page_height > 2 * height  # a long form: the bar matters
    for y in (0, page_height // 2):
        phone.evaluate(f"window.scrollTo(0, {y})")
        box = phone.locator("[data-testid=save-bar] button[type=submit]").bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (y, box)
    phone.evaluate("window.scrollTo(0, 0)")

    small = phone.evaluate(
        """(min) => {
          const form = document.querySelector('form[data-child-form]');
          const targets = [
            ...form.querySelectorAll('.form-check'),  // a radio or checkbox with its label
            ...form.querySelectorAll('.form-check-label'),
            ...form.querySelectorAll('button, a.btn'),
            ...form.querySelectorAll('summary'),
          ];
          return targets.filter(el => el.offsetParent !== null).map(el => {
            const r = el.getBoundingClientRect();
            return [el.className || el.tagName, el.textContent.trim().slice(0, 12),
                    Math.round(r.width), Math.round(r.height)];
          }).filter(([, , w, h]) => w < min || h < min);
        }""",
        MIN,
    )
    assert small == []
    count = phone.evaluate("document.querySelectorAll('form[data-child-form] .form-check').length")
    assert count >= 8  # the gender radios, the categories, the yes/no boxes
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_sections_open_without_javascript_and_errors_open_theirs(live_server, people, browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "director")
        page.goto(f"{live_server.url}/children/new/")
        assert not page.is_visible("input[name=father_name]")
        page.click("[data-section=father] > summary")
        assert page.is_visible("input[name=father_name]")
        page.fill("input[name=father_name]", "陈大勇")  # but no situation: an error
        page.click("[data-section=father] > summary")
        page.click("[data-testid=save-bar] button[type=submit]")
        page.wait_for_selector("[data-field-error]", state="attached")
        assert page.is_visible("[data-field-error=father_status]")  # its section is open
        assert page.get_attribute("[data-section=father]", "open") is not None
        assert page.get_attribute("[data-section=mother]", "open") is None
        assert page.is_visible("[data-section=identity] [data-section-errors]")
        assert page.is_visible("[data-field-error=name]")
    finally:
        context.close()


def test_the_phone_messages_are_the_servers(live_server, people, phone):
    """The live message is the catalogue's, as the server words it (no second copy)."""
    with translation.override("zh-hans"):
        expected = str(idnumber.ERROR_MESSAGES[idnumber.ID_LENGTH]) % {"n": 5}
    sign_in(phone, live_server.url, "director")
    phone.goto(f"{live_server.url}/children/new/")
    phone.fill("input[name=id_number]", "12345")
    phone.dispatch_event("input[name=id_number]", "change")
    assert phone.inner_text("[data-id-check]") == expected
