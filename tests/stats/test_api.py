"""/api/v1/stats/: the user's areas, one area with its rows, 404 out of scope, the schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import BEIBEI, JINGGUAN, TIANSHENG, XINGCHENG, ZHIDA

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_holds_own_areas_with_rows(people, world):
    body = api(people["supervisor"]).get("/api/v1/stats/").json()
    assert [a["area"]["region"]["code"] for a in body] == [JINGGUAN]
    town = body[0]
    assert town["area"]["figures"]["total"] == 4
    assert town["area"]["figures"]["reports"]["reported"] == 2
    rows = {r["region"]["code"]: r for r in town["rows"]}
    assert rows[ZHIDA]["figures"]["categories"]["poverty"] == 2
    assert rows[ZHIDA]["figures"]["month_pct"] == 66.7
    assert rows[ZHIDA]["last_inspection_on"] == world.today.isoformat()
    assert rows[XINGCHENG]["workers"][0]["user_id"] == people["neighbour"].pk
    assert TIANSHENG not in rows


def test_detail_with_history(people, world):
    body = api(people["civil"]).get(f"/api/v1/stats/{BEIBEI}/").json()
    assert body["area"]["figures"]["total"] == 5
    assert {r["region"]["code"] for r in body["rows"]} >= {JINGGUAN, TIANSHENG}
    assert len(body["history"]) == 12
    assert body["history"][-1]["origin"] == "live"
    assert body["history"][-1]["month_pct"] == body["area"]["figures"]["month_pct"]
    assert TIANSHENG in body["towns_without_supervisor"]


def test_director_sees_only_their_village(people, world):
    body = api(people["director"]).get("/api/v1/stats/").json()
    assert [a["area"]["region"]["code"] for a in body] == [ZHIDA]
    assert body[0]["rows"] == []
    assert api(people["director"]).get(f"/api/v1/stats/{JINGGUAN}/").status_code == 404


def test_out_of_scope_and_anonymous(people, world):
    assert api(people["other_supervisor"]).get(f"/api/v1/stats/{JINGGUAN}/").status_code == 404
    assert api(people["other_supervisor"]).get(f"/api/v1/stats/{ZHIDA}/").status_code == 404
    assert api(people["nobody"]).get("/api/v1/stats/").json() == []
    assert APIClient().get("/api/v1/stats/").status_code in (401, 403)


def test_documented_in_schema(people):
    from tests.signin import Client

    client = Client()
    client.force_login(people["civil"])
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/stats/{code}/" in schema
    assert "reports_overdue" in schema and "month_pct" in schema
