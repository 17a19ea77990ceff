"""The family's phone numbers (the carer's, the parents') are read in full only by the child
director of the child's village and by holders of `children.view_identifier`; supervisors,
district staff and service providers read them masked, on the child's page, its timeline,
the household page, the dossier PDF and the API (issue 19, personal data). One rule:
core.permissions.can_view_phone."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from children import household
from children.models import AccessLog, Child
from children.registration import child_save
from core import permissions
from core.roles import Role
from core.text import mask_phone
from tests.children.test_documents import pdf_text
from tests.factories import BEIBEI, child_input, make_child, make_user

pytestmark = pytest.mark.django_db

CARER, FATHER = "13900001111", "13800002222"  # tests.factories.child_input
CARER_MASKED, FATHER_MASKED = "139****1111", "138****2222"


def _grant_view_identifier(user):
    user.user_permissions.add(Permission.objects.get(codename="view_identifier"))
    return type(user).objects.get(pk=user.pk)  # the permission cache anew


@pytest.fixture
def child(people):
    return make_child(people["director"])


@pytest.fixture
def provider_staff(people):
    return make_user(Role.SERVICE_PROVIDER, BEIBEI, username="provider_staff")


def test_the_rule(people, child, provider_staff):
    code = child.region_code
    assert permissions.can_view_phone(people["director"], code)  # her village: she phones
    for name in ("supervisor", "civil", "centre", "neighbour", "other_director"):
        assert not permissions.can_view_phone(people[name], code), name
    assert not permissions.can_view_phone(provider_staff, code)
    assert permissions.can_view_phone(_grant_view_identifier(people["civil"]), code)
    for admin in ("sysadmin", "secadmin", "auditadmin"):
        holder = _grant_view_identifier(people[admin])
        assert not permissions.can_view_phone(holder, code), admin  # 三员分立
    assert permissions.phone_as_seen(people["supervisor"], code, CARER) == CARER_MASKED
    assert permissions.phone_as_seen(people["director"], code, CARER) == CARER
    assert permissions.phone_as_seen(people["supervisor"], code, "") == ""


def test_the_director_of_the_village_taps_to_call_on_the_childs_page(people, child, client):
    client.force_login(people["director"])
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert f'<a href="tel:{CARER}">{CARER}</a>' in page
    assert f'<a href="tel:{FATHER}">{FATHER}</a>' in page


@pytest.mark.parametrize("reader", ["supervisor", "civil", "centre"])
def test_others_read_the_phones_masked_on_the_childs_page(people, child, client, reader):
    client.force_login(people[reader])
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert CARER not in page and FATHER not in page
    assert CARER_MASKED in page and FATHER_MASKED in page
    assert "tel:" + CARER_MASKED not in page
    # The page view itself is in the access log, as every archive view.
    assert AccessLog.objects.filter(user=people[reader], child=child, action="view").exists()


def test_view_identifier_shows_them_in_full_and_the_view_is_logged(people, child, client):
    civil = _grant_view_identifier(people["civil"])
    client.force_login(civil)
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert f'<a href="tel:{CARER}">{CARER}</a>' in page
    assert AccessLog.objects.filter(user=civil, child=child, action="view").count() == 1


def test_another_village_still_gets_404(people, child, client):
    for name in ("neighbour", "other_director", "other_civil", "sysadmin"):
        client.force_login(people[name])
        assert client.get(reverse("children:detail", args=[child.pk])).status_code == 404, name
        assert client.get(f"/api/v1/children/{child.pk}/").status_code == 404, name


def test_a_phone_change_on_the_timeline_is_masked_for_a_supervisor(people, child, client):
    child_save(
        by=people["director"],
        data=child_input(carer_phone="13700003333"),
        instance=Child.objects.get(pk=child.pk),
        reason="号码换了",
    )
    client.force_login(people["supervisor"])
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert "13700003333" not in page and CARER not in page
    assert f"{CARER_MASKED} → 137****3333" in page
    client.force_login(people["director"])
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert f"{CARER} → 13700003333" in page


def test_the_dossier_pdf_read_back_shows_the_masked_phones(people, child, client, tmp_path):
    client.force_login(people["supervisor"])
    response = client.get(reverse("children:dossier_pdf", args=[child.pk]))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert CARER not in text and FATHER not in text
    assert CARER_MASKED in text and FATHER_MASKED in text
    client.force_login(people["director"])
    text = pdf_text(client.get(reverse("children:dossier_pdf", args=[child.pk])).content, tmp_path)
    assert CARER in text and FATHER in text


def test_the_api_masks_them_unless_the_caller_may_read_them(people, child, client):
    client.force_login(people["supervisor"])
    data = client.get(f"/api/v1/children/{child.pk}/").json()
    assert data["carer_phone"] == CARER_MASKED
    assert {p["relation"]: p["phone"] for p in data["parents"]}["father"] == FATHER_MASKED
    listed = client.get("/api/v1/children/").json()["results"]
    assert [row["carer_phone"] for row in listed if row["id"] == child.pk] == [CARER_MASKED]
    client.force_login(people["director"])
    data = client.get(f"/api/v1/children/{child.pk}/").json()
    assert data["carer_phone"] == CARER
    assert {p["relation"]: p["phone"] for p in data["parents"]}["father"] == FATHER


def test_a_masked_phone_sent_back_keeps_the_number_on_record(people, child, client):
    client.force_login(people["civil"])  # edits archives, reads phones masked
    data = client.get(f"/api/v1/children/{child.pk}/").json()
    response = client.patch(
        f"/api/v1/children/{child.pk}/",
        {"carer_phone": data["carer_phone"], "parents": data["parents"], "school_name": "新学校"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    child.refresh_from_db()
    assert child.school_name == "新学校"
    assert child.carer_phone == CARER
    assert child.parents.get(relation="father").phone == FATHER


def test_the_household_page_and_api_mask_them_too(people, child, client):
    home = household.household_of(by=people["director"], child=child)
    client.force_login(people["supervisor"])
    page = client.get(reverse("children:household", args=[home.pk])).content.decode()
    assert CARER not in page and FATHER not in page
    assert CARER_MASKED in page and FATHER_MASKED in page
    data = client.get(f"/api/v1/households/{home.pk}/").json()
    assert data["carer_phone"] == CARER_MASKED
    assert {p["relation"]: p["phone"] for p in data["parents"]}["father"] == FATHER_MASKED
    client.force_login(people["director"])
    page = client.get(reverse("children:household", args=[home.pk])).content.decode()
    assert f'<a href="tel:{CARER}">{CARER}</a>' in page
    assert client.get(f"/api/v1/households/{home.pk}/").json()["carer_phone"] == CARER


def test_the_directors_offline_copy_keeps_the_carers_phone_in_full(people, child, client):
    client.force_login(people["director"])
    copy = client.get("/api/v1/offline/").json()
    assert [c["carer_phone"] for c in copy["children"] if c["id"] == child.pk] == [CARER]


def test_mask_phone_keeps_three_and_four():
    assert mask_phone(CARER) == CARER_MASKED
