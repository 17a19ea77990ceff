"""The pages of the tokens and of the administrators' log."""

import pytest

from org import adminlog, tokens
from org.models import AdminLogEntry, ApiToken


def test_owner_sees_and_revokes_their_devices(people, client):
    row, secret = tokens.token_create(user=people["director"], name="我的手机")
    tokens.token_create(user=people["supervisor"], name="别人的")
    client.force_login(people["director"])
    body = client.get("/accounts/tokens/").content.decode()
    assert "我的手机" in body and "别人的" not in body
    assert secret not in body and row.digest not in body and row.token_key not in body
    response = client.post(f"/accounts/tokens/{row.public_id}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=people["director"]).exists()


def test_nobody_revokes_someone_elses_token_from_the_owner_page(people, client):
    row, _secret = tokens.token_create(user=people["supervisor"])
    client.force_login(people["director"])
    assert client.post(f"/accounts/tokens/{row.public_id}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=row.pk).exists()


def test_security_admin_lists_every_token_without_secrets_and_revokes(people, client):
    row, secret = tokens.token_create(user=people["director"], name="手机")
    client.force_login(people["secadmin"])
    body = client.get("/security/tokens/").content.decode()
    assert "director" in body and secret not in body and row.digest not in body
    client.post(f"/accounts/tokens/{row.public_id}/revoke/")
    assert not ApiToken.objects.exists()
    assert AdminLogEntry.objects.filter(action="revoke_token", by=people["secadmin"]).exists()


@pytest.mark.parametrize("who", ["sysadmin", "auditadmin", "civil", "director"])
def test_only_the_security_admin_lists_all_tokens(people, client, who):
    client.force_login(people[who])
    assert client.get("/security/tokens/").status_code == 403


def test_audit_admin_reads_the_administrators_log(people, client):
    adminlog.record(
        by=people["sysadmin"],
        action="change",
        target_type="org.user",
        target_id="7",
        before={"phone": "13900000000"},
        after={"phone": "13911111111"},
    )
    client.force_login(people["auditadmin"])
    body = client.get("/audit/admin-log/").content.decode()
    assert "13900000000" in body and "13911111111" in body and "sysadmin" in body


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "civil"])
def test_others_do_not_read_the_administrators_log(people, client, who):
    client.force_login(people[who])
    assert client.get("/audit/admin-log/").status_code == 403


def test_unlocking_a_sign_in_is_logged(people, client):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username="director", ip_address="10.9.9.9", failures_since_start=5, user_agent="x"
    )
    client.force_login(people["secadmin"])
    client.post(f"/security/lockouts/{attempt.pk}/unlock/")
    assert AdminLogEntry.objects.filter(action="unlock", target="director").exists()


def test_pages_are_not_cached(people, client):
    client.force_login(people["director"])
    for url in ("/", "/children/", "/api/v1/children/"):
        cache = client.get(url)["Cache-Control"]
        assert "no-store" in cache and "private" in cache, url
