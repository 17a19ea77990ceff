"""Inputs that used to answer 500: malformed export ids, impossible assessment years."""

import pytest
from rest_framework.test import APIClient

from supervision.models import SpotCheck, WorkerAssessment


@pytest.fixture
def api(people):
    client = APIClient()
    client.force_authenticate(people["civil"])
    return client


@pytest.mark.parametrize("job_id", ["abc", "1", "not-a-uuid-at-all-0000000000000000000"])
def test_export_ids_that_are_not_uuids_are_404(api, job_id):
    assert api.get(f"/api/v1/exports/{job_id}/").status_code == 404
    assert api.get(f"/api/v1/exports/{job_id}/download/").status_code == 404


def test_a_well_formed_unknown_export_id_is_404(api):
    job = "7b0c1f62-9d0e-4d5e-8a0b-6f1d2a3b4c5d"
    assert api.get(f"/api/v1/exports/{job}/").status_code == 404
    assert api.get(f"/api/v1/exports/{job}/download/").status_code == 404


@pytest.mark.parametrize("year", [0, 10000, -1, 1999])
def test_impossible_assessment_years_are_400_on_the_field(api, people, year):
    response = api.post(
        "/api/v1/assessments/",
        {"worker": people["supervisor"].pk, "year": year, "rating": "excellent", "text": "好"},
        format="json",
    )
    assert response.status_code == 400
    assert "year" in response.json()
    assert not WorkerAssessment.objects.exists()


@pytest.mark.parametrize("year", [0, 10000])
def test_impossible_spot_check_years_are_400(api, people, year):
    from org.models import Region

    district = Region.objects.get(code="500109000000")
    response = api.post(
        "/api/v1/spot-checks/",
        {"district": district.pk, "year": year, "percentage": 10},
        format="json",
    )
    assert response.status_code == 400 and "year" in response.json()
    assert not SpotCheck.objects.exists()


@pytest.mark.parametrize(
    "params", [{"start": "0001-01-01"}, {"end": "0001-02-01"}, {"start": "1146-06-15"}]
)
def test_implausible_assessment_periods_are_400(api, params):
    response = api.get("/api/v1/assessments/figures/", params)
    assert response.status_code == 400
    assert set(params) <= set(response.json())
