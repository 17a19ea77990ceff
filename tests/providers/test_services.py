"""The registry and referrals' services: who may, bad input refused with nothing saved, retries
stored once, the answer, the outcome and the withdrawal."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core import clock as app_clock
from notifications.models import Notification
from providers import services
from providers.models import ProviderStaff, ReferralStatus, ServiceProvider, ServiceReferral
from tests.factories import BEIBEI, CHENGUANG, XIUSHAN, region
from tests.providers.conftest import refer

pytestmark = pytest.mark.django_db


def test_only_the_districts_civil_affairs_keep_the_registry(people):
    for who in ("director", "supervisor", "centre", "other_civil", "sysadmin"):
        with pytest.raises(PermissionDenied):
            services.provider_save(
                by=people[who], district=region(BEIBEI),
                values={"name": "某机构", "kind": "other", "services": ["other"]},
            )  # fmt: skip
    assert not ServiceProvider.objects.exists()


def test_bad_registry_input_names_each_field(people):
    with pytest.raises(ValidationError) as caught:
        services.provider_save(
            by=people["civil"],
            district=region(BEIBEI),
            values={"name": " ", "kind": "spaceship", "services": [], "contact_phone": "12"},
            areas=[region(CHENGUANG)],
        )
    assert set(caught.value.message_dict) == {"name", "kind", "services", "contact_phone", "areas"}
    assert not ServiceProvider.objects.exists()


def test_a_name_is_registered_once_per_district(people, registry):
    with pytest.raises(ValidationError) as caught:
        services.provider_save(
            by=people["civil"], district=region(BEIBEI),
            values={"name": "北碚区阳光社工站", "kind": "other", "services": ["other"]},
        )  # fmt: skip
    assert "name" in caught.value.message_dict
    # the same name in another district is another provider
    services.provider_save(
        by=people["other_civil"], district=region(XIUSHAN),
        values={"name": "北碚区阳光社工站", "kind": "other", "services": ["other"]},
    )  # fmt: skip


def test_staff_are_linked_only_with_the_role_in_the_district(people, registry, staff):
    with pytest.raises(ValidationError):  # a director is not a provider's staff
        services.provider_staff_add(
            by=people["civil"], provider=registry["agency"], user=people["director"]
        )
    with pytest.raises(ValidationError):  # the role in another district
        services.provider_staff_add(
            by=people["civil"], provider=registry["agency"], user=staff["school_staff"]
        )
    with pytest.raises(PermissionDenied):
        services.provider_staff_add(
            by=people["other_civil"], provider=registry["agency"], user=staff["unlinked_staff"]
        )
    assert ProviderStaff.objects.count() == 3


def test_providers_offered_are_the_childs_district_and_area(registry, kids):
    names = set(services.providers_for(kids["zhida"]).values_list("name", flat=True))
    assert names == {"北碚区阳光社工站", "静观镇卫生院"}
    assert set(services.providers_for(kids["chenguang"]).values_list("name", flat=True)) == {
        "溶溪镇中心小学"
    }


def test_a_referral_notifies_the_providers_staff(
    people, referral, staff, django_capture_on_commit_callbacks
):
    assert referral.status == ReferralStatus.REQUESTED
    assert referral.respond_by == app_clock.today() + datetime.timedelta(days=7)


def test_the_staff_are_told_of_a_new_referral(
    people, registry, staff, kids, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refer(people["director"], kids["zhida"], registry["agency"])
    assert Notification.objects.filter(recipient=staff["agency_staff"]).count() == 1
    assert Notification.objects.filter(recipient=staff["unlinked_staff"]).count() == 0


def test_bad_referral_input_names_each_field_and_saves_nothing(people, registry, staff, kids):
    today = app_clock.today()
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            by=people["director"], child=kids["zhida"], provider=registry["agency"],
            service="medical", reason="  ", consent="maybe",
            respond_by=today - datetime.timedelta(days=1),
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"service", "reason", "consent", "respond_by"}
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            by=people["director"], child=kids["zhida"], provider=registry["agency"],
            service="psychological", reason="x", consent="guardian",
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"consent_on"}  # consent noted with its day
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            by=people["director"], child=kids["zhida"], provider=registry["school"],
            service="education", reason="x", consent="protection",
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"provider"}  # another district's provider
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            by=people["director"], child=kids["chenguang"], provider=registry["agency"],
            service="psychological", reason="x", consent="protection",
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"child"}
    assert not ServiceReferral.objects.exists()


def test_a_retry_with_the_same_client_uuid_is_stored_once(people, registry, staff, kids):
    token = uuid.uuid4()
    first = refer(people["director"], kids["zhida"], registry["agency"], client_uuid=token)
    again, created = services.referral_create(
        by=people["director"], child=kids["zhida"], provider=registry["agency"],
        service="psychological", reason="重复提交", consent="protection", client_uuid=token,
    )  # fmt: skip
    assert not created and again.pk == first.pk
    assert ServiceReferral.objects.count() == 1
    # somebody else's id is refused, not shared
    with pytest.raises(ValidationError) as caught:
        services.referral_create(
            by=people["other_director"], child=kids["chenguang"], provider=registry["school"],
            service="education", reason="x", consent="protection", client_uuid=token,
        )  # fmt: skip
    assert "client_uuid" in caught.value.message_dict


def test_provider_staff_and_administrators_do_not_refer(people, registry, staff, kids):
    for user in (staff["agency_staff"], people["sysadmin"]):
        with pytest.raises(PermissionDenied):
            refer(user, kids["zhida"], registry["agency"])


def test_accept_then_outcome_by_the_providers_staff(people, referral, staff):
    agency_staff = staff["agency_staff"]
    accepted = services.referral_decide(by=agency_staff, referral=referral, accept=True)
    assert accepted.status == ReferralStatus.ACCEPTED and not accepted.decided_for_provider
    with pytest.raises(ValidationError):  # answered once
        services.referral_decide(by=agency_staff, referral=accepted, accept=False, note="x")
    with pytest.raises(ValidationError) as caught:
        services.referral_outcome(
            by=agency_staff, referral=accepted, outcome="great",
            done_on=app_clock.today() + datetime.timedelta(days=1),
        )  # fmt: skip
    assert set(caught.value.message_dict) == {"outcome", "done_on"}
    done = services.referral_outcome(
        by=agency_staff, referral=accepted, outcome="provided", note="六次心理辅导"
    )
    assert done.status == ReferralStatus.COMPLETED and done.done and done.done_by == agency_staff


def test_the_referrer_records_the_answer_for_a_provider_without_accounts(people, registry, kids):
    referral = refer(people["director"], kids["zhida"], registry["clinic"])
    supervisor = people["supervisor"]
    accepted = services.referral_decide(by=supervisor, referral=referral, accept=True)
    assert accepted.decided_for_provider and accepted.decided_by == supervisor
    done = services.referral_outcome(by=people["director"], referral=accepted, outcome="partly")
    assert done.outcome_for_provider


def test_declining_needs_a_reason(people, referral, staff):
    with pytest.raises(ValidationError) as caught:
        services.referral_decide(by=staff["agency_staff"], referral=referral, accept=False)
    assert "note" in caught.value.message_dict
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REQUESTED


def test_outsiders_may_not_answer(people, referral, staff):
    for user in (staff["school_staff"], staff["unlinked_staff"], people["other_civil"]):
        with pytest.raises(PermissionDenied):
            services.referral_decide(by=user, referral=referral, accept=True)


def test_only_the_referrers_side_withdraws(people, referral, staff):
    with pytest.raises(PermissionDenied):
        services.referral_withdraw(by=staff["agency_staff"], referral=referral, note="x")
    with pytest.raises(ValidationError):
        services.referral_withdraw(by=people["director"], referral=referral, note=" ")
    gone = services.referral_withdraw(by=people["civil"], referral=referral, note="已转介他处")
    assert gone.status == ReferralStatus.WITHDRAWN and gone.done
