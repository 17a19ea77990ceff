"""The field app's server side: the shell (forms, no child's data), the session check, the
service worker and the manifest; only village child directors get the app."""

import json

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import ZHIDA, make_child

pytestmark = pytest.mark.django_db


def exists(url: str) -> bool:
    """A static file the app names is one the project ships."""
    assert url.startswith(settings.STATIC_URL)
    return finders.find(url.removeprefix(settings.STATIC_URL)) is not None


def test_a_director_gets_the_shell_with_the_online_forms_and_no_childs_data(client, login, people):
    child = make_child(people["director"], name="陈小雨")
    login(people["director"])
    response = client.get(reverse("field:shell"))
    assert response.status_code == 200
    html = response.content.decode()
    # The online pages' forms: the visit's findings, the registration's ID field, the report.
    for template in ("tpl-visit", "tpl-note", "tpl-edit", "tpl-child", "tpl-report", "tpl-done"):
        assert f'id="{template}"' in html
    assert 'name="safety"' in html and 'name="id_number"' in html
    assert 'href="tel:110"' in html
    # The shell is cached on the phone: no child's data in it (the bundle is in IndexedDB).
    assert child.name not in html
    config = response.context["config"]
    assert config["user"] == people["director"].pk
    assert config["strings"]["outbox"] == "待发送"
    # The registration form offers only her own villages.
    assert list(config["village_codes"].values()) == [ZHIDA]
    messages = response.context["id_messages"]
    assert messages and all(isinstance(str(m), str) for m in messages.values())


@pytest.mark.parametrize(
    "who", ["supervisor", "civil", "sysadmin", "secadmin", "auditadmin", "nobody"]
)
def test_only_directors_get_the_app(client, login, people, who):
    login(people[who])
    response = client.get(reverse("field:shell"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert "/manifest.webmanifest" not in home
    assert "field/register" not in home


def test_a_directors_pages_offer_the_app(client, login, people):
    login(people["director"])
    html = client.get(reverse("home")).content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert "field/register" in html
    assert "data-field-signout" in html


def test_the_session_check(client, login, people):
    response = client.get(reverse("field:session"))
    assert response.status_code == 200 and response.json() == {"signed_in": False}
    login(people["director"])
    data = client.get(reverse("field:session")).json()
    assert data["signed_in"] is True
    assert data["user"] == people["director"].pk
    assert data["director"] is True
    assert data["csrf"]


def test_the_service_worker_is_served_at_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert "no-cache" in response["Cache-Control"]
    assert response["Service-Worker-Allowed"] == "/"
    text = response.content.decode()
    assert "importScripts(" in text and "/static/vendor/workbox/workbox-sw" in text
    assert "__VERSION__" not in text
    # Every precached asset exists.
    assets = json.loads(text.split("var ASSETS = ", 1)[1].split(";", 1)[0])
    assert any(a.startswith("/static/field/app.") and a.endswith(".js") for a in assets)
    for url in assets:
        assert exists(url), url


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["display"] == "standalone"
    assert data["start_url"].startswith("/field/")
    assert {icon["sizes"] for icon in data["icons"]} >= {"192x192", "512x512"}
    for icon in data["icons"]:
        assert exists(icon["src"])
