import pytest
from django.urls import reverse

from org.models import Assignment
from tests.factories import PASSWORD

LOGIN = reverse("login")


def _all_page_urls(people):
    director = people["director"]
    assignment = Assignment.objects.get(user=director)
    return [
        reverse("home"),
        reverse("password_change"),
        reverse("password_change_done"),
        reverse("org:coverage"),
        reverse("org:staff_list"),
        reverse("org:staff_create"),
        reverse("org:staff_detail", args=[director.pk]),
        reverse("org:staff_edit", args=[director.pk]),
        reverse("org:assignment_end", args=[assignment.pk]),
        reverse("admin:index"),
        reverse("lockouts"),
    ]


def test_every_page_except_login_requires_login(people, client):
    for url in _all_page_urls(people):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(LOGIN), url
    assert client.get(LOGIN).status_code == 200


def test_every_api_endpoint_requires_authentication(people, client):
    for url in ("/api/v1/regions/", "/api/v1/staff/", "/api/v1/assignments/"):
        assert client.get(url).status_code in (401, 403), url


def test_login_page_is_chinese(db, client):
    body = client.get(LOGIN).content.decode()
    assert 'lang="zh-hans"' in body
    assert "登录" in body


@pytest.mark.parametrize(
    ("who", "panel", "shown", "hidden"),
    [
        ("director", "panel-director", "志达社区", "溶溪镇"),
        ("supervisor", "panel-supervisor", "兴城社区", "晨光社区"),
        ("civil", "panel-district", "静观镇", "溶溪镇"),
        ("centre", "panel-district", "天生街道", "溶溪镇"),
        ("other_civil", "panel-district", "溶溪镇", "静观镇"),
        ("other_supervisor", "panel-supervisor", "晨光社区", "志达社区"),
        ("sysadmin", "panel-admin", "北碚区", "静观镇"),
        ("nobody", "no-assignment", "", "静观镇"),
    ],
)
def test_home_page_shows_only_their_region(people, client, who, panel, shown, hidden):
    client.force_login(people[who])
    response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="{panel}"' in body
    assert shown in body
    assert hidden not in body


@pytest.mark.parametrize("who", ["civil", "supervisor", "director"])
def test_home_page_query_count_does_not_grow(people, client, who, django_assert_max_num_queries):
    from core import clock
    from stats.services import snapshot_regions

    snapshot_regions(today=clock.today(), now=clock.now())  # as the beat task keeps it
    client.force_login(people[who])
    # 14 before training; +2 for the worker's stored training status and the count of those due;
    # +1 for the unread-notification badge; +1 for the unacknowledged mandatory reports;
    # a director's village figures: one query of the snapshot (five live before issue 18).
    with django_assert_max_num_queries(18):
        client.get(reverse("home"))


def test_coverage_page(people, client):
    client.force_login(people["supervisor"])
    body = client.get(reverse("org:coverage")).content.decode()
    assert "兴城社区" not in body.split('data-testid="villages-without-director"')[1]  # covered
    assert "志达社区" not in body.split('data-testid="villages-without-director"')[1]
    client.force_login(people["director"])
    assert client.get(reverse("org:coverage")).status_code == 403


def test_error_pages_are_chinese(people, client):
    client.force_login(people["director"])
    response = client.get("/org/staff/999999/")
    assert response.status_code == 403  # a director does not manage staff
    assert "不" in response.content.decode()
    client.force_login(people["civil"])
    response = client.get("/org/staff/999999/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() or "找不到" in response.content.decode()


def test_server_error_page_renders_without_context(rf):
    from carecase.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "zh-hans" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    # The security administrator manages roles and assignments there (三员分立).
    [("sysadmin", 200), ("secadmin", 200), ("auditadmin", 403), ("civil", 403), ("director", 403)],
)
def test_django_admin_is_for_admin_roles_only(people, client, who, status):
    client.force_login(people[who])
    assert client.get(reverse("admin:index")).status_code == status


def test_system_admin_manages_accounts_security_admin_lockouts(people, client):
    client.force_login(people["sysadmin"])
    assert client.get(reverse("admin:org_user_changelist")).status_code == 200
    assert client.get(reverse("admin:org_region_changelist")).status_code == 200
    assert client.get(reverse("lockouts")).status_code == 403

    stranger = client.__class__()
    for _ in range(5):
        stranger.post(
            reverse("login"), {"username": "director", "password": "x"}, REMOTE_ADDR="10.9.9.9"
        )
    client.force_login(people["secadmin"])
    assert client.get(reverse("admin:org_user_changelist")).status_code == 403
    assert client.get(reverse("admin:org_assignment_changelist")).status_code == 200
    page = client.get(reverse("lockouts"))
    assert page.status_code == 200
    (attempt,) = page.context["page"]
    assert attempt.username == "director" and attempt.failures_since_start == 5
    client.post(reverse("lockout_unlock", args=[attempt.pk]))
    assert not client.get(reverse("lockouts")).context["page"].object_list
    anonymous = client.__class__()
    response = anonymous.post(
        reverse("login"), {"username": "director", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 302  # unlocked


def test_assignments_cannot_be_deleted_in_the_admin(people, client):
    client.force_login(people["sysadmin"])
    assignment = Assignment.objects.first()
    response = client.post(
        reverse("admin:org_assignment_delete", args=[assignment.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Assignment.objects.filter(pk=assignment.pk).exists()
