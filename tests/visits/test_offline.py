"""GET /api/v1/offline/ (issue 14): the copy a village director's phone keeps for work without
a network. Only directors; only her own children; only the listed fields, the ID masked;
every child sent logged; a constant number of queries."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from children.closing import child_close
from children.models import AccessAction, AccessLog
from core import clock as app_clock
from org import tokens
from org.models import Assignment, User
from tests.factories import (
    CHENGUANG,
    JINGGUAN,
    START,
    XINGCHENG,
    XINXINGLU,
    ZHIDA,
    Role,
    make_child,
    make_id,
    make_user,
    region,
)
from tests.visits.conftest import registered
from visits import followups, inspections, services

# Ages and due dates move with the day: in the calendar run too.
pytestmark = pytest.mark.calendar

URL = "/api/v1/offline/"
BIRTH = datetime.date(2015, 3, 8)
CHILD_KEYS = {
    "id",
    "name",
    "gender",
    "gender_label",
    "birth_date",
    "age",
    "village",
    "categories",
    "is_key",
    "guardian_type",
    "guardian_label",
    "carer_name",
    "carer_relation",
    "carer_phone",
    "school_name",
    "id_masked",
    "next_contact_due",
    "next_home_visit_due",
    "version",
    "priority",
    "follow_ups",
}


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def child_in(people, code, name, n=0, gender="M"):
    by = {ZHIDA: "director", XINGCHENG: "neighbour", CHENGUANG: "other_civil"}.get(code, "civil")
    area = code[:6]
    birth = BIRTH + datetime.timedelta(days=n)
    return registered(
        make_child(
            people[by],
            code,
            name=name,
            gender=gender,
            birth_date=birth,
            id_number=make_id(birth, gender, area=area),
        )
    )


def with_follow_up(director, child, text="复查作业情况"):
    today = app_clock.today()
    visit, _created = services.visit_record(
        by=director,
        child=child,
        values={"kind": "in_person", "visit_date": today, "seen": ""},
        follow_ups=[followups.FollowUpInput(text, today + datetime.timedelta(days=5))],
        client_uuid=uuid.uuid4(),
    )
    return visit


@pytest.fixture
def mine(people):
    """Two children of 志达社区 (the director's village), one with an open follow-up, and a
    rectification of the village's inspection."""
    first = child_in(people, ZHIDA, "张小明", 0)
    second = child_in(people, ZHIDA, "王小红", 1, "F")
    visit = with_follow_up(people["director"], first)
    done = with_follow_up(people["director"], first, "已完成的事项")
    item = done.follow_ups.get()
    followups.followup_done(by=people["director"], item=item, note="做了")
    inspection, _created = inspections.inspection_record(
        by=people["supervisor"],
        village=first.village,
        inspected_on=app_clock.today(),
        checklist={},
        rectifications=[
            inspections.RectificationInput("补齐档案", app_clock.today() + datetime.timedelta(10))
        ],
        client_uuid=uuid.uuid4(),
    )
    return {"first": first, "second": second, "visit": visit, "inspection": inspection}


@pytest.fixture
def elsewhere(people):
    """Children of a neighbouring village (same town), another town (same district) and
    another district."""
    return [
        child_in(people, XINGCHENG, "李小兰", 2, "F"),
        child_in(people, XINXINGLU, "赵小刚", 3),
        child_in(people, CHENGUANG, "杨小兰", 4, "F"),
    ]


def test_the_director_gets_her_own_children_with_the_listed_fields(people, mine, elsewhere):
    response = api_for(people["director"]).get(URL)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "generated_at",
        "today",
        "max_age_days",
        "user",
        "children",
        "rectifications",
        "tasks",
    }
    assert body["today"] == app_clock.today().isoformat()
    assert datetime.datetime.fromisoformat(body["generated_at"])
    assert body["max_age_days"] == settings.OFFLINE_MAX_AGE_DAYS == 7
    assert body["user"] == {
        "id": people["director"].pk,
        "name": people["director"].real_name,
        "village_names": [mine["first"].village.name],
    }
    rows = {row["name"]: row for row in body["children"]}
    assert set(rows) == {"张小明", "王小红"}
    for row in body["children"]:
        assert set(row) == CHILD_KEYS
    first = rows["张小明"]
    child = mine["first"]
    assert first["id"] == child.pk
    assert first["village"] == {"code": ZHIDA, "name": child.village.name}
    assert (first["gender"], first["gender_label"]) == ("M", "男")
    assert first["age"] == child.age_on(app_clock.today())
    assert first["categories"] == ["农村留守儿童"]
    assert first["guardian_type"] == "grandparents"
    assert first["guardian_label"]
    assert (first["carer_phone"], first["school_name"]) == ("13900001111", "静观镇中心小学")
    assert first["id_masked"] == child.id_masked and "*" in first["id_masked"]
    assert first["next_contact_due"] == child.next_contact_due.isoformat()
    api_version = api_for(people["director"]).get(f"/api/v1/children/{child.pk}/").json()
    assert first["version"] == api_version["version"]
    item = mine["visit"].follow_ups.get()
    assert first["follow_ups"] == [
        {
            "id": item.pk,
            "text": "复查作业情况",
            "due_on": item.due_on.isoformat(),
            "urgent": False,
            "visit_id": mine["visit"].pk,
        }
    ]
    assert rows["王小红"]["follow_ups"] == []
    rectification = mine["inspection"].rectifications.get()
    assert body["rectifications"] == [
        {
            "id": rectification.pk,
            "text": "补齐档案",
            "due_on": rectification.due_on.isoformat(),
            "village_code": ZHIDA,
        }
    ]


def test_no_full_id_number_anywhere(people, mine):
    text = api_for(people["director"]).get(URL).content.decode()
    for child in (mine["first"], mine["second"]):
        assert child.id_number not in text
        assert child.id_number[:14] not in text


def test_directors_elsewhere_get_none_of_them(people, mine, elsewhere):
    neighbour = api_for(people["neighbour"]).get(URL).json()
    assert [row["name"] for row in neighbour["children"]] == ["李小兰"]
    assert neighbour["rectifications"] == []
    other = api_for(people["other_director"]).get(URL).json()
    assert [row["name"] for row in other["children"]] == ["杨小兰"]
    # A director of another town of the district.
    town_director = make_user(Role.CHILD_DIRECTOR, XINXINGLU, username="tiansheng")
    assert [r["name"] for r in api_for(town_director).get(URL).json()["children"]] == ["赵小刚"]
    mine_ids = {mine["first"].pk, mine["second"].pk}
    for user in (people["neighbour"], people["other_director"], town_director):
        rows = api_for(user).get(URL).json()["children"]
        assert not mine_ids & {row["id"] for row in rows}


@pytest.mark.parametrize(
    "role", ["supervisor", "civil", "centre", "sysadmin", "secadmin", "auditadmin", "nobody"]
)
def test_other_roles_are_refused(people, mine, role):
    before = AccessLog.objects.count()
    response = api_for(people[role]).get(URL)
    assert response.status_code == 403
    assert "儿童主任" in response.json()["detail"]
    assert AccessLog.objects.count() == before


def test_an_administrator_who_is_also_a_director_is_refused(people, mine):
    user = make_user(Role.CHILD_DIRECTOR, ZHIDA, username="both")
    Assignment.objects.create(
        user=user, region=region(JINGGUAN[:6] + "000000"), role=Role.AUDIT_ADMIN, start_date=START
    )
    assert api_for(user).get(URL).status_code == 403


def test_a_closed_child_is_absent(people, mine):
    child_close(
        by=people["director"],
        child=mine["second"],
        reason="moved_away",
        closed_on=app_clock.today(),
        new_address="重庆市渝北区",
    )
    rows = api_for(people["director"]).get(URL).json()["children"]
    assert [row["name"] for row in rows] == ["张小明"]


def test_every_child_sent_is_logged_as_a_device_download(people, mine):
    response = api_for(people["director"]).get(URL, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    rows = AccessLog.objects.filter(action=AccessAction.DEVICE_DOWNLOAD)
    assert sorted(rows.values_list("child_id", flat=True)) == sorted(
        [mine["first"].pk, mine["second"].pk]
    )
    assert {(r.user_id, r.row_count, r.ip) for r in rows} == {
        (people["director"].pk, 1, "10.1.2.3")
    }
    assert str(AccessAction.DEVICE_DOWNLOAD.label)


def test_token_and_session_sign_in_both_work(people, mine):
    _row, secret = tokens.token_create(user=people["director"], name="phone")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    assert client.get(URL).status_code == 200
    session = APIClient()
    session.force_login(people["director"])
    assert len(session.get(URL).json()["children"]) == 2
    assert APIClient().get(URL).status_code == 401


def test_the_number_of_queries_does_not_grow_with_the_children(
    people, django_assert_max_num_queries
):
    def count(n):
        for i in range(n):
            child = child_in(people, ZHIDA, f"张{i}明", 10 + i)
            if i % 2 == 0:
                with_follow_up(people["director"], child)
        # A fresh user object: the scope is cached on the one a request saw.
        client = api_for(User.objects.get(pk=people["director"].pk))

        with CaptureQueriesContext(connection) as ctx:
            body = client.get(URL).json()
        return len(body["children"]), len(ctx.captured_queries)

    three, queries_for_3 = count(3)
    assert three == 3
    thirty, queries_for_30 = count(27)
    assert thirty == 30
    assert queries_for_30 == queries_for_3
    client = api_for(User.objects.get(pk=people["director"].pk))
    with django_assert_max_num_queries(queries_for_3):
        assert len(client.get(URL).json()["children"]) == 30


def test_the_response_is_json_the_phone_can_store(people, mine):
    response = api_for(people["director"]).get(URL)
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["children"]
