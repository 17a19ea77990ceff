"""Recording an activity: all or nothing, once per client id, children only from the
organiser's area and the recorder's scope."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from activities import services
from activities.models import Activity, ActivityKind, ActivityPhoto, Attendance
from core import clock
from tests.activities.conftest import png, record, values
from tests.factories import BEIBEI, JINGGUAN, XINGCHENG

pytestmark = pytest.mark.django_db


def test_a_director_records_an_activity_with_her_children_and_a_photo(people, kids):
    token = uuid.uuid4()
    activity, created = services.activity_record(
        by=people["director"],
        values=values(),
        children=kids["zhida"],
        photos=[png()],
        client_uuid=token,
    )
    assert created and activity.region_code == activity.region.code
    assert Attendance.objects.filter(activity=activity).count() == 5
    photo = ActivityPhoto.objects.get(activity=activity)
    assert photo.content_type == "image/png" and photo.file.name.endswith(".png")
    # A phone retrying the same submission: the first activity, nothing more saved.
    again, created = services.activity_record(
        by=people["director"], values=values(), children=kids["zhida"], client_uuid=token
    )
    assert not created and again.pk == activity.pk
    assert Activity.objects.count() == 1 and Attendance.objects.count() == 5


def test_a_child_of_another_village_is_refused_on_the_field_and_nothing_is_saved(people, kids):
    # The supervisor sees both villages, but a village's activity takes its own children.
    with pytest.raises(ValidationError) as caught:
        services.activity_record(
            by=people["supervisor"],
            values=values(),
            children=[*kids["zhida"], kids["xingcheng"]],
            photos=[png()],
        )
    assert caught.value.message_dict["children"] == ["周星不在活动的组织区域内。"]
    assert not Activity.objects.exists() and not ActivityPhoto.objects.exists()


def test_a_child_out_of_scope_is_refused_without_being_named(people, kids):
    with pytest.raises(ValidationError) as caught:
        services.activity_record(
            by=people["director"], values=values(), children=[kids["zhida"][0], kids["xiushan"]]
        )
    messages = caught.value.message_dict["children"]
    assert messages == ["所选儿童中有不在您辖区的。"]
    assert "吴秀" not in " ".join(messages)
    assert not Activity.objects.exists()


def test_a_director_organises_only_for_her_village(people, kids):
    with pytest.raises(ValidationError) as caught:
        record(people["director"], area_code=JINGGUAN)
    assert "region" in caught.value.message_dict
    with pytest.raises(ValidationError):
        record(people["director"], area_code=XINGCHENG)
    assert [r.code for r in services.organiser_regions(people["director"])] == ["500109110004"]


def test_a_supervisor_records_a_town_activity_with_children_of_two_villages(people, kids):
    activity = record(
        people["supervisor"],
        [kids["zhida"][0], kids["xingcheng"]],
        area_code=JINGGUAN,
        kind=ActivityKind.FAMILY_EDUCATION,
        topics=[],
    )
    assert activity.attendances.count() == 2
    codes = [r.code for r in services.organiser_regions(people["supervisor"])]
    assert codes[0] == JINGGUAN and "500109110004" in codes and BEIBEI not in codes


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": "tomorrow"}, "held_on"),
        ({"title": " "}, "title"),
        ({"place": ""}, "place"),
        ({"kind": ActivityKind.READING, "topics": ["drowning"]}, "topics"),
        ({"topics": ["fire"]}, "topics"),
    ],
)
def test_bad_values_are_refused_on_their_field(people, kids, overrides, field):
    if overrides.get("held_on") == "tomorrow":
        overrides["held_on"] = clock.today() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        record(people["director"], kids["zhida"], **overrides)
    assert field in caught.value.message_dict
    assert not Activity.objects.exists()


def test_a_file_that_is_not_a_photo_is_refused_and_no_file_stays(people, kids, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        services.activity_record(
            by=people["director"], values=values(), children=kids["zhida"], photos=[png(), fake]
        )
    assert caught.value.message_dict["photos"][0].startswith("photo.jpg: ")
    assert not Activity.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_administrators_and_the_uncertified_record_nothing(people, uncertified, kids):
    for user in (people["sysadmin"], people["nobody"], uncertified["director"]):
        with pytest.raises(PermissionDenied):
            record(user, kids["zhida"])
    assert not Activity.objects.exists()
