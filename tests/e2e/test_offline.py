"""A director's day with no network (issue 14), in Debian's Chromium at 375 px: the field app
opens from the phone's cache, entries wait in the outbox, and everything arrives exactly once
when the network returns. "No network" is both the browser offline and the server unreachable
(the gateway in front of the live server is switched off)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from rest_framework.test import APIClient

from children.models import Child, WorkNote
from core import clock as app_clock
from org.models import Assignment
from reports.models import MandatoryReport
from tests.e2e.test_child_registration import sign_in
from tests.factories import XINGCHENG, make_child, make_id
from visits.followups import FollowUpInput
from visits.models import FollowUp, Visit
from visits.services import visit_record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_field(page, url):
    """The field app, once online: the service worker controls the page and the director's
    children are on the phone."""
    page.goto(f"{url}/field/#/work")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")
    page.wait_for_selector("[data-testid=field-children] [data-child]")
    page.wait_for_selector("html[data-field-ready]", state="attached")


def go_offline(page, gateway):
    gateway.down()
    page.context.set_offline(True)


def go_online(page, gateway):
    gateway.up()
    page.context.set_offline(False)


def entries(page):
    return page.eval_on_selector_all(
        "[data-testid=outbox-entries] [data-entry]",
        "nodes => nodes.map(n => [n.dataset.kind, n.dataset.state])",
    )


def wait_all_sent(page, count, timeout=30000):
    try:
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=outbox-entries] [data-state=sent]')"
            ".length === n",
            arg=count,
            timeout=timeout,
        )
    except Exception:
        held = page.evaluate(
            "async () => (await (await CareCaseDB.open()).getAll('outbox'))"
            ".map(e => [e.kind, e.state, JSON.stringify(e.errors || e.conflict)])"
        )
        raise AssertionError(f"not all sent: {held}") from None


def log_visit(page, child_pk, kind, seen="", follow_up=None, date=None):
    page.goto(page.url.split("#")[0] + f"#/child/{child_pk}/visit")
    page.wait_for_selector("form[data-entry=visit] input[name=seen]")
    page.check(f"input[name=kind][value={kind}]")
    if seen:
        page.fill("input[name=seen]", seen)
    if date:
        page.fill("input[name=visit_date]", date)
    if follow_up:
        page.fill("input[name=follow_up_1]", follow_up[0])
        page.fill("input[name=follow_up_1_due]", follow_up[1])
    page.click("form[data-entry=visit] button[type=submit]")
    page.wait_for_selector("[data-testid=saved-on-phone]")


def fill_registration(page, number):
    page.goto(page.url.split("#")[0] + "#/register")
    page.wait_for_selector("form[data-entry=child] input[name=name]")
    page.fill("input[name=name]", "赵小花")
    page.fill("input[name=id_number]", number)
    page.fill("input[name=hukou_address]", "重庆市北碚区静观镇")
    page.fill("input[name=address]", "志达社区3组")
    page.check("input[name=categories][value=rural_left_behind]")
    # The parents are folded (no required field in them).
    page.click("form[data-entry=child] [data-section=father] > summary")
    page.fill("input[name=father_name]", "赵大")
    page.select_option("select[name=father_status]", "working_away")
    page.select_option("select[name=guardian_type]", "grandparents")
    page.fill("input[name=carer_name]", "赵奶奶")
    page.select_option("select[name=carer_capacity]", "capable")
    page.select_option("select[name=guardianship_quality]", "good")
    page.select_option("select[name=schooling]", "primary")


def test_a_day_with_no_network_arrives_once_report_first(
    live_server, gateway, people, phone, artifacts
):
    director = people["director"]
    rain = make_child(director, name="陈小雨")
    ming = make_child(director, name="李明")
    make_child(people["neighbour"], village_code=XINGCHENG, name="王五")  # not hers
    url = gateway.url
    today = app_clock.today()
    sign_in(phone, url, "director")
    open_field(phone, url)
    names = phone.eval_on_selector_all(
        "[data-testid=field-children] [data-child] a.fw-bold", "ns => ns.map(n => n.textContent)"
    )
    assert sorted(names) == sorted(["陈小雨", "李明"])

    go_offline(phone, gateway)
    # "My work" at its usual address: the service worker answers with the app.
    phone.goto(f"{url}/visits/")
    phone.wait_for_selector(f"[data-child='{rain.pk}']")
    assert phone.get_attribute("[data-testid=network-state]", "data-online") == "0"
    phone.click(f"[data-child='{rain.pk}'] a.fw-bold")
    phone.wait_for_selector("[data-testid=field-child-name]")
    assert "陈小雨" in phone.inner_text("[data-testid=field-child-name]")

    due = (today + datetime.timedelta(days=7)).isoformat()
    log_visit(phone, rain.pk, "home_visit", seen="孩子和奶奶", follow_up=("联系学校老师", due))
    log_visit(phone, rain.pk, "in_person")
    log_visit(phone, ming.pk, "in_person")

    # A new child, first with a wrong check character: the phone says so on the field.
    number = make_id(datetime.date(2017, 3, 8), "F")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    fill_registration(phone, wrong)
    phone.click("form[data-entry=child] button[type=submit]")
    error = phone.inner_text("[data-field-error=id_number]")
    assert "校验" in error
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.fill("input[name=id_number]", number)
    phone.click("form[data-entry=child] button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")

    # A mandatory report: "call 110" first, then the form, queued.
    phone.goto(f"{url}/field/#/report/{rain.pk}")
    phone.wait_for_selector("form[data-entry=report]")
    assert phone.get_attribute("[data-testid=call-110]", "href") == "tel:110"
    phone.check("input[name=situations][value=alone_unguarded]")
    phone.fill("textarea[name=what_seen], input[name=what_seen]", "孩子独自在家三天")
    phone.fill("input[name=found_at]", app_clock.now().strftime("%Y-%m-%dT%H:%M"))
    phone.click("form[data-entry=report] button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")
    phone.screenshot(path=str(artifacts / "field-outbox-offline-375.png"), full_page=True)

    # The page is closed and opened again, still with no network: the outbox is there.
    context = phone.context
    phone.close()
    page = context.new_page()
    page.goto(f"{url}/field/#/outbox")
    page.wait_for_selector("[data-testid=outbox-entries] [data-entry]")
    listed = entries(page)
    assert len(listed) == 5 and {state for _kind, state in listed} == {"waiting"}
    assert listed[0][0] == "report"  # sent first
    assert Visit.objects.count() == 0 and MandatoryReport.objects.count() == 0

    go_online(page, gateway)
    wait_all_sent(page, 5)
    assert MandatoryReport.objects.count() == 1
    assert Visit.objects.count() == 3
    assert Child.objects.filter(name="赵小花", created_by=director).count() == 1
    assert FollowUp.objects.filter(text="联系学校老师").count() == 1
    report = MandatoryReport.objects.get()
    assert report.child_id == rain.pk
    assert report.created_at < Visit.objects.order_by("created_at").first().created_at

    # The due dates on the phone are the server's, refreshed after the send.
    rain.refresh_from_db()
    page.goto(f"{url}/field/#/work")
    page.wait_for_selector(f"[data-child='{rain.pk}']")
    shown = page.get_attribute(f"[data-child='{rain.pk}'] [data-testid=home-due]", "data-date")
    assert shown == rain.next_home_visit_due.isoformat()
    new_child = Child.objects.get(name="赵小花")
    page.wait_for_selector(f"[data-child='{new_child.pk}']")
    assert number not in page.inner_text("body")

    # Sending again sends nothing twice.
    page.click("[data-testid=outbox-link]")
    page.click("[data-testid=send-now]")
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 3 and MandatoryReport.objects.count() == 1


def test_a_refused_entry_comes_back_with_its_field_error_and_is_stored_once(
    live_server, gateway, people, phone
):
    rain = make_child(people["director"], name="陈小雨")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    before = (app_clock.today() - datetime.timedelta(days=3)).isoformat()
    log_visit(phone, rain.pk, "in_person", date=before)
    go_online(phone, gateway)
    phone.goto(f"{url}/field/#/outbox")
    phone.wait_for_selector("[data-state=refused]")
    phone.click("[data-testid=correct]")
    phone.wait_for_selector("[data-field-error=visit_date]")
    assert "建档" in phone.inner_text("[data-field-error=visit_date]")
    phone.fill("input[name=visit_date]", app_clock.today().isoformat())
    phone.click("form[data-entry=visit] button[type=submit]")
    wait_all_sent(phone, 1)
    assert Visit.objects.filter(child=rain).count() == 1


def test_the_session_expires_offline_and_nothing_is_lost(live_server, gateway, people, phone):
    rain = make_child(people["director"], name="陈小雨")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    log_visit(phone, rain.pk, "in_person")
    Session.objects.all().delete()  # the idle timeout passed while she was out
    go_online(phone, gateway)
    phone.goto(f"{url}/field/#/outbox")
    phone.wait_for_selector("[data-testid=sign-in-again]")
    assert entries(phone) == [["visit", "waiting"]]
    assert Visit.objects.count() == 0
    sign_in(phone, url, "director")
    phone.goto(f"{url}/field/#/outbox")
    wait_all_sent(phone, 1)
    assert Visit.objects.filter(child=rain).count() == 1


def test_signing_out_wipes_the_phone_and_the_next_director_sees_none_of_it(
    live_server, gateway, people, phone
):
    make_child(people["director"], name="陈小雨")
    make_child(people["neighbour"], village_code=XINGCHENG, name="王五")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    phone.click(".navbar-toggler")
    # Bootstrap adds .show once the menu has unfolded: a click before that can land nowhere.
    phone.wait_for_selector("#mainnav.show")
    phone.click("form[data-field-signout] button[type=submit]")
    phone.wait_for_url("**/accounts/login/**")
    held = phone.evaluate(
        """async () => {
            const db = await new Promise((resolve, reject) => {
                const request = indexedDB.open('carecase-field');
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
            });
            const count = (store) => new Promise((resolve) => {
                const request = db.transaction(store).objectStore(store).count();
                request.onsuccess = () => resolve(request.result);
            });
            return [await count('children'), await count('meta'),
                    (await caches.keys()).includes('field-pages')];
        }"""
    )
    assert held == [0, 0, False]

    sign_in(phone, url, "neighbour")
    open_field(phone, url)
    text = phone.inner_text("[data-testid=field-children]")
    assert "王五" in text and "陈小雨" not in text


def test_a_note_and_a_follow_up_done_offline(live_server, gateway, people, phone):
    director = people["director"]
    rain = make_child(director, name="陈小雨")
    today = app_clock.today()
    visit_record(
        by=director,
        child=rain,
        values={"kind": "in_person", "visit_date": today},
        follow_ups=[FollowUpInput(text="联系学校老师", due_on=today)],
    )
    item = FollowUp.objects.get()
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    phone.goto(f"{url}/field/#/child/{rain.pk}/note")
    phone.fill("textarea[name=text]", "奶奶说孩子最近睡得不好")
    phone.click("form[data-entry=note] button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")
    phone.goto(f"{url}/field/#/child/{rain.pk}")
    phone.click(f"[data-follow-up='{item.pk}'] [data-testid=field-done]")
    phone.fill("input[name=done_note]", "已联系班主任")
    phone.click("form[data-entry=done] button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")
    go_online(phone, gateway)
    wait_all_sent(phone, 2)
    assert WorkNote.objects.filter(child=rain, text="奶奶说孩子最近睡得不好").count() == 1
    item.refresh_from_db()
    assert item.done_on == today and item.done_note == "已联系班主任"


def test_a_field_changed_on_both_sides_is_offered_side_by_side(live_server, gateway, people, phone):
    director, office_worker = people["director"], people["civil"]
    rain = make_child(director, name="陈小雨", carer_phone="13800000001", school_name="静观小学")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    phone.goto(f"{url}/field/#/child/{rain.pk}/edit")
    phone.fill("input[name=carer_phone]", "13900000002")
    phone.fill("input[name=school_name]", "北碚实验小学")
    phone.click("form[data-entry=edit] button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")

    # Meanwhile district civil affairs correct the same phone number at the office (they, not
    # the town supervisor, may edit an archive: core.permissions.can_edit_archives).
    office = APIClient()
    office.force_authenticate(office_worker)
    answer = office.patch(
        f"/api/v1/children/{rain.pk}/", {"carer_phone": "13700000003"}, format="json"
    )
    assert answer.status_code == 200, answer.content

    go_online(phone, gateway)
    phone.goto(f"{url}/field/#/outbox")
    phone.wait_for_selector("[data-state=conflict]")
    rain.refresh_from_db()
    assert rain.school_name == "北碚实验小学"  # nobody else changed it: applied
    assert rain.carer_phone == "13700000003"  # changed on both sides: nothing applied yet
    phone.click("[data-testid=settle]")
    field = phone.locator("[data-conflict=carer_phone]")
    assert field.locator("[data-testid=yours]").inner_text() == "13900000002"
    assert field.locator("[data-testid=theirs]").inner_text() == "13700000003"
    assert (office_worker.real_name or office_worker.username) in field.inner_text()
    field.locator("input[value=yours]").check()
    phone.click("[data-testid=conflict-form] button[type=submit]")
    wait_all_sent(phone, 1)
    rain.refresh_from_db()
    assert rain.carer_phone == "13900000002" and rain.school_name == "北碚实验小学"
    latest = rain.history.order_by("-history_id").first()
    assert latest.history_user == director and latest.carer_phone == "13900000002"


def test_an_ended_assignment_seen_at_the_next_contact_wipes_the_phone(
    live_server, gateway, people, phone
):
    director = people["director"]
    rain = make_child(director, name="陈小雨")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    log_visit(phone, rain.pk, "in_person")  # unsent: kept
    # At the office her assignment ends (she moved to another post).
    yesterday = app_clock.today() - datetime.timedelta(days=1)
    Assignment.objects.filter(user=director).update(
        start_date=yesterday - datetime.timedelta(days=400), end_date=yesterday
    )
    go_online(phone, gateway)
    phone.goto(f"{url}/field/")  # no longer a director: the home page, which forgets
    phone.wait_for_selector("html[data-field-forgotten]", state="attached")
    held = phone.evaluate(
        """async () => {
            const db = await CareCaseDB.open();
            return [(await db.getAll('children')).length,
                    (await db.getAll('outbox')).map(e => e.state),
                    (await caches.keys()).includes('field-pages'),
                    (await navigator.serviceWorker.getRegistrations()).length];
        }"""
    )
    # The unsent visit stays (refused or still to send: never deleted without asking).
    assert held[0] == 0 and held[2:] == [False, 0]
    assert len(held[1]) == 1 and held[1][0] != "sent"
    assert Visit.objects.count() == 0


def test_a_copy_not_refreshed_for_too_long_is_hidden_until_the_next_sign_in(
    live_server, gateway, people, phone, settings
):
    make_child(people["director"], name="陈小雨")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    go_offline(phone, gateway)
    # The phone last reached the server more than OFFLINE_MAX_AGE_DAYS ago.
    phone.evaluate(
        "async (days) => CareCaseDB.setMeta('contact', Date.now() - (days + 1) * 86400000)",
        settings.OFFLINE_MAX_AGE_DAYS,
    )
    phone.goto(f"{url}/visits/")
    phone.wait_for_selector("[data-testid=field-notice]")
    assert "陈小雨" not in phone.inner_text("main")
    phone.goto(f"{url}/field/#/child/1")
    phone.wait_for_selector("[data-testid=field-notice]")
    Session.objects.all().delete()  # days later, the session has long expired
    go_online(phone, gateway)
    sign_in(phone, url, "director")
    open_field(phone, url)
    assert "陈小雨" in phone.inner_text("[data-testid=field-children]")


def test_the_visit_page_posted_with_no_network_is_queued_not_lost(
    live_server, gateway, people, phone
):
    rain = make_child(people["director"], name="陈小雨")
    url = gateway.url
    sign_in(phone, url, "director")
    open_field(phone, url)
    phone.goto(f"{url}/visits/new/?child={rain.pk}")
    phone.wait_for_selector("input[name=seen]")
    phone.check("input[name=kind][value=home_visit]")
    phone.fill("input[name=seen]", "孩子和奶奶")
    phone.fill("input[name=follow_up_1]", "联系学校老师")
    phone.fill("input[name=follow_up_1_due]", app_clock.today().isoformat())
    go_offline(phone, gateway)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[data-testid=saved-on-phone]")
    assert entries(phone) == [["visit", "waiting"]]
    go_online(phone, gateway)
    wait_all_sent(phone, 1)
    visit = Visit.objects.get()
    assert visit.child_id == rain.pk and visit.kind == "home_visit" and visit.seen == "孩子和奶奶"
    assert FollowUp.objects.filter(visit=visit, text="联系学校老师").count() == 1
