"""A transfer on phones: director A (志达社区) starts it from the child's page, director B
(兴城社区) accepts it on a 375 px phone; the child is then in B's "my work", and A no longer
sees the child but still reads the visit she logged."""

import datetime
import uuid

import pytest

from children.models import Child
from core import clock as app_clock
from tests.e2e.test_child_registration import sign_in
from tests.factories import make_child
from transfers.models import Transfer, TransferStatus
from visits import cadence, services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def load(page, url):
    with page.expect_navigation(wait_until="load"):
        page.goto(url)


def submit(page, selector):
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def test_director_a_requests_director_b_accepts_on_a_phone(
    live_server, people, phone, browser, artifacts
):
    child = make_child(people["director"], name="林小雨")
    Child.objects.filter(pk=child.pk).update(
        created_at=app_clock.now() - datetime.timedelta(days=400)
    )
    child.refresh_from_db()
    cadence.recompute(child)
    today = app_clock.today()
    visit, _ = services.visit_record(
        by=people["director"],
        child=child,
        values={"kind": "in_person", "visit_date": today - datetime.timedelta(days=2)},
        client_uuid=uuid.uuid4(),
        today=today,
    )

    # Director A, on her phone: from the child's page, find 兴城 and request the transfer.
    url = live_server.url
    sign_in(phone, url, "director")
    load(phone, f"{url}/children/{child.pk}/")
    submit(phone, "[data-action=start-transfer]")
    phone.fill("[data-testid=village-search]", "兴城")
    submit(phone, "form[role=search] button[type=submit]")
    phone.check("input[name=to_village]")
    phone.fill("textarea[name=reason]", "随父母搬到兴城社区居住")
    assert fits(phone)
    submit(phone, "[data-testid=request-transfer]")
    transfer = Transfer.objects.get()
    assert phone.inner_text("[data-testid=transfer-status]") == "待确认"

    # Director B, on another phone: the transfer is waiting for her; she accepts it.
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN")
    other = context.new_page()
    try:
        sign_in(other, url, "neighbour")
        load(other, f"{url}/transfers/")
        assert "林小雨" in other.inner_text("[data-testid=to-decide]")
        submit(other, f"[data-transfer='{transfer.pk}'] a")
        assert "林小雨" in other.inner_text("[data-testid=transfer-fields]")
        assert fits(other)
        other.screenshot(path=str(artifacts / "transfer-accept-375.png"), full_page=True)
        submit(other, "[data-testid=accept]")
        assert other.inner_text("[data-testid=transfer-status]") == "已接收"
        load(other, f"{url}/visits/")
        assert other.locator(f"[data-testid=work-list] [data-child='{child.pk}']").count() == 1
        assert fits(other)
    finally:
        context.close()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.ACCEPTED

    # Director A: the child is gone from her archive, her visit is still hers to read.
    load(phone, f"{url}/visits/")
    assert phone.locator(f"[data-child='{child.pk}']").count() == 0
    response = phone.goto(f"{url}/children/{child.pk}/")
    assert response is not None and response.status == 404
    load(phone, f"{url}/visits/{visit.pk}/")
    assert "林小雨" in phone.inner_text("h1")
    assert fits(phone)
