"""Every entry a director's phone queues offline (issue 14) can be sent again: the same request
twice stores one record and answers the second time with that record. The phone's script
sends them with the session cookie and the page's CSRF token; without a session it gets a
401 in JSON (never the sign-in page), so it knows to ask her to sign in again."""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.test import APIClient

from children.models import Child, WorkNote
from core import clock as app_clock
from reports.models import MandatoryReport
from tests.children.test_api import payload as registration
from tests.factories import make_child
from tests.visits.conftest import registered
from visits import followups, services
from visits.models import FollowUp, Visit

AREAS = ("safety", "guardianship", "schooling", "health", "mental", "living")


@dataclass
class Entry:
    """One kind of queued entry: where it goes, its body, and its rows."""

    url: str
    body: dict[str, Any]
    rows: Callable[[], Any]
    first_status: int = 201


@pytest.fixture
def child(people):
    return registered(make_child(people["director"]))


def visit(child) -> Entry:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "child": child.pk,
        "kind": "home_visit",
        "visit_date": app_clock.today().isoformat(),
        "seen": "孩子和祖母",
        **dict.fromkeys(AREAS, "fine"),
        "follow_ups": [
            {"text": "复查", "due_on": (app_clock.today() + datetime.timedelta(7)).isoformat()}
        ],
    }
    return Entry("/api/v1/visits/", body, lambda: Visit.objects.all())


def note(child) -> Entry:
    body = {
        "client_token": str(uuid.uuid4()),
        "noted_on": app_clock.today().isoformat(),
        "text": "电话联系了孩子的父亲",
    }
    return Entry(f"/api/v1/children/{child.pk}/notes/", body, lambda: WorkNote.objects.all())


def child_registration(child) -> Entry:
    body = registration(name="王小虎", client_token=str(uuid.uuid4()))
    return Entry("/api/v1/children/", body, lambda: Child.objects.filter(name="王小虎"))


def report(child) -> Entry:
    body = {
        "client_uuid": str(uuid.uuid4()),
        "child": child.pk,
        "situations": ["missing"],
        "found_at": (app_clock.now() - datetime.timedelta(hours=1)).isoformat(),
    }
    return Entry("/api/v1/reports/", body, lambda: MandatoryReport.objects.all())


def follow_up_done(child, director) -> Entry:
    today = app_clock.today()
    logged, _created = services.visit_record(
        by=director,
        child=child,
        values={"kind": "in_person", "visit_date": today, "seen": ""},
        follow_ups=[followups.FollowUpInput("复查", today + datetime.timedelta(days=7))],
        client_uuid=uuid.uuid4(),
    )
    item = logged.follow_ups.get()
    body = {"done_on": today.isoformat(), "done_note": "已复查"}
    return Entry(
        f"/api/v1/follow-ups/{item.pk}/done/",
        body,
        lambda: FollowUp.objects.filter(pk=item.pk, done=True),
        first_status=200,
    )


ENTRIES = {
    "visit": visit,
    "note": note,
    "child": child_registration,
    "report": report,
    "follow_up_done": follow_up_done,
}


def make_entry(kind, people, child) -> Entry:
    maker = ENTRIES[kind]
    return maker(child, people["director"]) if kind == "follow_up_done" else maker(child)


def browser_session(user) -> tuple[APIClient, str]:
    """A client holding the session cookie as a browser does, CSRF enforced, and the token
    the phone's script reads from the page (`hx-headers` of base.html; the cookie itself is
    HttpOnly)."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get("/")
    assert page.status_code == 200
    header = re.search(r"hx-headers='([^']+)'", page.content.decode())
    assert header, "the page carries no CSRF token for scripts"
    return client, json.loads(header.group(1))["X-CSRFToken"]


@pytest.mark.parametrize("kind", list(ENTRIES))
def test_the_same_entry_twice_stores_one_record(people, child, kind):
    entry = make_entry(kind, people, child)
    client, csrf = browser_session(people["director"])
    first = client.post(entry.url, entry.body, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert first.status_code == entry.first_status, first.json()
    again = client.post(entry.url, entry.body, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert again.status_code == 200, again.json()
    assert again.json()["id"] == first.json()["id"]
    assert entry.rows().count() == 1
    if kind == "follow_up_done":
        assert again.json() == first.json()


@pytest.mark.parametrize("kind", list(ENTRIES))
def test_a_token_client_retries_the_same_way(people, child, kind):
    entry = make_entry(kind, people, child)
    client = APIClient()
    client.force_authenticate(people["director"])
    first = client.post(entry.url, entry.body, format="json")
    again = client.post(entry.url, entry.body, format="json")
    assert (first.status_code, again.status_code) == (entry.first_status, 200)
    assert again.json()["id"] == first.json()["id"]
    assert entry.rows().count() == 1


@pytest.mark.parametrize("kind", list(ENTRIES))
def test_a_session_without_the_csrf_token_is_refused_in_json(people, child, kind):
    entry = make_entry(kind, people, child)
    before = entry.rows().count()
    client, _csrf = browser_session(people["director"])
    response = client.post(entry.url, entry.body, format="json")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert "CSRF" in response.json()["detail"]
    assert entry.rows().count() == before


@pytest.mark.parametrize("kind", list(ENTRIES))
def test_no_session_or_an_expired_one_is_a_401_in_json(people, child, kind):
    entry = make_entry(kind, people, child)
    before = entry.rows().count()
    client, csrf = browser_session(people["director"])
    # The session ends on the server (idle timeout): the cookie names a session gone.
    SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).delete()
    for anonymous in (client, APIClient(enforce_csrf_checks=True)):
        response = anonymous.post(entry.url, entry.body, format="json", HTTP_X_CSRFTOKEN=csrf)
        assert response.status_code == 401, response.content
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
        assert "Location" not in response
        assert response.has_header("WWW-Authenticate")
    assert entry.rows().count() == before


def test_the_offline_copy_is_read_with_the_session_too(people, child):
    client, _csrf = browser_session(people["director"])
    assert [c["id"] for c in client.get("/api/v1/offline/").json()["children"]] == [child.pk]
    SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).delete()
    response = client.get("/api/v1/offline/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_a_base_version_edit_goes_through_the_session_with_csrf(people, child):
    client, csrf = browser_session(people["director"])
    url = f"/api/v1/children/{child.pk}/"
    version = client.get(url).json()["version"]
    response = client.patch(
        url,
        {"base_version": version, "school_name": "静观镇中学"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["school_name"] == "静观镇中学"
    assert client.patch(url, {"school_name": "x"}, format="json").status_code == 403
