"""The API's throttles: the token endpoint answers 429 with Retry-After past its rate, per
address and account name; the rates come from the environment, with these defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rates(settings):
    """The production rates (the test settings raise them out of the suite's way)."""

    def _set(**scopes):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **scopes,
            },
        }

    cache.clear()
    yield _set
    cache.clear()


def _sign_in(client, username, password="wrong", ip="10.9.0.1"):  # noqa: S107
    return client.post(
        "/api/v1/token/",
        {"username": username, "password": password, "device": "phone"},
        REMOTE_ADDR=ip,
    )


def test_the_default_rates():
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("API_THROTTLE_") and k != "DEBUG"
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, carecase.settings as s; "
            "print(json.dumps(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))",
        ],
        cwd=ROOT,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == {"user": "600/min", "anon": "60/min", "token": "10/min"}


def test_the_token_endpoint_answers_429_after_ten_tries_a_minute(people, rates):
    rates(token="10/min")
    client = APIClient()
    answers = [_sign_in(client, "director").status_code for _ in range(10)]
    assert 429 not in answers  # wrong passwords (400), then axes' lockout (403)
    refused = _sign_in(client, "director", password=PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "detail" in refused.json()
    # Another account from the same address, and the same account from another, go on.
    assert _sign_in(client, "supervisor", password=PASSWORD).status_code == 200
    assert _sign_in(client, "director", ip="10.9.0.2").status_code == 400
    # The account name is one key whatever its case or spaces.
    assert _sign_in(client, " Director ").status_code == 429


def test_a_signed_in_users_requests_are_throttled_by_the_user_rate(people, rates):
    rates(user="3/min")
    client = APIClient()
    client.force_authenticate(people["director"])
    assert [client.get("/api/v1/regions/").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/regions/")
    assert refused.status_code == 429 and refused["Retry-After"]
    other = APIClient()
    other.force_authenticate(people["supervisor"])
    assert other.get("/api/v1/regions/").status_code == 200


def test_anonymous_requests_are_throttled_per_address(rates):
    rates(anon="2/min")
    client = APIClient()
    assert client.get("/api/schema/", REMOTE_ADDR="10.9.0.5").status_code == 200
    assert client.get("/api/schema/", REMOTE_ADDR="10.9.0.5").status_code in (200, 401, 403)
    assert client.get("/api/schema/", REMOTE_ADDR="10.9.0.5").status_code == 429
    assert client.get("/api/schema/", REMOTE_ADDR="10.9.0.6").status_code != 429
