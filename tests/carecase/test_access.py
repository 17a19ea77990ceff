"""The scoping matrix: every role, objects in and out of their region, through the scoping
module, pages and API."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from core import scoping
from org.models import ADMIN_ROLES, Assignment, Region, User
from tests.factories import CHENGUANG, JINGGUAN, ZHIDA

# role -> the region-code prefix they see (None: nothing)
EXPECTED_PREFIX = {
    "civil": "500109",
    "centre": "500109",
    "supervisor": "500109110",
    "director": ZHIDA,
    "neighbour": "500109110005",
    "other_civil": "500241",
    "other_supervisor": "500241104",
    "other_director": CHENGUANG,
    "sysadmin": None,
    "secadmin": None,
    "auditadmin": None,
    "nobody": None,
}


@pytest.mark.parametrize("who", EXPECTED_PREFIX)
def test_visible_regions_are_exactly_the_prefix(people, who):
    prefix = EXPECTED_PREFIX[who]
    visible = set(Region.objects.visible_to(people[who]).values_list("code", flat=True))
    expected = (
        set(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))
        if prefix
        else set()
    )
    assert visible == expected


@pytest.mark.parametrize("who", EXPECTED_PREFIX)
def test_api_region_detail_is_404_out_of_scope(people, client, who):
    client.force_login(people[who])
    village = Region.objects.get(code=ZHIDA)
    response = client.get(f"/api/v1/regions/{village.pk}/")
    prefix = EXPECTED_PREFIX[who]
    expected = 200 if prefix and ZHIDA.startswith(prefix) else 404
    assert response.status_code == expected


@pytest.mark.parametrize("who", EXPECTED_PREFIX)
def test_api_region_list_is_scoped(people, client, who):
    client.force_login(people[who])
    response = client.get("/api/v1/regions/", {"level": "village"})
    assert response.status_code == 200
    prefix = EXPECTED_PREFIX[who]
    codes = [r["code"] for r in response.json()["results"]]
    assert all(prefix and c.startswith(prefix) for c in codes)
    if prefix is None:
        assert response.json()["count"] == 0


@pytest.mark.parametrize("who", EXPECTED_PREFIX)
def test_api_assignments_are_scoped(people, client, who):
    client.force_login(people[who])
    response = client.get("/api/v1/assignments/", {"page_size": 200})
    assert response.status_code == 200
    prefix = EXPECTED_PREFIX[who]
    codes = [a["region_code"] for a in response.json()["results"]]
    assert all(prefix and c.startswith(prefix) for c in codes)
    # Administrators' assignments are the security administrator's: districts never see them.
    expected = (
        Assignment.objects.filter(region__code__startswith=prefix)
        .exclude(role__in=ADMIN_ROLES)
        .count()
        if prefix
        else 0
    )
    assert response.json()["count"] == expected


def test_staff_pages_out_of_district_are_404(people, client):
    client.force_login(people["other_civil"])
    director = people["director"]
    assignment = Assignment.objects.get(user=director)
    for url in (
        reverse("org:staff_detail", args=[director.pk]),
        reverse("org:staff_edit", args=[director.pk]),
        reverse("org:assignment_end", args=[assignment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("org:staff_reset_password", args=[director.pk])).status_code == 404
    assert client.get(f"/api/v1/staff/{director.pk}/").status_code == 404
    assert (
        client.post(f"/api/v1/assignments/{assignment.pk}/end/", {"end_reason": "x"}).status_code
        == 404
    )
    # and the same objects are there for the district that holds them
    client.force_login(people["civil"])
    assert client.get(reverse("org:staff_detail", args=[director.pk])).status_code == 200
    assert client.get(f"/api/v1/staff/{director.pk}/").status_code == 200


def test_staff_visible_to_a_district(people):
    visible = set(User.objects.visible_to(people["civil"]).values_list("username", flat=True))
    assert {"civil", "centre", "supervisor", "director", "neighbour"} <= visible
    assert not visible & {"other_civil", "other_supervisor", "other_director"}
    # 三员分立: district staff never manage an administrator.
    assert not visible & {"sysadmin", "secadmin", "auditadmin"}
    town = set(User.objects.visible_to(people["supervisor"]).values_list("username", flat=True))
    assert town == {"supervisor", "director", "neighbour"}


def test_nobody_sees_nothing(people):
    nobody = people["nobody"]
    assert scoping.get_scope(nobody).prefixes == ()
    assert not Region.objects.visible_to(nobody).exists()
    assert not Assignment.objects.visible_to(nobody).exists()
    assert not User.objects.visible_to(nobody).exists()


def test_anonymous_sees_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    assert not Region.objects.visible_to(AnonymousUser()).exists()


def test_an_explicit_grant_shares_one_object_outside_the_region(people):
    director = people["director"]
    far_village = Region.objects.get(code=CHENGUANG)
    assert not Region.objects.visible_to(director).filter(pk=far_village.pk).exists()
    assign_perm("view_region", director, far_village)
    scoping.forget_scope(director)
    visible = Region.objects.visible_to(director)
    assert set(visible.values_list("code", flat=True)) == {ZHIDA, CHENGUANG}
    assert scoping.get_visible_or_404(Region.objects.all(), director, pk=far_village.pk)


def test_in_scope_is_the_region_scope_without_grants(people, django_assert_num_queries):
    director = people["director"]
    far_village = Region.objects.get(code=CHENGUANG)
    assign_perm("view_region", director, far_village)
    scoping.forget_scope(director)
    scope = scoping.get_scope(director)
    with django_assert_num_queries(1):  # the rows only: no grants read
        codes = set(Region.objects.in_scope(scope).values_list("code", flat=True))
    assert codes == {ZHIDA}
    assert not Region.objects.in_scope(scoping.Scope()).exists()


def test_a_scope_of_prefixes_is_held_by_nobody(people):
    scope = scoping.Scope.of_prefixes([ZHIDA, JINGGUAN[:9], JINGGUAN[:9]])
    assert scope.prefixes == (JINGGUAN[:9],)
    assert not scope.assignments and not scope.roles


def test_scope_collapses_nested_assignments(people):
    # a supervisor who is also director of a village in their town: the town covers it
    supervisor = people["supervisor"]
    Assignment.objects.create(
        user=supervisor,
        region=Region.objects.get(code=ZHIDA),
        role="child_director",
        start_date="2026-01-01",
    )
    scoping.forget_scope(supervisor)
    assert scoping.get_scope(supervisor).prefixes == (JINGGUAN[:9],)


def test_scope_query_count_is_constant(people, django_assert_num_queries):
    civil = people["civil"]
    scoping.forget_scope(civil)
    with django_assert_num_queries(3):  # assignments, explicit grants, the rows
        list(Region.objects.visible_to(civil))
    with django_assert_num_queries(1):  # both cached for the rest of the request
        list(Region.objects.visible_to(civil))
