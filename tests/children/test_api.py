import datetime
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from children.models import AccessAction, AccessLog, Assistance, Child
from core import clock as app_clock
from tests.factories import CHENGUANG, XINGCHENG, ZHIDA, make_child, make_id

BIRTH = datetime.date(2015, 3, 8)
LIST = "/api/v1/children/"


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def payload(**overrides):
    """A complete registration as a client sends it: a left-behind boy, parents both away."""
    body = {
        "name": "王小虎",
        "id_number": make_id(BIRTH, "M"),
        "ethnicity": "01",
        "hukou_address": "重庆市北碚区静观镇",
        "address": "重庆市北碚区静观镇志达社区3组",
        "village": ZHIDA,
        "categories": ["rural_left_behind"],
        "parents": [
            {"relation": "father", "name": "王大山", "status": "working_away",
             "work_province": "广东", "work_city": "东莞", "phone": "13800002222"},
            {"relation": "mother", "name": "刘小芳", "status": "working_away",
             "work_province": "浙江", "work_city": "宁波"},
        ],
        "guardian_type": "grandparents",
        "carer_name": "王爷爷",
        "carer_relation": "祖父",
        "carer_capacity": "capable",
        "guardianship_quality": "good",
        "schooling": "primary",
    }  # fmt: skip
    body.update(overrides)
    return body


@pytest.fixture
def children(people):
    """A child in 志达社区 (the director's village), one in 兴城社区 (same town) and one in
    溶溪镇 of 秀山县 (another district)."""
    return {
        "zhida": make_child(people["director"], ZHIDA, name="张小明"),
        "xingcheng": make_child(people["neighbour"], XINGCHENG, name="李小红", gender="F",
                                id_number=make_id(BIRTH, "F")),
        "xiushan": make_child(people["other_civil"], CHENGUANG, name="杨小兰", gender="F",
                              id_number=make_id(BIRTH, "F", area="500241")),
    }  # fmt: skip


def names(response):
    assert response.status_code == 200, response.json()
    return sorted(row["name"] for row in response.json()["results"])


def test_list_is_scoped(people, children):
    assert names(api_for(people["director"]).get(LIST)) == ["张小明"]
    assert names(api_for(people["supervisor"]).get(LIST)) == ["张小明", "李小红"]
    assert names(api_for(people["civil"]).get(LIST)) == ["张小明", "李小红"]
    assert names(api_for(people["other_supervisor"]).get(LIST)) == ["杨小兰"]
    assert names(api_for(people["other_director"]).get(LIST)) == ["杨小兰"]
    assert names(api_for(people["sysadmin"]).get(LIST)) == []
    assert names(api_for(people["nobody"]).get(LIST)) == []
    assert APIClient().get(LIST).status_code in (401, 403)


def test_list_filters_and_search(people, children):
    api = api_for(people["civil"])
    assert names(api.get(LIST, {"q": "zxm"})) == ["张小明"]
    assert names(api.get(LIST, {"q": "lixiao"})) == ["李小红"]
    assert names(api.get(LIST, {"q": "小红"})) == ["李小红"]
    number = children["xingcheng"].id_number
    assert names(api.get(LIST, {"q": number})) == ["李小红"]
    assert names(api.get(LIST, {"q": number.lower()})) == ["李小红"]
    assert names(api.get(LIST, {"region": XINGCHENG})) == ["李小红"]
    assert names(api.get(LIST, {"category": "rural_left_behind", "key": "0"})) == [
        "张小明",
        "李小红",
    ]
    # Another district's child is found by no search, not even by its exact ID.
    assert names(api.get(LIST, {"q": children["xiushan"].id_number})) == []
    response = api.get(LIST, {"category": "nonsense", "sort": "shoe size"})
    assert response.status_code == 400
    assert set(response.json()) == {"category", "sort"}


def test_list_masks_ids_unless_permitted(people, children):
    child = children["zhida"]
    row = api_for(people["civil"]).get(LIST, {"q": "zxm"}).json()["results"][0]
    assert row["id_number"] == child.id_masked and "*" in row["id_number"]
    assert row["categories"] == ["rural_left_behind"]
    assert [p["relation"] for p in row["parents"]] == ["father", "mother"]
    assert row["village"] == ZHIDA and row["is_key"] is False
    assert "id_cipher" not in row and "id_hash" not in row
    people["civil"].user_permissions.add(Permission.objects.get(codename="view_identifier"))
    civil = type(people["civil"]).objects.get(pk=people["civil"].pk)
    row = api_for(civil).get(LIST, {"q": "zxm"}).json()["results"][0]
    assert row["id_number"] == child.id_number


def test_create_returns_201_with_the_id_masked(people):
    body = payload()
    response = api_for(people["director"]).post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    child = Child.objects.get(pk=data["id"])
    assert child.id_number == body["id_number"]
    assert data["id_number"] == child.id_masked != body["id_number"]
    assert body["id_number"] not in response.content.decode()
    # Gender and date of birth were derived from the ID number.
    assert (data["gender"], data["birth_date"]) == ("M", "2015-03-08")
    assert data["categories"] == ["rural_left_behind"]
    assert {p["relation"]: p["work_city"] for p in data["parents"]} == {
        "father": "东莞",
        "mother": "宁波",
    }
    assert data["warnings"] == []
    assert data["url"].endswith(f"/api/v1/children/{child.pk}/")
    assert child.created_by == people["director"] and child.region_code == ZHIDA


def test_create_with_an_invalid_id_is_a_400_on_the_id(people):
    number = make_id(BIRTH, "M")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    for bad in (wrong, "12345"):
        response = api_for(people["director"]).post(
            LIST, payload(id_number=bad, gender="M", birth_date="2015-03-08"), format="json"
        )
        assert response.status_code == 400
        assert "id_number" in response.json()
    assert not Child.objects.exists()


def test_create_field_errors_from_the_service(people):
    api = api_for(people["director"])
    response = api.post(LIST, payload(carer_name="", health="ill"), format="json")
    assert response.status_code == 400
    assert {"carer_name", "illness"} <= set(response.json())
    response = api.post(LIST, payload(village=XINGCHENG), format="json")
    assert response.status_code == 400 and "village" in response.json()
    assert not Child.objects.exists()


def test_duplicate_in_scope_names_the_child_out_of_scope_reveals_nothing(people, children):
    existing = children["zhida"]
    response = api_for(people["civil"]).post(
        LIST,
        payload(id_number=existing.id_number, village=XINGCHENG),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["existing"]["id"] == existing.pk
    # The same number registered in 秀山县 by someone who cannot see the first child.
    response = api_for(people["other_civil"]).post(
        LIST, payload(id_number=existing.id_number, village=CHENGUANG), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert "id_number" in body and "existing" not in body
    text = response.content.decode()
    assert existing.name not in text and ZHIDA not in text and str(existing.pk) not in text
    assert Child.objects.count() == 3


def test_replay_with_the_same_client_token_creates_one_child(people):
    api = api_for(people["director"])
    body = payload(client_token=str(uuid.uuid4()))
    first = api.post(LIST, body, format="json")
    assert first.status_code == 201, first.json()
    again = api.post(LIST, body, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Child.objects.count() == 1


def test_a_supervisor_cannot_create_or_update(people, children):
    api = api_for(people["supervisor"])
    response = api.post(LIST, payload(), format="json")
    assert response.status_code == 403
    child = children["zhida"]
    response = api.patch(f"{LIST}{child.pk}/", {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert Child.objects.count() == 3


def test_update_put_and_patch(people, children):
    child = children["zhida"]
    api = api_for(people["director"])
    url = f"{LIST}{child.pk}/"
    response = api.patch(url, {"name": "张晓明", "psychological_concern": True}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["name"] == "张晓明" and data["name_initials"] == "zxm"
    assert data["is_key"] is True and data["key_reasons"] == ["psychological"]
    child.refresh_from_db()
    # Left out of the PATCH: ID, categories and parents stay as they were.
    assert child.id_hash and child.category_codes() == ["rural_left_behind"]
    assert child.parents.count() == 2
    # A PUT echoing the masked ID keeps the number; the parents listed are all the parents.
    body = api.get(url).json()
    body["parents"] = [p for p in body["parents"] if p["relation"] == "father"]
    body["parents"][0]["status"] = "at_home"
    body["categories"] = ["poverty"]
    response = api.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    child.refresh_from_db()
    assert child.id_number and child.id_masked == body["id_number"]
    assert [(p.relation, p.status) for p in child.parents.all()] == [("father", "at_home")]
    assert child.category_codes() == ["poverty"]
    assert "warnings" in response.json()


def test_no_delete(people, children):
    response = api_for(people["civil"]).delete(f"{LIST}{children['zhida'].pk}/")
    assert response.status_code == 405


def test_retrieve_writes_an_access_log_row(people, children):
    child = children["zhida"]
    response = api_for(people["supervisor"]).get(f"{LIST}{child.pk}/", REMOTE_ADDR="10.2.3.4")
    assert response.status_code == 200
    assert response.json()["name"] == "张小明"
    log = AccessLog.objects.get(action=AccessAction.API_VIEW)
    assert (log.child, log.user, log.ip) == (child, people["supervisor"], "10.2.3.4")


def test_another_districts_child_is_a_404_everywhere(people, children):
    api = api_for(people["other_civil"])
    child = children["zhida"]
    assert api.get(f"{LIST}{child.pk}/").status_code == 404
    assert api.patch(f"{LIST}{child.pk}/", {"name": "x"}, format="json").status_code == 404
    for segment in ("assistance", "referrals", "notes", "problems"):
        assert api.get(f"{LIST}{child.pk}/{segment}/").status_code == 404
        response = api.post(f"{LIST}{child.pk}/{segment}/", {}, format="json")
        assert response.status_code == 404
    assert api.get(f"{LIST}999999/").status_code == 404
    assert not AccessLog.objects.exists()
    # The neighbouring village's director sees the town's other village no better.
    other = children["xingcheng"]
    assert api_for(people["director"]).get(f"{LIST}{other.pk}/").status_code == 404


def test_nested_assistance(people, children):
    child = children["zhida"]
    api = api_for(people["supervisor"])  # supervisors add records, not archives
    url = f"{LIST}{child.pk}/assistance/"
    future = (app_clock.today() + datetime.timedelta(days=30)).isoformat()
    response = api.post(
        url, {"kind": "dibao", "status": "granted", "started_on": future}, format="json"
    )
    assert response.status_code == 400
    assert "started_on" in response.json()
    token = str(uuid.uuid4())
    body = {
        "kind": "dibao",
        "status": "applying",
        "started_on": "2026-03-01",
        "amount": "350.00",
        "client_token": token,
    }
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    record_id = response.json()["id"]
    assert response.json()["child"] == child.pk
    assert api.post(url, body, format="json").status_code == 200  # a retry
    assert Assistance.objects.count() == 1
    assert [r["id"] for r in api.get(url).json()["results"]] == [record_id]
    response = api.patch(f"{url}{record_id}/", {"status": "granted"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "granted"
    response = api.patch(f"{url}{record_id}/", {"ended_on": "2026-01-01"}, format="json")
    assert response.status_code == 400 and "ended_on" in response.json()
    # A record of another child is not reachable under this child.
    other = children["xingcheng"]
    assert api.get(f"{LIST}{other.pk}/assistance/{record_id}/").status_code == 404


def test_other_nested_records(people, children):
    child = children["zhida"]
    api = api_for(people["director"])
    base = f"{LIST}{child.pk}"
    cases = {
        "referrals": {"organisation": "区救助保护中心", "reason": "监护缺失",
                      "referred_on": "2026-02-01"},
        "notes": {"noted_on": "2026-02-02", "text": "电话联系祖父"},
        "problems": {"found_on": "2026-02-03", "description": "辍学风险"},
    }  # fmt: skip
    for segment, body in cases.items():
        response = api.post(f"{base}/{segment}/", body, format="json")
        assert response.status_code == 201, (segment, response.json())
        assert api.get(f"{base}/{segment}/").json()["count"] == 1
    problem_id = api.get(f"{base}/problems/").json()["results"][0]["id"]
    response = api.patch(f"{base}/problems/{problem_id}/", {"solved_on": "2026-02-05"})
    assert response.status_code == 400 and "solution" in response.json()
    # Admin roles see no children, so no records either.
    assert api_for(people["sysadmin"]).get(f"{base}/notes/").status_code == 404


def _list_queries(user):
    user = type(user).objects.get(pk=user.pk)  # no scope or permission cached on it
    api = api_for(user)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(LIST)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


def test_list_query_count_does_not_grow_with_rows(people):
    director = people["director"]
    _list_queries(director)  # warm the process-wide caches (content types)
    for i in range(3):
        make_child(director, name=f"张{i}号", id_number=make_id(BIRTH, "M"))
    few, count = _list_queries(director)
    assert count == 3
    for i in range(17):
        make_child(director, name=f"李{i}号", id_number=make_id(BIRTH, "M"))
    many, count = _list_queries(director)
    assert count == 20
    assert many == few <= 8


def test_a_child_without_a_category_is_refused_as_on_the_page(people):
    from rest_framework.test import APIClient

    from children.models import Child

    client = APIClient()
    client.force_authenticate(people["director"])
    before = Child.objects.count()
    for categories in ([], None):
        body = {"name": "王小明", "id_number": "500109201501010018", "village": ZHIDA_PK()}
        if categories is not None:
            body["categories"] = categories
        response = client.post("/api/v1/children/", body, format="json")
        assert response.status_code == 400 and "categories" in response.json()
    assert Child.objects.count() == before


def ZHIDA_PK():
    from org.models import Region
    from tests.factories import ZHIDA

    return Region.objects.get(code=ZHIDA).pk


def test_errors_on_parents_are_keyed_as_in_the_schema(people):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(people["director"])
    body = payload()
    body["parents"][0]["id_number"] = "123"
    body["parents"][1] = {"relation": "mother", "name": "刘小芳", "status": "missing",
                          "missing_since": "2999-01-01"}  # fmt: skip
    response = client.post("/api/v1/children/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert not any(key.startswith(("father_", "mother_")) for key in errors)
    assert "id_number" in errors["parents"][0]
    assert "missing_since" in errors["parents"][1]
