"""Light pages (issue 14): compressed responses, and only the scripts a page uses. The budgets
in bytes on the production configuration are in tests/e2e/test_page_weight.py."""

from __future__ import annotations

import datetime
import gzip
import uuid

import pytest
from django.urls import reverse

from carecase.templatetags.page_scripts import scripts_for
from core import clock as app_clock
from tests.factories import make_child
from visits import followups, services

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_pages_come_back_gzipped_when_the_browser_accepts_it(people, login):
    client = login(people["director"])
    response = client.get(reverse("home"), **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert 'data-testid="current-user"' in html
    assert len(response.content) < len(html.encode()) / 2
    # Without Accept-Encoding, as it was.
    plain = client.get(reverse("home"))
    assert not plain.has_header("Content-Encoding")
    assert b"current-user" in plain.content


def test_json_and_csv_are_compressed_workbooks_are_not(people, login):
    client = login(people["civil"])
    for _ in range(3):
        make_child(people["civil"])
    api = client.get("/api/v1/children/", **GZIP)
    assert api.status_code == 200 and api["Content-Encoding"] == "gzip"
    csv = client.get(reverse("children:export_csv"), **GZIP)
    assert csv.status_code == 200 and csv["Content-Encoding"] == "gzip"
    assert "姓名".encode() in gzip.decompress(b"".join(csv.streaming_content))
    xlsx = client.get(reverse("children:export_xlsx"), **GZIP)
    assert xlsx.status_code == 200
    assert not xlsx.has_header("Content-Encoding")  # a zip already


def test_scripts_follow_the_markup():
    bundle, htmx = "vendor/bootstrap.bundle.min.js", "vendor/htmx.min.js"
    assert scripts_for("<p>hx-get= in a sentence</p>") == []
    assert scripts_for('<button data-bs-toggle="collapse">') == [bundle]
    assert scripts_for('<form hx-post="/x/">') == [htmx]
    assert scripts_for('<div data-bs-dismiss="alert"></div><input hx-get="/p/">') == [bundle, htmx]


def test_sign_in_page_loads_no_script(client):
    html = client.get(reverse("login")).content.decode()
    assert "bootstrap.bundle.min.js" not in html and "htmx.min.js" not in html
    assert "bootstrap.min.css" in html


def test_htmx_only_on_pages_that_ask_for_it(people, login):
    director = people["director"]
    child = make_child(director)
    client = login(director)
    child_page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert "bootstrap.bundle.min.js" in child_page  # the navigation toggler
    assert "htmx.min.js" not in child_page
    # The visit form's child picker searches with htmx.
    form = client.get(reverse("visits:create")).content.decode()
    assert "hx-get=" in form and "htmx.min.js" in form
    # "My work" has a "mark done" form (htmx) once there is an open follow-up item.
    assert "htmx.min.js" not in client.get(reverse("visits:my_work")).content.decode()
    today = app_clock.today()
    services.visit_record(
        by=director,
        child=child,
        values={"kind": "in_person", "visit_date": today},
        follow_ups=[followups.FollowUpInput("回访", today + datetime.timedelta(days=7))],
        client_uuid=uuid.uuid4(),
        today=today,
    )
    my_work = client.get(reverse("visits:my_work")).content.decode()
    assert "hx-post=" in my_work and "htmx.min.js" in my_work


def test_echarts_is_not_a_script_of_the_page_but_fetched_by_the_charts(people, login):
    html = login(people["director"]).get(reverse("stats:index")).content.decode()
    assert 'id="chart-compliance"' in html
    assert '<script src="/static/vendor/echarts.min.js"' not in html
    assert 'data-echarts="/static/vendor/echarts.min.js"' in html
