import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import PASSWORD
from tests.signin import Client


@pytest.mark.parametrize(
    "password", ["short1A", "alllowercase", "lowerandupper", "12345678901", "lower123"]
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Lower123x", "lower-123x", "UPPER_lower!"])
def test_three_of_four_classes_pass(password):
    validate_password(password)


def test_login_with_the_right_password(people, client):
    response = client.post(
        reverse("login"), {"username": "director", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_is_explained_in_chinese(people, client):
    response = client.post(
        reverse("login"), {"username": "director", "password": "nope"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 200
    assert "密码" in response.content.decode()


def test_five_failures_lock_the_account_from_that_ip_for_15_minutes(people, client):
    for _ in range(5):
        client.post(
            reverse("login"), {"username": "director", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        )
    response = client.post(
        reverse("login"), {"username": "director", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 429
    body = response.content.decode()
    assert "15" in body and "锁定" in body
    # the same account from another computer is not locked (no denial of service by a stranger)
    other = Client()
    response = other.post(
        reverse("login"), {"username": "director", "password": PASSWORD}, REMOTE_ADDR="10.0.0.10"
    )
    assert response.status_code == 302


def test_api_token_login_is_also_locked_out(people, client):
    for _ in range(5):
        client.post(
            "/api/v1/token/", {"username": "civil", "password": "x"}, REMOTE_ADDR="10.0.0.7"
        )
    response = client.post(
        "/api/v1/token/", {"username": "civil", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()


def test_csrf_is_enforced(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["civil"])
    response = client.post(reverse("org:staff_create"), {"username": "x"})
    assert response.status_code == 403


def test_inactive_and_suspended_staff_cannot_sign_in(people, client):
    director = people["director"]
    director.status = "suspended"
    director.save()
    response = client.post(
        reverse("login"), {"username": "director", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_one_time_password_must_be_changed_first(people, client):
    director = people["director"]
    director.must_change_password = True
    director.save()
    client.force_login(director)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Brand-new-2026",
            "new_password2": "Brand-new-2026",
        },
    )
    assert response.status_code == 302
    director.refresh_from_db()
    assert not director.must_change_password
    assert client.get(reverse("home")).status_code == 200


def test_logout_is_post_only_and_ends_the_session(people, client):
    client.force_login(people["director"])
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302
