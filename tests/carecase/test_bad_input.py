"""The last bad inputs: each refused on its field (pages) or with a 400 keyed as in the schema
(API), in Chinese, with nothing saved."""

import datetime

import pytest
from rest_framework.test import APIClient

from children.models import Child
from core import clock as app_clock
from org.models import User


@pytest.fixture
def api(people):
    client = APIClient()
    client.force_authenticate(people["director"])
    return client


def _child(**extra):
    from tests.children.test_api import payload

    body = payload(**extra)
    if "birth_date" in extra and "id_number" not in extra:
        body.pop("id_number")
        body.setdefault("gender", "M")
    return body


def _categories():
    return ["rural_left_behind"]


@pytest.mark.parametrize(
    "extra",
    [
        {"birth_date": "1890-01-01"},
        {"id_number": "11010519491231002X"},
        {"birth_date": "2000-01-01"},
    ],
)
def test_an_adult_is_not_registered_as_a_child(api, extra):
    body = _child(categories=_categories(), **extra)
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post("/api/v1/children/", body, format="json")
    assert response.status_code == 400, response.json()
    assert "birth_date" in response.json() or "id_number" in response.json()
    assert not Child.objects.exists()


def test_a_child_kept_past_18_needs_a_reason(api):
    nineteen = (app_clock.today() - datetime.timedelta(days=19 * 366)).isoformat()
    body = _child(categories=_categories(), birth_date=nineteen)
    assert api.post("/api/v1/children/", body, format="json").status_code == 400
    body["over_age_reason"] = "在校就读，政策延续保障"
    response = api.post("/api/v1/children/", body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u202e明小王", "王\u2066小明"])
def test_invisible_or_direction_changing_names_are_refused(api, name):
    response = api.post(
        "/api/v1/children/", _child(categories=_categories(), name=name), format="json"
    )
    assert response.status_code == 400 and "name" in response.json()
    assert not Child.objects.exists()


def test_invisible_characters_are_removed_from_a_real_name(api):
    response = api.post(
        "/api/v1/children/",
        _child(categories=_categories(), name="王\u200b小明\u200d"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Child.objects.get().name == "王小明"


def test_an_impossible_appointment_date_is_refused(people):
    client = APIClient()
    client.force_authenticate(people["civil"])
    target = people["director"]
    response = client.patch(
        f"/api/v1/staff/{target.pk}/", {"appointed_on": "1146-06-15"}, format="json"
    )
    assert response.status_code == 400 and "appointed_on" in response.json()
    target.refresh_from_db()
    assert target.appointed_on is None
    response = client.post(
        "/api/v1/staff/",
        {
            "username": "old",
            "real_name": "某人",
            "phone": "13912345678",
            "appointed_on": "1146-06-15",
        },
        format="json",
    )
    assert response.status_code == 400 and "appointed_on" in response.json()
    assert not User.objects.filter(username="old").exists()


def test_a_date_that_does_not_exist_is_said_so(api):
    response = api.post(
        "/api/v1/children/",
        _child(categories=_categories(), birth_date="2015-02-30"),
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["birth_date"][0]
    assert "日期格式错误" not in message and "不存在" in message


def test_malformed_json_is_answered_in_chinese(api):
    response = api.post("/api/v1/children/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" not in response.json()["detail"]
    assert "JSON" in response.json()["detail"] and "无效" in response.json()["detail"]


def test_a_too_short_password_is_explained_in_chinese(people, client):
    from tests.factories import PASSWORD

    client.force_login(people["director"])
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "aB1!", "new_password2": "aB1!"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "too short" not in body and "太短" in body


@pytest.mark.parametrize("url", ["/reports/new/", "/visits/new/"])
def test_a_form_without_its_hidden_id_says_so(people, client, url):
    from tests.factories import make_child

    child = make_child(people["director"])
    client.force_login(people["director"])
    response = client.post(f"{url}?child={child.pk}", {"child": child.pk})
    assert response.status_code == 400
    assert "表单提交不完整" in response.content.decode()


def test_the_reminder_rules_page_answers_bad_input_with_400(people, client):
    client.force_login(people["civil"])
    response = client.post("/notifications/rules/", {"due_soon_days": "-3"})
    assert response.status_code == 400
