"""Two factors at sign-in (等保2.0 三级, issue 19 §3): required for the three administrators and
district staff, optional for others; enrolment only under the security administrator's permit,
the person scanning the secret themselves; recovery codes used once; resets audited; the token
endpoint asks for the code too."""

import datetime

import django.test
import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core import permissions
from org import two_factor
from org.models import AdminAction, AdminLogEntry, TwoFactorPermit
from tests.factories import PASSWORD
from tests.signin import authenticator, current_code

pytestmark = pytest.mark.django_db


def _password(client, username, ip="10.3.0.1", next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR=ip)


def _code(client, code, ip="10.3.0.1"):
    return client.post(reverse("login_code"), {"code": code}, REMOTE_ADDR=ip)


def _signed_in(client):
    return "_auth_user_id" in client.session


def test_a_required_person_without_a_factor_reaches_only_the_contact_page(people):
    client = django.test.Client()
    response = _password(client, "civil")
    assert response.status_code == 302 and response["Location"] == reverse("login_code")
    assert not _signed_in(client)  # the password alone signs nobody in
    response = client.get(reverse("login_code"))
    assert response.status_code == 403
    assert "安全管理员" in response.content.decode()
    assert not _signed_in(client)
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_an_optional_person_without_a_factor_signs_in_with_the_password(people):
    client = django.test.Client()
    response = _password(client, "director")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert _signed_in(client)


def test_wrong_code_is_refused_right_code_signs_in(people, clock):
    device = authenticator(people["civil"])
    client = django.test.Client()
    _password(client, "civil", next_url=reverse("my_sessions"))
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = _code(client, wrong)
    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()
    assert not _signed_in(client)
    # django-otp makes the next try wait after a failure (1 s, doubling): at once, refused
    response = _code(client, current_code(device))
    assert "错误次数过多" in response.content.decode() and not _signed_in(client)
    clock.shift(datetime.timedelta(seconds=2))
    response = _code(client, current_code(device))
    assert response.status_code == 302 and response["Location"] == reverse("my_sessions")
    assert _signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("home")).status_code == 200


def test_an_optional_person_with_a_factor_is_asked_for_it(people):
    device = authenticator(people["director"])
    client = django.test.Client()
    assert _password(client, "director")["Location"] == reverse("login_code")
    assert not _signed_in(client)
    assert _code(client, current_code(device)).status_code == 302
    assert _signed_in(client)


def test_the_code_step_expires(people, clock):
    device = authenticator(people["civil"])
    client = django.test.Client()
    _password(client, "civil")
    clock.shift(datetime.timedelta(minutes=6))
    response = _code(client, current_code(device))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not _signed_in(client)


def test_a_recovery_code_works_once(people, clock):
    authenticator(people["civil"])
    codes = two_factor.recovery_codes_renew(people["civil"])
    assert len(codes) == 10 and len(set(codes)) == 10
    client = django.test.Client()
    _password(client, "civil")
    assert _code(client, codes[0].upper()).status_code == 302
    assert _signed_in(client)
    assert StaticToken.objects.filter(device__user=people["civil"]).count() == 9
    again = django.test.Client()
    _password(again, "civil", ip="10.3.0.2")
    response = _code(again, codes[0], ip="10.3.0.2")
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert not _signed_in(again)


def test_enrolment_under_the_security_administrators_permit(people, client, clock):
    civil = people["civil"]
    client.force_login(people["secadmin"])
    response = client.post(reverse("security_two_factor_permit", args=[civil.pk]))
    assert response.status_code == 302
    permit = TwoFactorPermit.objects.get(user=civil)
    assert permit.expires_at == permit.issued_at + datetime.timedelta(hours=24)
    entry = AdminLogEntry.objects.get(action=AdminAction.TWO_FACTOR_PERMIT)
    assert entry.by == people["secadmin"] and entry.target_id == str(civil.pk)

    person = django.test.Client()
    assert _password(person, "civil")["Location"] == reverse("login_code")
    assert person.get(reverse("login_code"))["Location"] == reverse("login_enrol")
    page = person.get(reverse("login_enrol"))
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=civil, confirmed=False)
    assert "<svg" in body and two_factor.secret_of(device) in body
    assert not _signed_in(person)
    # the security administrator's page never shows the secret
    listing = client.get(reverse("security_two_factor")).content.decode()
    assert two_factor.secret_of(device) not in listing

    response = person.post(reverse("login_enrol"), {"code": "000000"})
    if current_code(device) != "000000":
        assert "验证码不正确" in response.content.decode()
        assert not _signed_in(person)
    clock.shift(datetime.timedelta(seconds=2))  # django-otp's wait after a wrong code
    response = person.post(reverse("login_enrol"), {"code": current_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and all(code in response.content.decode() for code in codes)
    assert _signed_in(person)
    device.refresh_from_db()
    assert device.confirmed
    permit.refresh_from_db()
    assert permit.used_at is not None
    assert AdminLogEntry.objects.filter(
        action=AdminAction.TWO_FACTOR_ENROL, by=civil, target_id=str(civil.pk)
    ).exists()
    assert person.get(reverse("home")).status_code == 200


def test_without_a_permit_there_is_no_enrolment(people):
    client = django.test.Client()
    _password(client, "civil")
    response = client.get(reverse("login_enrol"))
    assert response["Location"] == reverse("login_code")
    assert not TOTPDevice.objects.filter(user=people["civil"]).exists()


def test_an_expired_permit_allows_nothing(people, clock):
    two_factor.permit_issue(by=people["secadmin"], user=people["civil"])
    clock.shift(datetime.timedelta(hours=25))
    client = django.test.Client()
    _password(client, "civil")
    assert client.get(reverse("login_code")).status_code == 403


@pytest.mark.parametrize("who", ["sysadmin", "auditadmin", "civil", "director"])
def test_only_the_security_administrator_permits_and_resets(people, client, who):
    client.force_login(people[who])
    target = people["supervisor"]
    assert client.get(reverse("security_two_factor")).status_code == 403
    assert client.post(reverse("security_two_factor_permit", args=[target.pk])).status_code == 403
    assert client.post(reverse("security_two_factor_reset", args=[target.pk])).status_code == 403
    assert client.post(reverse("security_sessions_end", args=[target.pk])).status_code == 403
    assert not TwoFactorPermit.objects.exists()


def test_the_security_administrator_does_not_manage_their_own(people, client):
    client.force_login(people["secadmin"])
    own = people["secadmin"].pk
    assert client.post(reverse("security_two_factor_permit", args=[own])).status_code == 403
    assert client.post(reverse("security_two_factor_reset", args=[own])).status_code == 403
    assert client.post(reverse("security_two_factor_permit", args=[999999])).status_code == 404


def test_the_first_security_administrator_is_permitted_from_the_shell(people):
    call_command("two_factor_permit", "secadmin")
    permit = TwoFactorPermit.objects.get(user=people["secadmin"])
    assert permit.issued_by is None
    entry = AdminLogEntry.objects.get(action=AdminAction.TWO_FACTOR_PERMIT)
    assert entry.by is None and entry.after["shell"] is True


def test_a_reset_removes_the_factor_ends_the_sessions_and_is_logged(people, client):
    civil = people["civil"]
    signed_in = django.test.Client()
    device = authenticator(civil)
    _password(signed_in, "civil")
    _code(signed_in, current_code(device))
    assert signed_in.get(reverse("home")).status_code == 200
    two_factor.recovery_codes_renew(civil)

    client.force_login(people["secadmin"])
    page = client.get(reverse("security_two_factor"), {"q": "civil"}).content.decode()
    assert 'data-account="civil"' in page and 'data-account="director"' not in page
    assert client.post(reverse("security_two_factor_reset", args=[civil.pk])).status_code == 302
    assert not TOTPDevice.objects.filter(user=civil).exists()
    assert not StaticToken.objects.filter(device__user=civil).exists()
    entry = AdminLogEntry.objects.get(action=AdminAction.TWO_FACTOR_RESET)
    assert entry.by == people["secadmin"] and entry.target_id == str(civil.pk)
    assert entry.before == {"enrolled": True} and entry.after["sessions_ended"] == 1
    assert signed_in.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_a_required_session_not_verified_is_signed_out(people):
    """A session made by another path than the sign-in's code step (here force_login with the
    plain test client) is signed out on its first request, pages and API alike."""
    page = django.test.Client()
    page.force_login(people["civil"])
    response = page.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not _signed_in(page)
    api = django.test.Client()
    api.force_login(people["secadmin"])
    assert api.get("/api/v1/tokens/").status_code in (401, 403)
    assert not _signed_in(api)


# --- The token endpoint ---------------------------------------------------------------------


def _token(username, otp=None, ip="10.3.1.1"):
    data = {"username": username, "password": PASSWORD, "device": "phone"}
    if otp is not None:
        data["otp"] = otp
    return APIClient().post("/api/v1/token/", data, REMOTE_ADDR=ip)


def test_the_token_endpoint_asks_for_the_code(people, clock):
    device = authenticator(people["civil"])
    response = _token("civil")
    assert response.status_code == 400 and "otp" in response.json()
    response = _token("civil", otp=f"{(int(current_code(device)) + 1) % 1_000_000:06d}")
    assert response.status_code == 400
    assert "验证码不正确" in response.json()["otp"][0]
    clock.shift(datetime.timedelta(seconds=2))  # django-otp's wait after a wrong code
    response = _token("civil", otp=current_code(device))
    assert response.status_code == 200 and response.json()["token"]


def test_no_token_for_a_required_person_without_a_factor(people):
    response = _token("centre", otp="123456")
    assert response.status_code == 400
    assert "安全管理员" in response.json()["otp"][0]


def test_an_optional_person_without_a_factor_needs_no_code(people):
    assert _token("director").status_code == 200


def test_who_must_have_a_second_factor(people):
    required = {name for name, user in people.items() if permissions.needs_two_factor(user)}
    assert required == {"civil", "other_civil", "centre", "sysadmin", "secadmin", "auditadmin"}


def test_the_admin_site_shows_no_second_factor():
    """django-otp's device pages would show a person's secret: not on the admin site."""
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
