"""The certification gate (R6) on every write path of the child archive, pages and API."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from core import permissions, scoping
from tests import clock as suite_clock
from tests.factories import BEIBEI, certify, make_child, trained_on
from training import gate
from training.models import TrainingPolicy

pytestmark = pytest.mark.calendar

REFUSAL = (
    "You have not yet passed the training assessment for new child directors and supervisors, "
    "so you can read records but not create or change them. Contact %(office)s to be trained "
    "and assessed."
)


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def child(people):
    return make_child(people["director"])


@pytest.mark.parametrize("who", ["director", "supervisor"])
def test_uncertified_worker_is_refused_and_told_whom_to_contact(uncertified, who):
    user = uncertified[who]
    refusal = permissions.work_refusal(user)
    assert refusal and refusal.startswith(_(REFUSAL).split("%(")[0])
    assert "北碚区" in refusal  # names the district civil-affairs office to contact
    assert not permissions.can_add_records(user)
    assert not permissions.can_edit_archives(user)


def test_certified_workers_and_district_staff_are_not_gated(people):
    for who in ("director", "supervisor", "civil", "centre"):
        assert permissions.work_refusal(people[who]) is None, who
    assert permissions.can_edit_archives(people["director"])
    assert permissions.can_add_records(people["supervisor"])


def test_the_mandatory_report_bypass_exists(uncertified):
    """Issue 5 (mandatory reports) must call the gate with mandatory_report=True: never refused."""
    user = uncertified["director"]
    assert permissions.work_refusal(user) is not None
    assert permissions.work_refusal(user, mandatory_report=True) is None
    permissions.require_work(user, mandatory_report=True)  # does not raise


def test_passing_certifies_and_lifts_the_gate(uncertified):
    user = uncertified["director"]
    status = certify(user, BEIBEI, on=datetime.date(2026, 3, 1))
    assert status.certified_on == datetime.date(2026, 3, 1)
    gate.forget(user)
    scoping.forget_scope(user)
    assert permissions.work_refusal(user) is None


@pytest.mark.parametrize("who", ["director", "supervisor"])
def test_gate_on_every_child_page_write(uncertified, people, client, child, who):
    user = uncertified[who]
    client.force_login(user)
    message = permissions.work_refusal(user)
    posts = [
        reverse("children:create"),
        reverse("children:edit", args=[child.pk]),
        reverse("children:close", args=[child.pk]),
        reverse("children:reopen", args=[child.pk]),
        reverse("children:record_create", args=[child.pk, "note"]),
        reverse("children:record_create", args=[child.pk, "assistance"]),
        reverse("children:attachment_new", args=[child.pk]),
    ]
    for url in posts:
        response = client.post(url, {})
        assert response.status_code == 403, url
        assert message in response.content.decode(), url
    # Reading still works.
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 200
    assert client.get(reverse("children:list")).status_code == 200


@pytest.mark.parametrize("who", ["director", "supervisor"])
def test_gate_on_every_child_api_write(uncertified, people, child, who):
    user = uncertified[who]
    api = api_for(user)
    message = permissions.work_refusal(user)
    calls = [
        api.post("/api/v1/children/", {}, format="json"),
        api.patch(f"/api/v1/children/{child.pk}/", {"name": "x"}, format="json"),
        api.post(f"/api/v1/children/{child.pk}/notes/", {}, format="json"),
        api.post(f"/api/v1/children/{child.pk}/assistance/", {}, format="json"),
        api.post(f"/api/v1/children/{child.pk}/referrals/", {}, format="json"),
        api.post(f"/api/v1/children/{child.pk}/problems/", {}, format="json"),
    ]
    for response in calls:
        assert response.status_code == 403
        assert response.json()["detail"] == message
    assert api.get(f"/api/v1/children/{child.pk}/").status_code == 200


def test_gated_user_from_another_district_still_gets_404_on_api_records(people, child):
    from tests.factories import CHENGUANG, make_user

    outsider = make_user("child_director", CHENGUANG, certified=False)
    response = api_for(outsider).post(f"/api/v1/children/{child.pk}/notes/", {}, format="json")
    assert response.status_code == 404


def test_home_page_shows_the_gate_first(uncertified, people, client):
    client.force_login(uncertified["director"])
    body = client.get(reverse("home")).content.decode()
    assert 'data-testid="work-refusal"' in body
    assert body.index('data-testid="work-refusal"') < body.index('data-testid="panel-archive"')
    client.force_login(people["director"])
    assert 'data-testid="work-refusal"' not in client.get(reverse("home")).content.decode()


def test_gated_child_list_hides_the_register_button(uncertified, client):
    client.force_login(uncertified["director"])
    body = client.get(reverse("children:list")).content.decode()
    assert reverse("children:create") not in body


def test_attachment_upload_is_gated(uncertified, client, child):
    client.force_login(uncertified["director"])
    upload = io.BytesIO(b"%PDF-1.4 test")
    upload.name = "a.pdf"
    response = client.post(
        reverse("children:attachment_new", args=[child.pk]), {"kind": "other", "file": upload}
    )
    assert response.status_code == 403


def test_lapsed_training_warns_by_default_and_blocks_when_the_district_says_so(people):
    director = people["director"]
    passed = trained_on()
    late = suite_clock.add_months(passed, 13)  # 13 months after the pass
    assert permissions.work_refusal(director, late) is None  # default: warn only
    assert gate.rotation_notice(director, late)
    TrainingPolicy.objects.create(district=director.managing_district, lapsed_blocks_work=True)
    assert suite_clock.add_months(passed, 12).isoformat() in permissions.work_refusal(
        director, late
    )
    due = suite_clock.add_months(passed, 11) + datetime.timedelta(days=14)
    assert permissions.work_refusal(director, due) is None  # due, not lapsed
