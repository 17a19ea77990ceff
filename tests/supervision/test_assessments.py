"""Annual written assessments (R5): who writes, once a year, corrected by the author with
history, visible to the worker's supervisor chain and the worker; pages and API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from supervision import services
from supervision.models import WorkerAssessment

D = datetime.date
TODAY = D(2026, 11, 23)
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]


def write(by, worker, year=2026, rating="competent", text="工作认真，走访及时。"):
    return services.assessment_write(
        by=by, worker=worker, year=year, rating=rating, text=text, today=TODAY
    )


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_supervisor_assesses_directors_and_district_assesses_supervisors(people):
    written = write(people["supervisor"], people["director"], rating="excellent")
    assert written.role == "child_director" and written.region.code == "500109110004"
    by_district = write(people["civil"], people["supervisor"])
    assert by_district.role == "supervisor"
    # Not the other way round, nor across towns or districts.
    with pytest.raises(PermissionDenied):
        write(people["supervisor"], people["civil"])
    with pytest.raises(PermissionDenied):
        write(people["other_supervisor"], people["director"], year=2026)
    with pytest.raises(PermissionDenied):
        write(people["director"], people["neighbour"])
    with pytest.raises(PermissionDenied):
        write(people["civil"], people["director"])  # directors: their town's supervisor


def test_one_assessment_per_worker_and_year(people):
    write(people["supervisor"], people["director"])
    with pytest.raises(ValidationError) as exc:
        write(people["supervisor"], people["director"], rating="incompetent")
    assert "year" in exc.value.message_dict
    assert WorkerAssessment.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [({"rating": "great"}, "rating"), ({"text": "  "}, "text"), ({"year": 2027}, "year"),
     ({"year": 1999}, "year")],
)  # fmt: skip
def test_bad_input_is_refused_on_its_field(people, values, field):
    with pytest.raises(ValidationError) as exc:
        write(people["supervisor"], people["director"], **values)
    assert field in exc.value.message_dict
    assert not WorkerAssessment.objects.exists()


def test_author_corrects_and_history_is_kept(people):
    written = write(people["supervisor"], people["director"], rating="competent")
    services.assessment_correct(
        by=people["supervisor"], assessment=written, rating="excellent", text="更正：表现优秀。"
    )
    written.refresh_from_db()
    assert written.rating == "excellent"
    assert [h.rating for h in written.history.order_by("history_date")] == [
        "competent",
        "excellent",
    ]
    with pytest.raises(PermissionDenied):
        services.assessment_correct(
            by=people["civil"], assessment=written, rating="incompetent", text="x"
        )


def test_visible_to_the_chain_and_the_worker_only(people, login):
    written = write(people["supervisor"], people["director"])
    url = reverse("supervision:assessment_detail", args=[written.pk])
    for name in ("supervisor", "civil", "director"):
        assert login(people[name]).get(url).status_code == 200, name
        assert api(people[name]).get(f"/api/v1/assessments/{written.pk}/").status_code == 200
    for name in ("neighbour", "other_supervisor", "other_civil", "centre", "nobody"):
        assert login(people[name]).get(url).status_code == 404, name
        assert api(people[name]).get(f"/api/v1/assessments/{written.pk}/").status_code == 404
        assert api(people[name]).get("/api/v1/assessments/").json()["count"] == 0
    # A supervisor does not read another supervisor's assessment by the district.
    colleague = write(people["civil"], people["supervisor"])
    from tests.factories import JINGGUAN, make_user

    co_supervisor = make_user("supervisor", JINGGUAN, username="co_supervisor")
    colleague_url = reverse("supervision:assessment_detail", args=[colleague.pk])
    assert login(co_supervisor).get(colleague_url).status_code == 404
    assert login(people["supervisor"]).get(colleague_url).status_code == 200  # their own


def test_pages_write_and_correct(people, login):
    client = login(people["supervisor"])
    url = reverse("supervision:assessment_write", args=[people["director"].pk]) + "?year=2026"
    assert client.get(url).status_code == 200
    response = client.post(url, {"year": "2026", "rating": "", "text": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field-error="rating"' in body and 'data-field-error="text"' in body
    response = client.post(url, {"year": "2026", "rating": "competent", "text": "称职。"})
    written = WorkerAssessment.objects.get()
    assert response.status_code == 302
    # The second time for that year leads to the existing one.
    assert client.get(url).status_code == 302
    edit = reverse("supervision:assessment_edit", args=[written.pk])
    response = client.post(edit, {"rating": "excellent", "text": "优秀。"})
    assert response.status_code == 302
    written.refresh_from_db()
    assert written.rating == "excellent"
    detail = client.get(reverse("supervision:assessment_detail", args=[written.pk]))
    assert detail.content.decode().count("list-group-item") >= 2  # two versions in history
    # Others: out of scope 404, in the chain but not the author 403.
    neighbour_url = reverse("supervision:assessment_write", args=[people["director"].pk])
    assert login(people["other_supervisor"]).get(neighbour_url).status_code == 404
    assert login(people["civil"]).get(edit).status_code == 403


def test_api_create_list_correct(people):
    client = api(people["supervisor"])
    payload = {"worker": people["director"].pk, "year": 2026, "rating": "competent", "text": "称职"}
    response = client.post("/api/v1/assessments/", payload, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    again = client.post("/api/v1/assessments/", payload, format="json")
    assert again.status_code == 400 and "year" in again.json()
    bad = client.post("/api/v1/assessments/", {**payload, "rating": "x"}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()
    future = client.post("/api/v1/assessments/", {**payload, "year": 2999}, format="json")
    assert future.status_code == 400 and "year" in future.json()
    assert client.get("/api/v1/assessments/", {"year": 2026}).json()["count"] == 1
    patched = client.patch(
        f"/api/v1/assessments/{pk}/", {"rating": "excellent", "text": "优秀"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["rating"] == "excellent"
    outsider = api(people["other_supervisor"]).post("/api/v1/assessments/", payload, format="json")
    assert outsider.status_code == 404
    assert api(people["director"]).get("/api/v1/assessments/").json()["count"] == 1  # own
