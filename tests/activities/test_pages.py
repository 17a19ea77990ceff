"""The pages: recording on a phone-sized form (400 with the message on the field, once per
client id), the list and the activity scoped (404 outside), attendance on the child's
timeline, and never a child's name outside the reader's scope."""

import uuid

import pytest
from django.urls import reverse

from activities.models import Activity, Attendance
from children.models import Child
from core import clock
from tests.activities.conftest import png, record
from tests.factories import JINGGUAN, TIANSHENG, ZHIDA, region

pytestmark = pytest.mark.django_db


def form_data(kids, **overrides):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "region": region(ZHIDA).pk,
        "kind": "safety",
        "topics": ["drowning", "traffic"],
        "title": "暑期防溺水安全教育",
        "held_on": clock.today().isoformat(),
        "place": "志达社区儿童之家",
        "children": [c.pk for c in kids],
        "volunteers": "西南大学志愿者 3 人",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_a_director_records_an_activity_and_it_shows_on_each_childs_timeline(people, kids, login):
    client = login(people["director"])
    page = client.get(reverse("activities:new"))
    assert page.status_code == 200 and "data-attendance" in page.content.decode()
    data = form_data(kids["zhida"])
    response = client.post(reverse("activities:new"), {**data, "photos": [png()]})
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:detail", args=[activity.pk])
    assert activity.topics == ["drowning", "traffic"] and activity.photos.count() == 1
    # The same form sent again (a phone retrying): the same activity.
    again = client.post(reverse("activities:new"), data)
    assert again.status_code == 302 and Activity.objects.count() == 1
    detail = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert all(c.name in detail for c in kids["zhida"])
    child_page = client.get(reverse("children:detail", args=[kids["zhida"][2].pk]))
    body = child_page.content.decode()
    assert 'data-kind="activity"' in body and "暑期防溺水安全教育" in body
    photo = activity.photos.get()
    download = client.get(reverse("activities:photo", args=[photo.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "image/png"


def test_a_child_of_another_village_is_refused_on_the_field(people, kids, login):
    client = login(people["supervisor"])
    response = client.post(
        reverse("activities:new"), form_data([kids["zhida"][0], kids["xingcheng"]])
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field-error="children"' in body and "周星不在活动的组织区域内。" in body
    assert not Activity.objects.exists()


def test_a_future_date_is_refused_in_chinese(people, kids, login):
    import datetime

    tomorrow = (clock.today() + datetime.timedelta(days=1)).isoformat()
    response = login(people["director"]).post(
        reverse("activities:new"), form_data(kids["zhida"], held_on=tomorrow)
    )
    assert response.status_code == 400
    assert "活动举办后才能登记" in response.content.decode()


def test_another_villages_director_cannot_see_or_add_her_children(people, kids, login):
    activity = record(people["director"], kids["zhida"])
    neighbour = login(people["neighbour"])
    assert neighbour.get(reverse("activities:detail", args=[activity.pk])).status_code == 404
    listing = neighbour.get(reverse("activities:list")).content.decode()
    assert activity.title not in listing
    photo_404 = neighbour.get(reverse("activities:photo", args=[1]))
    assert photo_404.status_code == 404
    response = neighbour.post(reverse("activities:new"), form_data(kids["zhida"]))
    assert (
        response.status_code == 400
        and not Activity.objects.filter(created_by=people["neighbour"]).exists()
    )
    for name in ("other_director", "other_supervisor", "other_civil", "sysadmin", "nobody"):
        response = login(people[name]).get(reverse("activities:detail", args=[activity.pk]))
        assert response.status_code == 404, name
    assert login(people["sysadmin"]).get(reverse("activities:list")).status_code == 404


def test_the_town_supervisor_sees_her_towns_activities(people, kids, login):
    village = record(people["director"], kids["zhida"])
    town = record(
        people["supervisor"],
        [kids["zhida"][0], kids["xingcheng"]],
        area_code=JINGGUAN,
        title="镇级家庭教育讲座",
        kind="family_education",
        topics=[],
    )
    elsewhere = record(people["civil"], [], area_code=TIANSHENG, title="天生街道活动")
    listing = login(people["supervisor"]).get(reverse("activities:list")).content.decode()
    assert village.title in listing and town.title in listing and elsewhere.title not in listing
    # The village's director sees her village's activity, not the town's page; the town's
    # activity is on her child's timeline, without a link and without the other child.
    director = login(people["director"])
    assert director.get(reverse("activities:detail", args=[town.pk])).status_code == 404
    body = director.get(reverse("children:detail", args=[kids["zhida"][0].pk])).content.decode()
    assert "镇级家庭教育讲座" in body and "周星" not in body
    assert reverse("activities:detail", args=[town.pk]) not in body


def test_attendance_never_names_a_child_outside_the_readers_scope(people, kids, login):
    activity = record(
        people["supervisor"],
        [kids["zhida"][0], kids["xingcheng"]],
        area_code=JINGGUAN,
        kind="reading",
        topics=[],
    )
    # One of them has since moved out of the town (her archive with another village).
    Child.objects.filter(pk=kids["xingcheng"].pk).update(region_code="500109001028")
    body = (
        login(people["supervisor"])
        .get(reverse("activities:detail", args=[activity.pk]))
        .content.decode()
    )
    assert kids["zhida"][0].name in body and "周星" not in body
    assert 'data-testid="other-attendees"' in body
    assert Attendance.objects.filter(activity=activity).count() == 2


def test_the_list_takes_a_fixed_number_of_queries(
    people, kids, login, django_assert_max_num_queries
):
    client = login(people["supervisor"])
    record(people["director"], kids["zhida"])
    client.get(reverse("activities:list"))
    with django_assert_max_num_queries(12) as first:
        client.get(reverse("activities:list"))
    for n in range(6):
        record(people["director"], kids["zhida"][: n % 5 + 1], title=f"活动{n}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(reverse("activities:list"))
    assert response.content.decode().count("data-activity=") == 7
