"""/api/v1/transfers/: both sides' transfers, sending, claiming, deciding (once), 400 with
field errors, 404 outside, a fixed number of queries, and the schema."""

import uuid

import pytest
from rest_framework.test import APIClient

from children.closing import child_close
from core import clock
from tests.factories import CHENGUANG, child_input, make_child
from transfers.models import Transfer, TransferStatus

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def send(client, child, village, **extra):
    body = {"child": child.pk, "to_village": village.code, "reason": "搬家", **extra}
    return client.post("/api/v1/transfers/", body, format="json")


def test_send_accept_once_and_the_receiving_side_sees_only_the_transfer(people, mover, xingcheng):
    token = str(uuid.uuid4())
    sent = send(api(people["director"]), mover, xingcheng, client_id=token)
    assert sent.status_code == 201, sent.content
    again = send(api(people["director"]), mover, xingcheng, client_id=token)
    assert again.status_code == 201 and again.json()["id"] == sent.json()["id"]
    pk = sent.json()["id"]
    receiving = api(people["neighbour"])
    row = receiving.get(f"/api/v1/transfers/{pk}/").json()
    assert set(row["child"]) == {"id", "name", "gender", "birth_date"}
    assert receiving.get(f"/api/v1/children/{mover.pk}/").status_code == 404
    listed = receiving.get("/api/v1/transfers/", {"direction": "to_decide"}).json()
    assert [t["id"] for t in listed["results"]] == [pk]
    assert api(people["director"]).post(f"/api/v1/transfers/{pk}/accept/").status_code == 403
    first = receiving.post(f"/api/v1/transfers/{pk}/accept/")
    second = receiving.post(f"/api/v1/transfers/{pk}/accept/")
    assert first.status_code == second.status_code == 200
    assert first.json()["moved"] == second.json()["moved"]
    assert receiving.get(f"/api/v1/children/{mover.pk}/").status_code == 200
    assert Transfer.objects.get().status == TransferStatus.ACCEPTED


def test_bad_input_is_a_400_with_field_errors(people, mover, xingcheng):
    client = api(people["director"])
    response = client.post("/api/v1/transfers/", {"child": mover.pk}, format="json")
    assert response.status_code == 400
    assert {"to_village", "reason"} <= set(response.json())
    response = send(client, mover, mover.village)
    assert response.status_code == 400 and "to_village" in response.json()
    pk = send(client, mover, xingcheng).json()["id"]
    declined = api(people["neighbour"]).post(f"/api/v1/transfers/{pk}/decline/", {}, format="json")
    assert declined.status_code == 400 and "reason" in declined.json()
    assert Transfer.objects.get().status == TransferStatus.REQUESTED


def test_outsiders_get_404(people, mover, xingcheng, third):
    pk = send(api(people["director"]), mover, xingcheng).json()["id"]
    for user in (third, people["other_director"], people["other_civil"]):
        client = api(user)
        assert client.get(f"/api/v1/transfers/{pk}/").status_code == 404
        assert client.post(f"/api/v1/transfers/{pk}/accept/").status_code == 404
        assert client.get("/api/v1/transfers/").json()["results"] == []
        assert send(client, mover, xingcheng).status_code == 404


def test_the_list_takes_a_fixed_number_of_queries(people, xingcheng, django_assert_max_num_queries):
    director = people["director"]
    client = api(director)

    def count() -> int:
        with django_assert_max_num_queries(20) as captured:
            assert client.get("/api/v1/transfers/").status_code == 200
        return len(captured)

    send(client, make_child(director, name="甲"), xingcheng)
    count()  # the caches warmed
    few = count()
    for name in ("乙", "丙", "丁"):
        send(client, make_child(director, name=name), xingcheng)
    assert count() == few


def test_a_registration_of_a_moved_away_id_says_so_and_the_claim(people, mover):
    child_close(
        by=people["director"],
        child=mover,
        reason="moved_away",
        closed_on=clock.today(),
        new_address="不详",
    )
    client = api(people["other_director"])
    data = child_input(CHENGUANG)
    body = {
        **data.fields,
        "village": CHENGUANG,
        "id_number": mover.id_number,
        "categories": data.categories,
    }
    body["birth_date"] = str(body["birth_date"])
    body["entrustment_signed_on"] = str(body["entrustment_signed_on"])
    refused = client.post("/api/v1/children/", body, format="json")
    assert refused.status_code == 400 and refused.json().get("moved_away") is True
    claim = client.post(
        "/api/v1/transfers/claims/",
        {"id_number": mover.id_number, "to_village": CHENGUANG, "reason": "现住辰光村"},
        format="json",
    )
    assert claim.status_code == 201, claim.content
    assert claim.json()["kind"] == "claim"
    bad = client.post(
        "/api/v1/transfers/claims/",
        {"id_number": "1", "to_village": CHENGUANG, "reason": "x"},
        format="json",
    )
    assert bad.status_code == 400 and "id_number" in bad.json()


def test_documented_in_schema(people):
    schema = api(people["director"]).get("/api/schema/").content.decode()
    assert "/api/v1/transfers/{id}/accept/" in schema and "/api/v1/transfers/claims/" in schema
