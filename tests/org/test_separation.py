"""三员分立 by construction: the system, security and audit administrators reach no child's
data by the admin site, the API or tokens; none changes their own privileges or makes a
superuser; district staff never manage an administrator; every administrator's change is
logged with the values before and after."""

import pytest
from rest_framework.test import APIClient

from children.models import Child
from core import clock as app_clock
from core import permissions, scoping
from org import tokens
from org.models import AdminLogEntry, ApiToken, Assignment, Region, Role, User
from tests.factories import BEIBEI, ZHIDA

ADMINS = ["sysadmin", "secadmin", "auditadmin"]


@pytest.fixture
def child(people):
    from tests.factories import make_child

    return make_child(people["director"])


def _assignment_form(user, role, region_code=BEIBEI):
    return {
        "user": user.pk,
        "region": Region.objects.get(code=region_code).pk,
        "role": role,
        "start_date": "2026-01-01",
    }


@pytest.mark.parametrize("admin", ADMINS)
def test_no_administrator_sees_tokens_in_the_admin(people, client, admin):
    row, secret = tokens.token_create(user=people["civil"], name="phone")
    client.force_login(people[admin])
    for url in (
        "/admin/authtoken/tokenproxy/",
        "/admin/authtoken/token/",
        "/admin/knox/authtoken/",
        "/admin/org/apitoken/",
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert secret not in response.content.decode()
        assert row.digest not in response.content.decode()


@pytest.mark.parametrize("admin", ADMINS)
def test_no_administrator_adds_themselves_a_data_role_in_the_admin(people, client, admin):
    client.force_login(people[admin])
    before = Assignment.objects.count()
    response = client.post(
        "/admin/org/assignment/add/", _assignment_form(people[admin], Role.CIVIL_AFFAIRS)
    )
    assert response.status_code in (200, 403)
    assert Assignment.objects.count() == before
    assert Child.objects.visible_to(people[admin]).count() == 0


def test_security_admin_cannot_give_an_administrator_a_data_role(people, client):
    client.force_login(people["secadmin"])
    for target in ("sysadmin", "auditadmin"):
        response = client.post(
            "/admin/org/assignment/add/", _assignment_form(people[target], Role.CIVIL_AFFAIRS)
        )
        assert response.status_code == 200  # the form again, with the error
        assert "errornote" in response.content.decode() or "errorlist" in response.content.decode()
    assert not Assignment.objects.filter(
        user__in=[people["sysadmin"], people["auditadmin"]], role=Role.CIVIL_AFFAIRS
    ).exists()


def test_security_admin_cannot_make_a_data_worker_an_administrator(people, client):
    client.force_login(people["secadmin"])
    client.post("/admin/org/assignment/add/", _assignment_form(people["civil"], Role.SYSTEM_ADMIN))
    assert not Assignment.objects.filter(user=people["civil"], role=Role.SYSTEM_ADMIN).exists()


def test_security_admin_assigns_a_role_and_it_is_logged(people, client):
    from tests.factories import make_user

    newcomer = make_user(username="newcomer")
    client.force_login(people["secadmin"])
    response = client.post(
        "/admin/org/assignment/add/", _assignment_form(newcomer, Role.AUDIT_ADMIN)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AdminLogEntry.objects.get(action="create", target_type="org.assignment")
    assert entry.by == people["secadmin"] and entry.after["role"] == "audit_admin"


def test_security_admin_cannot_end_their_own_role(people, client):
    own = Assignment.objects.get(user=people["secadmin"])
    client.force_login(people["secadmin"])
    response = client.post(
        f"/admin/org/assignment/{own.pk}/change/",
        {"end_date": "2026-06-01", "end_reason": "x"},
    )
    assert response.status_code in (200, 403)
    own.refresh_from_db()
    assert own.end_date is None


@pytest.mark.parametrize("admin", ADMINS)
def test_no_administrator_makes_themselves_superuser(people, client, admin):
    user = people[admin]
    client.force_login(user)
    response = client.post(
        f"/admin/org/user/{user.pk}/change/",
        {
            "username": user.username,
            "real_name": user.real_name,
            "phone": user.phone,
            "status": "active",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code in (403, 404, 200)
    user.refresh_from_db()
    assert not user.is_superuser


def test_system_admin_cannot_make_anyone_superuser_and_changes_are_logged(people, client):
    target = people["civil"]
    client.force_login(people["sysadmin"])
    response = client.post(
        f"/admin/org/user/{target.pk}/change/",
        {
            "username": target.username,
            "real_name": "改过的名字",
            "phone": target.phone,
            "status": "active",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert not target.is_superuser and target.real_name == "改过的名字"
    entry = AdminLogEntry.objects.get(action="change", target_type="org.user")
    assert entry.by == people["sysadmin"]
    assert entry.before == {"real_name": "测试人员0"} or "real_name" in entry.before
    assert entry.after["real_name"] == "改过的名字"
    assert "password" not in entry.after


def test_system_admin_sets_no_password(people, client):
    target = people["civil"]
    client.force_login(people["sysadmin"])
    old_hash = target.password
    response = client.post(
        f"/admin/org/user/{target.pk}/password/",
        {"password1": "Hijack-pass-2026", "password2": "Hijack-pass-2026"},
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.password == old_hash


@pytest.mark.parametrize("admin", ["sysadmin", "auditadmin"])
def test_system_and_audit_admins_cannot_assign_roles_in_the_admin(people, client, admin):
    client.force_login(people[admin])
    assert client.get("/admin/org/assignment/add/").status_code == 403


@pytest.mark.parametrize("admin", ["secadmin", "auditadmin"])
def test_security_and_audit_admins_do_not_manage_accounts(people, client, admin):
    client.force_login(people[admin])
    assert client.get("/admin/org/user/").status_code == 403


@pytest.mark.parametrize("admin", ADMINS)
def test_no_administrator_reaches_groups_or_object_permissions(people, client, admin):
    client.force_login(people[admin])
    for url in ("/admin/auth/group/add/", "/admin/guardian/userobjectpermission/"):
        assert client.get(url).status_code in (403, 404), url


@pytest.mark.parametrize("admin", ADMINS)
def test_no_administrator_reaches_children_by_api_or_token(people, child, admin):
    _row, secret = tokens.token_create(user=people[admin], name="laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get("/api/v1/children/").json()["count"] == 0
    assert client.get(f"/api/v1/children/{child.pk}/").status_code == 404
    response = client.post(
        "/api/v1/assignments/",
        _assignment_form(people[admin], Role.CIVIL_AFFAIRS, "500109000000"),
        format="json",
    )
    assert response.status_code == 403
    today = app_clock.today().isoformat()
    response = client.post("/api/v1/exports/", {"area": BEIBEI, "date": today}, format="json")
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("admin", ADMINS)
def test_a_data_role_recorded_for_an_administrator_grants_nothing(people, child, admin):
    # Even a row written behind the application's back does not open case data.
    Assignment.objects.create(
        user=people[admin],
        region=Region.objects.get(code=BEIBEI),
        role=Role.CIVIL_AFFAIRS,
        start_date="2026-01-01",
    )
    scoping.forget_scope(people[admin])
    assert Child.objects.visible_to(people[admin]).count() == 0
    assert not permissions.can_view_identifier(people[admin])


@pytest.mark.parametrize("admin", ADMINS)
def test_district_staff_cannot_edit_an_administrators_record(people, admin):
    client = APIClient()
    client.force_authenticate(people["civil"])
    target = people[admin]
    response = client.patch(f"/api/v1/staff/{target.pk}/", {"status": "left"}, format="json")
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.status == "active"
    ids = [row["id"] for row in client.get("/api/v1/staff/").json()["results"]]
    assert target.pk not in ids
    assert client.get(f"/api/v1/staff/{target.pk}/").status_code == 404


@pytest.mark.parametrize("admin", ADMINS)
def test_district_staff_pages_do_not_reach_administrators(people, client, admin):
    client.force_login(people["civil"])
    target = people[admin]
    assert client.get(f"/org/staff/{target.pk}/").status_code == 404
    response = client.post(f"/org/staff/{target.pk}/edit/", {"status": "left"})
    assert response.status_code == 404
    assert client.post(f"/org/staff/{target.pk}/password/").status_code == 404
    target.refresh_from_db()
    assert target.status == "active"


def test_district_staff_cannot_give_an_administrator_a_data_role(people):
    from django.core.exceptions import ValidationError

    from org import services

    with pytest.raises(ValidationError):
        services.assignment_create(
            by=people["civil"],
            user=people["auditadmin"],
            region=Region.objects.get(code=ZHIDA),
            role=Role.CHILD_DIRECTOR,
            start_date=__import__("datetime").date(2026, 2, 1),
        )
    assert not Assignment.objects.filter(user=people["auditadmin"], role="child_director")


def test_break_glass_superuser_every_request_is_logged(people, client, child):
    root = User.objects.create_superuser("root", password="Root-pass-2026", real_name="应急")
    client.force_login(root)
    client.get("/admin/")
    client.get("/api/v1/children/")
    paths = list(
        AdminLogEntry.objects.filter(by=root, action="superuser").values_list(
            "after__path", flat=True
        )
    )
    assert "/admin/" in paths and "/api/v1/children/" in paths
    # A superuser holds no scope either: the archive stays closed to it.
    assert Child.objects.visible_to(root).count() == 0


def test_tokens_are_not_shown_anywhere_in_the_admin_index(people, client):
    tokens.token_create(user=people["civil"])
    client.force_login(people["sysadmin"])
    body = client.get("/admin/").content.decode()
    assert "apitoken" not in body.lower() and "authtoken" not in body.lower()
    assert ApiToken.objects.count() == 1
