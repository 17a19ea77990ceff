"""A person who signs in with two factors renews their recovery codes (issue 19): on the code
their authenticator app shows now, never on a recovery code; the new codes shown once, the old
ones dead at once; the renewal in the administrators' log without the codes."""

import json

import django.test
import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from org import two_factor
from org.models import AdminAction, AdminLogEntry
from tests.factories import PASSWORD
from tests.signin import authenticator, current_code

pytestmark = pytest.mark.django_db

URL = "/accounts/recovery-codes/"


@pytest.fixture
def civil(people, client):
    """District civil affairs with an authenticator and ten recovery codes, signed in."""
    user = people["civil"]
    device = authenticator(user)
    old = two_factor.recovery_codes_renew(user)
    client.force_login(user)
    return user, device, old


def _tokens(user):
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def _signs_in_with(username, code):
    fresh = django.test.Client()
    fresh.post(reverse("login"), {"username": username, "password": PASSWORD})
    fresh.post(reverse("login_code"), {"code": code})
    return "_auth_user_id" in fresh.session


def test_the_sessions_page_links_to_it_for_a_person_with_two_factors(civil, client):
    assert reverse("my_recovery_codes") == URL
    page = client.get(reverse("my_sessions")).content.decode()
    assert f'href="{URL}"' in page and "重新生成恢复码" in page
    form = client.get(URL)
    assert form.status_code == 200
    assert "验证器" in form.content.decode()


def test_the_current_app_code_renews_them_once_and_the_old_ones_stop_working(civil, client):
    user, device, old = civil
    response = client.post(URL, {"code": current_code(device)})
    assert response.status_code == 200
    page = response.content.decode()
    new = _tokens(user)
    assert len(new) == 10 and not new & set(old)
    assert all(code in page for code in new)
    assert "旧的恢复码已失效" in page
    # The old codes are refused at sign-in; a new one signs in.
    # (a wrong code first would throttle the device for the next attempt: django-otp)
    assert _signs_in_with("civil", sorted(new)[0])
    assert not StaticToken.objects.filter(device__user=user, token__in=old).exists()
    entry = AdminLogEntry.objects.get(action=AdminAction.RECOVERY_RENEW)
    assert entry.by == user and entry.target_id == str(user.pk)
    assert entry.before == {"unused_codes": 10} and entry.after == {"codes": 10}
    written = json.dumps([entry.before, entry.after, entry.target])
    assert not any(code in written for code in [*old, *new])
    # The page is not a place to read them again.
    again = client.get(URL).content.decode()
    assert not any(code in again for code in new)


def test_a_retried_form_renews_once(civil, client):
    user, device, _old = civil
    code = current_code(device)
    assert client.post(URL, {"code": code}).status_code == 200
    first = _tokens(user)
    retry = client.post(URL, {"code": code})  # the same code again (a double submission)
    assert retry.status_code == 400
    assert _tokens(user) == first
    assert AdminLogEntry.objects.filter(action=AdminAction.RECOVERY_RENEW).count() == 1


def test_a_recovery_code_does_not_renew_them(civil, client):
    user, _device, old = civil
    response = client.post(URL, {"code": old[0]})
    assert response.status_code == 400
    assert "不是恢复码" in response.content.decode()
    assert _tokens(user) == set(old)  # nothing used up, nothing renewed
    assert not AdminLogEntry.objects.filter(action=AdminAction.RECOVERY_RENEW).exists()


def test_a_wrong_app_code_is_refused_with_a_message(civil, client):
    user, device, old = civil
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(URL, {"code": wrong})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert _tokens(user) == set(old)
    assert not AdminLogEntry.objects.filter(action=AdminAction.RECOVERY_RENEW).exists()


def test_nobody_without_an_authenticator_has_codes_to_renew(people, client):
    client.force_login(people["director"])  # optional second factor, none enrolled
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"code": "123456"}).status_code == 404
    assert URL not in client.get(reverse("my_sessions")).content.decode()


def test_signed_out_the_page_asks_to_sign_in(people):
    response = django.test.Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
