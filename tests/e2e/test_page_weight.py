"""Page-weight budgets (issue 14) on the production configuration, in bytes, never times.

The production configuration, for real: `collectstatic` with the settings' storage when DEBUG
is off (whitenoise's CompressedManifestStaticFilesStorage: hashed names, .gz and .br) into a
STATIC_ROOT of the test's own, and gunicorn with gunicorn.conf.py running the real settings
module (`carecase.settings`, not the test settings) with DEBUG=0, whitenoise serving the
collected files (bench/webprod.py, shared with `make bench-web`). Only HTTPS is off (plain
HTTP on 127.0.0.1; a TLS proxy does not change what pages weigh). The server reads the test's
database: on PostgreSQL the test database itself (the test is transactional, so its rows are
committed); on SQLite, whose test database lives in this process's memory, a copy of it in a
file (sqlite3's backup), made once the rows are in.

Debian's chromium, signed in as the village's director, opens each page with its cache
cleared (cold) and again (warm); CDP counts the bytes that came over the network (headers and
compressed bodies). Budgets: the director's pages ≤ 120 KB cold and ≤ 15 KB warm, the
village's statistics ≤ 450 KB cold.
"""

from __future__ import annotations

import datetime
import gzip
import sqlite3
import urllib.request
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from bench import webprod
from children.models import Child
from core import clock as app_clock
from tests.factories import PASSWORD, ZHIDA, make_child
from visits import cadence, followups, services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KB = 1024
COLD_BUDGET = 120 * KB
WARM_BUDGET = 15 * KB
STATS_COLD_BUDGET = 450 * KB
YEAR = 365 * 24 * 60 * 60


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """The static files collected once for the module, as the Docker image does."""
    root = tmp_path_factory.mktemp("static")
    webprod.collect_static(_env("sqlite:///unused.sqlite3", root, root.parent))
    return root


def _env(database_url, static_root, var_dir):
    return webprod.production_env(
        database_url=database_url,
        var_dir=var_dir,
        static_root=static_root,
        secret_key=settings.SECRET_KEY,
        identifier_keys=",".join(settings.IDENTIFIER_KEYS),
        identifier_hash_key=settings.IDENTIFIER_HASH_KEY,
    )


def _server_database_url(tmp_path) -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{auth}@{host}{port}/{db['NAME']}"
    assert connection.vendor == "sqlite"
    connection.ensure_connection()
    copy = tmp_path / "server.sqlite3"
    target = sqlite3.connect(copy)
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{copy}"


@pytest.fixture
def village(people):
    """The director's village with a few children; one of them visited with an open follow-up
    item (so "my work" has its "mark done" form, and loads htmx)."""
    director = people["director"]
    # The production settings have no MD5 hasher (the test settings' fast one).
    director.password = PBKDF2PasswordHasher().encode(PASSWORD, "pageweight")
    director.save(update_fields=["password"])
    child = make_child(director, ZHIDA, name="王小明")
    # Registered a year ago (a visit cannot predate the registration).
    at = timezone.make_aware(datetime.datetime(2025, 1, 1, 9))
    Child.objects.filter(pk=child.pk).update(created_at=at)
    cadence.recompute(child)
    for name in ("李小红", "张小华", "陈小雨"):
        make_child(director, ZHIDA, name=name, categories=["rural_left_behind", "poverty"])
    today = app_clock.today()
    services.visit_record(
        by=director,
        child=child,
        values={"kind": "home_visit", "visit_date": today, "seen": "祖父张大爷"},
        follow_ups=[followups.FollowUpInput("联系班主任了解出勤", today + datetime.timedelta(7))],
        client_uuid=uuid.uuid4(),
        today=today,
    )
    return child


@pytest.fixture
def production(transactional_db, village, static_root, tmp_path):
    """gunicorn, DEBUG=0, on the test's rows; yields its URL."""
    env = _env(_server_database_url(tmp_path), static_root, tmp_path)
    with webprod.gunicorn(env, log=tmp_path / "gunicorn.log") as url:
        yield url


def _weigh(browser, url, path):
    """(cold, warm, responses of the cold load) of `path` for the signed-in director."""
    # A first visit: no service worker yet (a director's pages install the field app's, which
    # would answer requests from its cache, and nothing would be counted).
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, locale="zh-CN", service_workers="block"
    )
    try:
        page = context.new_page()
        webprod.sign_in(page, url, "director", PASSWORD)
        weigher = webprod.Weigher(page)
        weigher.clear_cache()
        responses = []

        def keep(response):
            responses.append(response)

        page.on("response", keep)
        cold = weigher.navigate(url + path)
        page.remove_listener("response", keep)
        warm = weigher.navigate(url + path)
        headers = [(r.url, r.status, r.all_headers()) for r in responses]
        return cold, warm, headers
    finally:
        context.close()


def test_director_pages_within_budget_cold_and_warm(browser, production, village):
    pages = {
        "home": "/",
        "my work": "/visits/",
        "child page": f"/children/{village.pk}/",
        "visit form": f"/visits/new/?child={village.pk}",
        "statistics": "/stats/",
    }
    loaded = {}
    for label, path in pages.items():
        cold, warm, headers = _weigh(browser, production, path)
        loaded[label] = [u for u, _ in cold.requests]
        budget = STATS_COLD_BUDGET if label == "statistics" else COLD_BUDGET
        assert cold.bytes <= budget, f"{label} cold: {cold.bytes} B > {budget} ({cold.describe()})"
        assert warm.bytes <= WARM_BUDGET, f"{label} warm: {warm.bytes} B ({warm.describe()})"
        # Warm, only the page itself travels: no asset is fetched or revalidated.
        travelled = [u for u, n in warm.requests if n > 0]
        assert travelled == [production + path], f"{label} warm fetched {travelled}"
        for response_url, status, h in headers:
            assert status == 200, (label, response_url, status)
            if response_url == production + path:
                assert h.get("content-encoding") == "gzip", (label, h)
                assert "no-store" in h["cache-control"]
            elif "/static/" in response_url:
                # Hashed names, compressed, cached for good.
                assert h.get("content-encoding") in ("br", "gzip"), (response_url, h)
                assert "immutable" in h["cache-control"], (response_url, h)
                max_age = int(h["cache-control"].split("max-age=")[1].split(",")[0])
                assert max_age >= YEAR, (response_url, h)

    def uses(label, name):
        return any(f"/static/vendor/{name}." in u for u in loaded[label])

    # ECharts only where a chart is drawn; htmx only where an element asks for it.
    assert uses("statistics", "echarts.min")
    assert not any(uses(label, "echarts.min") for label in pages if label != "statistics")
    assert uses("my work", "htmx.min")
    assert not uses("home", "htmx.min") and not uses("child page", "htmx.min")
    assert all(uses(label, "bootstrap.bundle.min") for label in pages)  # the navbar toggler


def _get(url, accept_encoding):
    """(headers, body) of a GET to the local server."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept_encoding})  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 - http://127.0.0.1 only
        return response.headers, response.read()


def test_production_server_compresses_html_and_caches_only_hashed_names_for_good(production):
    headers, body = _get(f"{production}/accounts/login/", "gzip")
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    html = gzip.decompress(body).decode()
    assert 'name="csrfmiddlewaretoken"' in html
    # The sign-in page uses neither Bootstrap's JS nor htmx.
    assert "bootstrap.bundle" not in html and "htmx" not in html
    css = html.split('href="/static/vendor/bootstrap.min.', 1)[1].split('"', 1)[0]
    hashed = f"{production}/static/vendor/bootstrap.min.{css}"
    plain = f"{production}/static/vendor/bootstrap.min.css"
    for url, immutable in ((hashed, True), (plain, False)):
        headers, _ = _get(url, "br, gzip")
        assert headers["Content-Encoding"] == "br"
        cache = headers["Cache-Control"]
        if immutable:
            assert "immutable" in cache and "max-age=315360000" in cache
        else:
            # A plain name may change under the same URL: a minute at most.
            assert "immutable" not in cache and "max-age=60" in cache
