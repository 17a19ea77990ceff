"""API tokens (django-rest-knox): hashed, per device, expiring, listed for their owner with
their last use, revocable by the owner and the security administrator, revoked on password
change, deactivation and an assignment ending."""

import datetime

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core import clock as app_clock
from org import services, tokens
from org.models import AdminLogEntry, ApiToken, Assignment, StaffStatus
from tests.factories import PASSWORD


def _sign_in(username, device="phone", ip="10.2.0.1"):
    client = APIClient()
    response = client.post(
        "/api/v1/token/",
        {"username": username, "password": PASSWORD, "device": device},
        REMOTE_ADDR=ip,
    )
    assert response.status_code == 200, response.content
    return response.json()


def _client(secret):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_tokens_are_stored_hashed_one_per_device(people):
    first = _sign_in("director", "phone")
    second = _sign_in("director", "tablet")
    assert first["token"] != second["token"]
    rows = ApiToken.objects.filter(user=people["director"])
    assert rows.count() == 2
    for row in rows:
        assert row.digest not in (first["token"], second["token"])
        assert first["token"] not in row.digest and second["token"] not in row.digest
    assert _client(first["token"]).get("/api/v1/regions/").status_code == 200
    assert _client(second["token"]).get("/api/v1/regions/").status_code == 200


def test_owner_lists_tokens_with_last_use_and_no_secret(people):
    issued = _sign_in("director", "phone")
    client = _client(issued["token"])
    client.get("/api/v1/regions/")
    listing = client.get("/api/v1/tokens/")
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    assert row["name"] == "phone" and row["last_used_at"] is not None
    assert "token" not in row and issued["token"] not in listing.content.decode()
    digest = ApiToken.objects.get().digest
    assert digest not in listing.content.decode()
    # Somebody else sees none of them.
    other = _sign_in("supervisor")
    assert _client(other["token"]).get("/api/v1/tokens/").json()["count"] == 1
    assert _client(other["token"]).delete(f"/api/v1/tokens/{row['id']}/").status_code == 404
    assert ApiToken.objects.filter(user=people["director"]).exists()


def test_owner_revokes_a_token_and_logout_revokes_the_current_one(people):
    phone = _sign_in("director", "phone")
    tablet = _sign_in("director", "tablet")
    client = _client(phone["token"])
    assert client.delete(f"/api/v1/tokens/{tablet['id']}/").status_code == 204
    assert _client(tablet["token"]).get("/api/v1/regions/").status_code == 401
    assert client.post("/api/v1/token/logout/").status_code == 204
    assert _client(phone["token"]).get("/api/v1/regions/").status_code == 401


def test_security_admin_revokes_anyones_token_and_it_is_logged(people):
    issued = _sign_in("director")
    client = APIClient()
    client.force_authenticate(people["secadmin"])
    listing = client.get("/api/v1/tokens/").json()
    assert [r["user"] for r in listing["results"]] == ["director"]
    assert client.delete(f"/api/v1/tokens/{issued['id']}/").status_code == 204
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401
    entry = AdminLogEntry.objects.get(action="revoke_token")
    assert entry.by == people["secadmin"] and entry.before["user"] == "director"


@pytest.mark.parametrize("admin", ["sysadmin", "auditadmin"])
def test_other_administrators_cannot_revoke_tokens(people, admin):
    issued = _sign_in("director")
    client = APIClient()
    client.force_authenticate(people[admin])
    assert client.get("/api/v1/tokens/").json()["count"] == 0
    assert client.delete(f"/api/v1/tokens/{issued['id']}/").status_code == 404
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 200


def test_token_expires(people):
    issued = _sign_in("director")
    ApiToken.objects.filter(user=people["director"]).update(
        expiry=app_clock.now() - datetime.timedelta(seconds=1)
    )
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401
    assert not ApiToken.objects.filter(user=people["director"]).exists()


@override_settings(REST_KNOX={"TOKEN_TTL": datetime.timedelta(hours=2)})
def test_token_ttl_is_a_setting(people):
    issued = _sign_in("director")
    row = ApiToken.objects.get()
    assert abs((row.expiry - app_clock.now()) - datetime.timedelta(hours=2)) < datetime.timedelta(
        minutes=1
    )
    assert issued["expiry"]


def test_password_change_revokes_tokens(people):
    issued = _sign_in("director")
    user = people["director"]
    user.set_password("Another-pass-2027")
    user.save()
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401


def test_password_change_page_revokes_tokens(people, client):
    issued = _sign_in("director")
    client.force_login(people["director"])
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-2027",
            "new_password2": "Another-pass-2027",
        },
    )
    assert response.status_code == 302
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401


@pytest.mark.parametrize("change", ["inactive", "suspended", "left"])
def test_deactivation_revokes_tokens(people, change):
    issued = _sign_in("director")
    user = people["director"]
    if change == "inactive":
        user.is_active = False
    else:
        user.status = change
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401


def test_district_suspending_a_worker_revokes_tokens(people):
    issued = _sign_in("director")
    services.staff_update(
        by=people["civil"], staff=people["director"], status=StaffStatus.SUSPENDED
    )
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401


def test_assignment_ending_revokes_tokens(people):
    issued = _sign_in("director")
    assignment = Assignment.objects.get(user=people["director"])
    services.assignment_end(by=people["civil"], assignment=assignment, reason="调离")
    assert _client(issued["token"]).get("/api/v1/regions/").status_code == 401


def test_token_limit_per_device(people):
    for n in range(5):
        _sign_in("director", f"device {n}")
    response = APIClient().post(
        "/api/v1/token/",
        {"username": "director", "password": PASSWORD, "device": "one more"},
        REMOTE_ADDR="10.2.0.1",
    )
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=people["director"]).count() == 5


def test_wrong_password_gets_no_token_and_a_chinese_message(people):
    response = APIClient().post(
        "/api/v1/token/", {"username": "director", "password": "nope"}, REMOTE_ADDR="10.2.0.9"
    )
    assert response.status_code == 400
    assert "token" not in response.json()
    assert "密码" in str(response.json())


def test_suspended_staff_get_no_token(people):
    people["director"].status = StaffStatus.SUSPENDED
    people["director"].save()
    response = APIClient().post(
        "/api/v1/token/", {"username": "director", "password": PASSWORD}, REMOTE_ADDR="10.2.0.3"
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_token_row_has_no_secret_in_str(people):
    row, secret = tokens.token_create(user=people["director"], name="")
    assert secret not in str(row) and row.digest not in str(row)
