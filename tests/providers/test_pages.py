"""The pages: the registry kept by district civil affairs, the referral from the child's page,
the provider's inbox with its answer and outcome, the referrer's list; bad input answered on
the field in Chinese with nothing saved, a retried form stored once, fixed query counts, the
timeline and the dossier."""

import uuid

import pytest
from django.urls import reverse

from casefile import dossier
from core import clock as app_clock
from providers.models import ReferralStatus, ServiceProvider, ServiceReferral
from tests.providers.conftest import refer

pytestmark = pytest.mark.django_db


def test_civil_affairs_register_a_provider_on_the_page(people, regions, login):
    client = login(people["civil"])
    assert client.get(reverse("providers:new")).status_code == 200
    response = client.post(
        reverse("providers:new"),
        {"name": "北碚区妇联儿童之家", "kind": "mass_organisation",
         "services": ["family_education", "companionship"], "contact_phone": "023-68861234",
         "active": "on"},
    )  # fmt: skip
    provider = ServiceProvider.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "providers:detail", args=[provider.pk]
    )
    assert provider.services == ["family_education", "companionship"] and provider.active
    body = client.get(reverse("providers:registry")).content.decode()
    assert "北碚区妇联儿童之家" in body


def test_bad_provider_input_is_answered_on_the_field(people, regions, login):
    client = login(people["civil"])
    response = client.post(
        reverse("providers:new"), {"name": "某机构", "kind": "school", "contact_phone": "12"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field-error="services"' in body
    assert 'data-field-error="contact_phone"' in body
    assert not ServiceProvider.objects.exists()


def test_the_registry_is_edited_only_by_its_district(people, registry, login):
    agency = registry["agency"]
    for who in ("director", "supervisor", "centre", "other_civil"):
        client = login(people[who])
        assert client.get(reverse("providers:edit", args=[agency.pk])).status_code == 404, who
    assert login(people["director"]).get(reverse("providers:new")).status_code == 404
    # directors read it (they refer)
    assert (
        login(people["director"]).get(reverse("providers:detail", args=[agency.pk])).status_code
        == 200
    )


def test_civil_affairs_link_and_unlink_a_staff_account(people, registry, staff, login):
    client = login(people["civil"])
    clinic = registry["clinic"]
    url = reverse("providers:detail", args=[clinic.pk])
    assert client.post(url, {"user": people["director"].pk}).status_code == 400
    assert client.post(url, {"user": staff["unlinked_staff"].pk}).status_code == 302
    assert clinic.staff_links.filter(user=staff["unlinked_staff"]).exists()
    client.post(url, {"remove": staff["unlinked_staff"].pk})
    assert not clinic.staff_links.exists()


def test_the_director_refers_from_the_childs_page(people, registry, staff, kids, login):
    child = kids["zhida"]
    client = login(people["director"])
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    refer_url = reverse("providers:refer", args=[child.pk])
    assert refer_url in page
    form = client.get(refer_url)
    assert form.status_code == 200
    assert "溶溪镇中心小学" not in form.content.decode()  # another district's provider
    token = str(uuid.uuid4())
    today = app_clock.today()
    data = {
        "provider": registry["agency"].pk, "service": "psychological",
        "reason": "母亲失联后沉默寡言", "consent": "guardian_and_child",
        "consent_on": today.isoformat(), "respond_by": today.isoformat(),
        "due_on": today.isoformat(), "client_uuid": token,
    }  # fmt: skip
    first = client.post(refer_url, data)
    assert first.status_code == 302
    again = client.post(refer_url, data)  # the phone sent it twice
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert ServiceReferral.objects.count() == 1
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert "data-service-referral=" in page
    assert "转介至 北碚区阳光社工站：心理" in page  # on the timeline


def test_bad_referral_input_is_answered_on_the_field(people, registry, staff, kids, login):
    client = login(people["director"])
    response = client.post(
        reverse("providers:refer", args=[kids["zhida"].pk]),
        {"provider": registry["agency"].pk, "service": "medical", "reason": "x",
         "consent": "guardian", "consent_on": "", "respond_by": "2020-01-01",
         "due_on": "2020-01-01", "client_uuid": str(uuid.uuid4())},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "该服务机构不提供此项服务。" in body
    assert "请填写取得同意的日期。" in body
    assert "此日期不能早于今天。" in body
    assert not ServiceReferral.objects.exists()


def test_the_providers_staff_accept_and_record_the_outcome_on_the_inbox(
    people, referral, staff, login
):
    client = login(staff["agency_staff"])
    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="panel-provider"' in home and reverse("providers:inbox") in home
    inbox = client.get(reverse("providers:inbox")).content.decode()
    assert f'data-referral="{referral.pk}"' in inbox
    act = reverse("providers:referral_act", args=[referral.pk, "decide"])
    refused = client.post(act, {"decision": "decline", "note": ""})
    assert refused.status_code == 400 and "请说明原因。" in refused.content.decode()
    assert client.post(act, {"decision": "accept"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    outcome = reverse("providers:referral_act", args=[referral.pk, "outcome"])
    done = client.post(
        outcome, {"outcome": "provided", "done_on": app_clock.today().isoformat(), "done_note": "x"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("providers:inbox")
    assert client.get(reverse("providers:referral", args=[referral.pk])).status_code == 404
    # the referrer reads the outcome on the child's page and in the dossier
    director = people["director"]
    page = login(director).get(reverse("children:detail", args=[referral.child_id])).content
    assert "已接收转介" in page.decode() and "已提供服务" in page.decode()
    html = dossier.render_html(referral.child, director)
    assert "服务机构转介" in html and "北碚区阳光社工站" in html


def test_the_referrer_records_the_answer_for_the_provider(people, registry, kids, login):
    referral = refer(people["director"], kids["zhida"], registry["clinic"])
    client = login(people["director"])
    page = client.get(reverse("providers:referral", args=[referral.pk])).content.decode()
    assert "服务机构的答复（代为记录）" in page
    client.post(
        reverse("providers:referral_act", args=[referral.pk, "decide"]), {"decision": "accept"}
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.decided_for_provider


def test_an_unknown_action_is_404(people, referral, login):
    client = login(people["director"])
    url = reverse("providers:referral_act", args=[referral.pk, "delete"])
    assert client.post(url).status_code == 404


def test_lists_keep_their_query_count(
    people, registry, staff, kids, login, django_assert_max_num_queries
):
    for _n in range(3):
        refer(people["director"], kids["zhida"], registry["agency"])
    refer(people["neighbour"], kids["xingcheng"], registry["clinic"])
    counts = {}
    for who, url in (
        ("civil", reverse("providers:registry")),
        ("supervisor", reverse("providers:referrals")),
        ("director", reverse("providers:referrals") + "?status=open"),
    ):
        client = login(people[who])
        client.get(url)
        with django_assert_max_num_queries(16) as captured:
            body = client.get(url).content.decode()
        counts[url] = len(captured)
        assert "data-" in body
    for _n in range(5):
        refer(people["director"], kids["zhida"], registry["agency"])
        services_clinic = ServiceProvider.objects.create(
            district=registry["agency"].district, name=f"机构{_n}", kind="other", services=["other"]
        )
        assert services_clinic.pk
    for who, url in (
        ("civil", reverse("providers:registry")),
        ("supervisor", reverse("providers:referrals")),
    ):
        client = login(people[who])
        client.get(url)
        with django_assert_max_num_queries(counts[url]):
            client.get(url)
    client = login(staff["agency_staff"])
    client.get(reverse("providers:inbox"))
    with django_assert_max_num_queries(10) as captured:
        body = client.get(reverse("providers:inbox")).content.decode()
    assert body.count("data-referral=") == 8
    assert len(captured) <= 10


def test_the_menu_links_referrals_and_the_registry(people, staff, login):
    body = login(people["civil"]).get(reverse("home")).content.decode()
    assert reverse("providers:registry") in body and reverse("providers:referrals") in body
    staff_body = login(staff["agency_staff"]).get(reverse("home")).content.decode()
    assert 'data-testid="nav-inbox"' in staff_body
    assert reverse("children:list") not in staff_body
