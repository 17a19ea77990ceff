"""Sessions and passwords (等保2.0 三级, issue 19 §3): every person sees their last sign-in and
their sessions and ends them; the security administrator ends anyone's (audited); no password
of the last 5 again; an administrator's password older than PASSWORD_MAX_AGE_DAYS is changed
before anything else."""

import datetime

import django.test
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from core import clock as app_clock
from org.models import AdminAction, AdminLogEntry, PasswordRecord, UserSession
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(username, ip, agent="Firefox"):
    client = django.test.Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    return client


def _signed_out(client):
    response = client.get(reverse("home"))
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_my_sign_ins_shows_the_last_one_and_ends_another_session(people, clock):
    laptop = _sign_in("director", "10.4.0.1", "Firefox on the office laptop")
    clock.shift(datetime.timedelta(minutes=5))
    phone = _sign_in("director", "10.4.0.2", "Chrome on a phone")
    page = phone.get(reverse("my_sessions"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "上次登录" in body and "10.4.0.1" in body
    rows = page.context["rows"]
    assert {r.ip for r in rows} == {"10.4.0.1", "10.4.0.2"}
    other = next(r for r in rows if r.ip == "10.4.0.1")
    assert phone.post(reverse("session_end", args=[other.pk])).status_code == 302
    assert _signed_out(laptop)
    assert not _signed_out(phone)
    other.refresh_from_db()
    assert other.ended_at is not None
    assert [r.ip for r in phone.get(reverse("my_sessions")).context["rows"]] == ["10.4.0.2"]
    assert not AdminLogEntry.objects.exists()  # one's own sessions are not an admin's change


def test_nobody_ends_someone_elses_session_from_their_page(people):
    mine = _sign_in("director", "10.4.1.1")
    theirs = _sign_in("supervisor", "10.4.1.2")
    row = UserSession.objects.get(user=people["supervisor"])
    assert mine.post(reverse("session_end", args=[row.pk])).status_code == 404
    assert not _signed_out(theirs)


def test_signing_out_ends_the_row_and_keeps_it_as_history(people):
    client = _sign_in("director", "10.4.2.1")
    client.post(reverse("logout"))
    row = UserSession.objects.get(user=people["director"])
    assert row.ended_at is not None and row.ip == "10.4.2.1"
    again = _sign_in("director", "10.4.2.2")
    assert again.get(reverse("my_sessions")).context["last"] == row


def test_an_idle_session_is_not_listed(people, clock):
    _sign_in("director", "10.4.3.1")
    clock.shift(datetime.timedelta(minutes=45))
    current = _sign_in("director", "10.4.3.2")
    assert [r.ip for r in current.get(reverse("my_sessions")).context["rows"]] == ["10.4.3.2"]


def test_the_security_administrator_ends_all_sessions_of_a_person(people, client):
    first = _sign_in("director", "10.4.4.1")
    second = _sign_in("director", "10.4.4.2")
    client.force_login(people["secadmin"])
    response = client.post(reverse("security_sessions_end", args=[people["director"].pk]))
    assert response.status_code == 302
    assert _signed_out(first) and _signed_out(second)
    entry = AdminLogEntry.objects.get(action=AdminAction.END_SESSIONS)
    assert entry.by == people["secadmin"] and entry.target_id == str(people["director"].pk)
    assert entry.after == {"sessions": 2}


def test_a_password_change_ends_the_other_sessions(people):
    other = _sign_in("director", "10.4.5.1")
    client = _sign_in("director", "10.4.5.2")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Fresh-pass-2027",
            "new_password2": "Fresh-pass-2027",
        },
    )
    assert response.status_code == 302
    assert _signed_out(other)
    assert not _signed_out(client)
    assert [r.ip for r in client.get(reverse("my_sessions")).context["rows"]] == ["10.4.5.2"]


# --- Passwords --------------------------------------------------------------------------------


def test_none_of_the_last_five_passwords_again(people):
    director = people["director"]
    used = [PASSWORD] + [f"Rotated-pass-{n}x" for n in range(1, 5)]
    for password in used[1:]:
        director.set_password(password)
        director.save()
    assert PasswordRecord.objects.filter(user=director).count() == 5
    for password in used:
        with pytest.raises(ValidationError) as refused:
            validate_password(password, director)
        assert "最近 5 次" in " ".join(refused.value.messages)
    validate_password("Entirely-new-2027", director)
    director.set_password("Entirely-new-2027")
    director.save()
    # only five are kept: the first is allowed again
    assert PasswordRecord.objects.filter(user=director).count() == 5
    validate_password(PASSWORD, director)


def test_the_password_page_refuses_a_recent_password_in_chinese(people, client):
    client.force_login(people["director"])
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "该密码最近用过" in response.content.decode()


def _age_password(user, days):
    PasswordRecord.objects.filter(user=user).update(
        set_at=app_clock.now() - datetime.timedelta(days=days)
    )


def test_an_expired_administrator_password_is_changed_first(people, client):
    admin = people["sysadmin"]
    _age_password(admin, 91)
    client.force_login(admin)
    response = client.get(reverse("tasks"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and "至少每 90 天" in page.content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Admin-new-2027",
            "new_password2": "Admin-new-2027",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("tasks")).status_code == 200


def test_a_younger_administrator_password_and_other_roles_are_not_stopped(people, client):
    _age_password(people["auditadmin"], 89)
    client.force_login(people["auditadmin"])
    assert client.get(reverse("admin_log")).status_code == 200
    _age_password(people["director"], 400)
    client.force_login(people["director"])
    assert client.get(reverse("home")).status_code == 200


def test_the_maximum_age_is_a_setting(people, client, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    _age_password(people["sysadmin"], 31)
    client.force_login(people["sysadmin"])
    assert client.get(reverse("tasks"))["Location"] == reverse("password_change")
