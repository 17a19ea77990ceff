import pytest
from django.urls import reverse

from org.models import Assignment, Region, User
from tests.factories import CHENGUANG, XINXINGLU, ZHIDA


@pytest.fixture
def civil_client(people, client):
    client.force_login(people["civil"])
    return client


def test_create_staff_shows_a_one_time_password(civil_client):
    response = civil_client.post(
        reverse("org:staff_create"),
        {"username": "wang", "real_name": "王芳", "phone": "13987654321", "position": "儿童主任"},
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    staff = User.objects.get(username="wang")
    assert staff.check_password(password) and staff.must_change_password
    assert staff.managing_district.code == "500109000000"


def test_create_staff_bad_input_is_shown_on_the_fields(civil_client, people):
    response = civil_client.post(
        reverse("org:staff_create"), {"username": "director", "real_name": "", "phone": "555"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert {"username", "real_name", "phone"} <= set(form.errors)
    assert 'data-field-error="phone"' in response.content.decode()
    assert User.objects.filter(username="director").count() == 1


def test_assign_and_end_through_the_pages(civil_client, people):
    director = people["director"]
    village = Region.objects.get(code=XINXINGLU)
    url = reverse("org:assignment_create", args=[director.pk])
    response = civil_client.post(
        url, {"role": "child_director", "region": village.pk, "start_date": "2026-11-01"}
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(user=director, region=village)

    # wrong level: message on the region field, nothing saved
    town = Region.objects.get(code="500109110000")
    response = civil_client.post(
        url, {"role": "child_director", "region": town.pk, "start_date": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "region" in response.context["assignment_form"].errors
    assert not Assignment.objects.filter(user=director, region=town).exists()

    # a region of another district is not even a choice
    far = Region.objects.get(code=CHENGUANG)
    response = civil_client.post(
        url, {"role": "child_director", "region": far.pk, "start_date": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "region" in response.context["assignment_form"].errors

    end_url = reverse("org:assignment_end", args=[assignment.pk])
    response = civil_client.post(end_url, {"end_date": "2026-11-22", "end_reason": ""})
    assert response.status_code == 200 and "end_reason" in response.context["form"].errors
    response = civil_client.post(end_url, {"end_date": "2026-11-22", "end_reason": "工作调动"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.end_reason == "工作调动"
    detail = civil_client.get(reverse("org:staff_detail", args=[director.pk])).content.decode()
    assert "工作调动" in detail  # history stays visible


def test_staff_list_filters_and_query_count(civil_client, people, django_assert_max_num_queries):
    with django_assert_max_num_queries(11):  # +1: the unread-notification badge
        response = civil_client.get(reverse("org:staff_list"))
    names = {s.username for s in response.context["page"]}
    assert "director" in names and "other_director" not in names
    response = civil_client.get(reverse("org:staff_list"), {"role": "supervisor"})
    assert {s.username for s in response.context["page"]} == {"supervisor"}
    response = civil_client.get(reverse("org:staff_list"), {"q": "director"})
    assert "director" in {s.username for s in response.context["page"]}
    for i in range(30):
        User.objects.create(
            username=f"bulk{i}",
            real_name=f"批量{i}",
            managing_district=people["civil"].managing_district,
        )
    with django_assert_max_num_queries(11):  # +1: the unread-notification badge
        civil_client.get(reverse("org:staff_list"), {"page": 2})


def test_edit_and_reset_password(civil_client, people):
    director = people["director"]
    response = civil_client.post(
        reverse("org:staff_edit", args=[director.pk]),
        {"real_name": "新名字", "phone": "13900001111", "status": "active"},
    )
    assert response.status_code == 302
    director.refresh_from_db()
    assert director.real_name == "新名字"
    response = civil_client.post(reverse("org:staff_reset_password", args=[director.pk]))
    director.refresh_from_db()
    assert director.check_password(response.context["password"]) and director.must_change_password


def test_directors_cannot_manage_staff(people, client):
    client.force_login(people["director"])
    assert client.get(reverse("org:staff_list")).status_code == 403
    assert client.post(reverse("org:staff_create"), {"username": "x"}).status_code == 403
    assert not User.objects.filter(username="x").exists()
    assert Region.objects.filter(code=ZHIDA).exists()
