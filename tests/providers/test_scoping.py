"""The scoping matrix of referrals: every role of `people` and the providers' staff, a
referral in and out of their reach. A provider's staff reach a child only through an open
referral to their provider, only the referral's fields; never through their region. The three
administrators reach nothing."""

import pytest
from django.urls import reverse

from children.models import Child
from core import scoping
from core.text import mask_phone
from org.models import Region
from providers import services
from providers.models import ServiceProvider, ServiceReferral
from tests.carecase.test_access import EXPECTED_PREFIX
from tests.providers.conftest import refer

pytestmark = pytest.mark.django_db

# who -> sees the open referral of 王小红 (志达社区, 北碚区) to the agency
SEES_OPEN = {
    **{
        who: bool(prefix and "500109110004".startswith(prefix))
        for who, prefix in EXPECTED_PREFIX.items()
    },
    "agency_staff": True,
    "agency_staff2": True,
    "school_staff": False,
    "unlinked_staff": False,
}
PROVIDER_STAFF = ("agency_staff", "agency_staff2", "school_staff", "unlinked_staff")


@pytest.fixture
def everyone(people, staff):
    return {**people, **staff}


@pytest.mark.parametrize("who", SEES_OPEN)
def test_the_open_referral_is_seen_exactly_by_its_region_and_its_provider(
    everyone, referral, client, who
):
    user = everyone[who]
    visible = ServiceReferral.objects.visible_to(user).filter(pk=referral.pk).exists()
    assert visible is SEES_OPEN[who]
    client.force_login(user)
    expected = 200 if SEES_OPEN[who] else 404
    assert client.get(reverse("providers:referral", args=[referral.pk])).status_code == expected
    assert client.get(f"/api/v1/referrals/{referral.pk}/").status_code == expected
    listed = [r["id"] for r in client.get("/api/v1/referrals/").json()["results"]]
    assert (referral.pk in listed) is SEES_OPEN[who]


@pytest.mark.parametrize("who", PROVIDER_STAFF)
def test_a_providers_staff_never_reach_a_child_through_their_region(
    everyone, referral, kids, client, who
):
    user = everyone[who]
    scope = scoping.get_scope(user)
    assert scope.prefixes == ()  # not a data role
    assert not Child.objects.visible_to(user).exists()
    assert not Region.objects.visible_to(user).exists()
    client.force_login(user)
    for child in kids.values():
        assert client.get(reverse("children:detail", args=[child.pk])).status_code == 404
        assert client.get(f"/api/v1/children/{child.pk}/").status_code == 404
        assert client.get(reverse("children:dossier_pdf", args=[child.pk])).status_code == 404
        assert client.get(reverse("providers:refer", args=[child.pk])).status_code == 404
    assert client.get("/api/v1/children/").json()["count"] == 0
    assert client.get("/api/v1/visits/").json()["count"] == 0
    assert client.get("/api/v1/reports/").json()["count"] == 0
    assert client.get(reverse("providers:registry")).status_code == 404
    assert client.get(reverse("providers:referrals")).status_code == 404


def test_the_providers_reach_ends_when_the_referral_closes(everyone, referral, client):
    staff = everyone["agency_staff"]
    url = reverse("providers:referral", args=[referral.pk])
    client.force_login(staff)
    assert client.get(url).status_code == 200
    services.referral_decide(by=staff, referral=referral, accept=True)
    assert client.get(url).status_code == 200  # accepted: still open
    services.referral_outcome(by=staff, referral=referral, outcome="provided", note="五次辅导")
    scoping.forget_scope(staff)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert client.get(reverse("providers:inbox")).content.decode().count("data-referral=") == 0
    # the referrer's side keeps the closed referral
    client.force_login(everyone["director"])
    assert client.get(url).status_code == 200


def test_a_declined_or_withdrawn_referral_is_gone_for_the_provider(everyone, registry, kids):
    staff, director = everyone["agency_staff"], everyone["director"]
    declined = refer(director, kids["zhida"], registry["agency"])
    services.referral_decide(by=staff, referral=declined, accept=False, note="名额已满")
    withdrawn = refer(director, kids["zhida"], registry["agency"])
    services.referral_withdraw(by=director, referral=withdrawn, note="家长不再同意")
    assert not ServiceReferral.objects.visible_to(staff).filter(pk__in=[declined.pk, withdrawn.pk])


def test_an_unlinked_staff_or_an_ended_role_reaches_nothing(everyone, referral, people):
    staff = everyone["agency_staff"]
    services.provider_staff_remove(by=people["civil"], provider=referral.provider, user=staff)
    assert not ServiceReferral.objects.visible_to(staff).exists()
    other = everyone["agency_staff2"]
    assignment = other.assignments.get()
    assignment.end_date = assignment.start_date
    assignment.save()
    scoping.forget_scope(other)
    assert not ServiceReferral.objects.visible_to(other).exists()


def test_an_inactive_provider_reaches_nothing(everyone, referral):
    ServiceProvider.objects.filter(pk=referral.provider_id).update(active=False)
    assert not ServiceReferral.objects.visible_to(everyone["agency_staff"]).exists()


def test_the_provider_reads_only_the_fields_the_referral_needs(everyone, referral, client):
    client.force_login(everyone["agency_staff"])
    body = client.get(reverse("providers:referral", args=[referral.pk])).content.decode()
    child = referral.child
    assert child.name in body
    # The carer's phone masked: the provider's staff do not hold view_identifier (issue 19).
    assert child.carer_phone not in body and mask_phone(child.carer_phone) in body
    assert child.id_masked not in body  # no ID number
    assert "张建国" not in body  # no parents
    assert reverse("children:detail", args=[child.pk]) not in body
    data = client.get(f"/api/v1/referrals/{referral.pk}/").json()
    assert data["child_fields"]["carer_phone"] == mask_phone(child.carer_phone)
    assert set(data["child_fields"]) == {
        "name", "gender", "age", "village", "address", "school", "carer", "carer_phone"
    }  # fmt: skip


def test_registry_of_another_district_is_404(people, registry, client):
    client.force_login(people["other_civil"])
    agency = registry["agency"]
    for url in (
        reverse("providers:detail", args=[agency.pk]),
        reverse("providers:edit", args=[agency.pk]),
        f"/api/v1/service-providers/{agency.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.patch(
            f"/api/v1/service-providers/{agency.pk}/",
            {"name": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    names = [p["name"] for p in client.get("/api/v1/service-providers/").json()["results"]]
    assert names == ["溶溪镇中心小学"]


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditadmin", "nobody"])
def test_administrators_reach_no_provider_and_no_referral(people, referral, client, who):
    user = people[who]
    assert not ServiceProvider.objects.visible_to(user).exists()
    assert not ServiceReferral.objects.visible_to(user).exists()
    client.force_login(user)
    assert client.get("/api/v1/service-providers/").json()["count"] == 0
    assert client.get("/api/v1/referrals/").json()["count"] == 0


def test_an_administrator_linked_to_a_provider_still_reaches_nothing(people, referral):
    # 三员分立 by construction: even a stray link gives an administrator no reach
    from core.roles import Role
    from org.models import Assignment
    from providers.models import ProviderStaff
    from tests.factories import START

    admin = people["sysadmin"]
    Assignment.objects.create(
        user=admin, region=referral.provider.district, role=Role.SERVICE_PROVIDER, start_date=START
    )
    ProviderStaff.objects.create(provider=referral.provider, user=admin)
    scoping.forget_scope(admin)
    assert not ServiceReferral.objects.visible_to(admin).exists()
