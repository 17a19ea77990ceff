"""Transfers: requesting, deciding, what the acceptance moves, once, and who may."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from children.choices import Status
from children.closing import child_close
from children.models import Child
from children.registration import DuplicateChild, child_save
from core import clock, scoping
from matching import services as matching
from matching.models import Finding, Outcome, RuleCode
from matching.sources import SourceKind
from notifications.delivery import deliver_in_app
from notifications.models import EscalationLevel, Notification, Reminder
from notifications.sweep import sweep
from tests.factories import BEIBEI, CHENGUANG, child_input, region
from tests.matching.conftest import csv_file
from transfers import services
from transfers.models import Transfer, TransferKind, TransferStatus
from visits import followups
from visits import services as visit_services
from visits.models import FollowUp, Visit

pytestmark = pytest.mark.django_db


def send(people, child, village, **extra):
    return services.transfer_request(
        by=extra.pop("by", people["director"]),
        child=child,
        to_village=village,
        reason=extra.pop("reason", "随父母搬到星城社区居住"),
        **extra,
    )


def test_a_request_leaves_the_child_here_and_tells_the_receiving_director(
    people, mover, xingcheng, third
):
    transfer = send(people, mover, xingcheng)
    mover.refresh_from_db()
    assert mover.region_code == people["director"].assignments.get().region.code
    assert transfer.status == TransferStatus.REQUESTED and transfer.kind == TransferKind.SEND
    told = Notification.objects.get(recipient=people["neighbour"])
    assert "林小雨" in told.title and told.link == f"/transfers/{transfer.pk}/"
    # Both sides see the transfer; a third village does not.
    for name in ("director", "neighbour", "supervisor", "civil"):
        assert Transfer.objects.visible_to(people[name]).filter(pk=transfer.pk).exists()
    assert not Transfer.objects.visible_to(third).exists()
    assert not Transfer.objects.visible_to(people["other_director"]).exists()
    # The receiving director does not read the archive before accepting.
    assert not Child.objects.visible_to(people["neighbour"]).filter(pk=mover.pk).exists()
    assert services.may_decide(people["neighbour"], transfer)
    assert not services.may_decide(people["director"], transfer)
    assert not services.may_decide(third, transfer)


def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(people, mover, xingcheng):
    with pytest.raises(ValidationError) as refused:
        send(people, mover, mover.village, reason=" ")
    assert set(refused.value.message_dict) == {"to_village", "reason"}
    with pytest.raises(ValidationError) as refused:
        send(people, mover, region(BEIBEI))
    assert "to_village" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        send(people, mover, xingcheng, reason="长" * 301)
    assert "reason" in refused.value.message_dict
    assert not Transfer.objects.exists() and not Notification.objects.exists()


def test_only_the_childs_side_starts_a_transfer(people, mover, xingcheng, third):
    for name in ("neighbour", "supervisor", "other_civil"):
        with pytest.raises(PermissionDenied):
            send(people, mover, xingcheng, by=people[name])
    assert send(people, mover, xingcheng, by=people["civil"]).requested_by == people["civil"]


def test_one_open_transfer_per_child_and_a_retry_is_stored_once(people, mover, xingcheng):
    token = uuid.uuid4()
    first = send(people, mover, xingcheng, client_token=token)
    assert send(people, mover, xingcheng, client_token=token) == first
    with pytest.raises(ValidationError):
        send(people, mover, region(CHENGUANG))
    assert Transfer.objects.count() == 1


def test_acceptance_moves_the_child_with_its_due_dates_and_work_once(
    people, mover, xingcheng, clock
):
    due = (mover.next_contact_due, mover.next_home_visit_due)
    transfer = send(people, mover, xingcheng)
    neighbour = people["neighbour"]
    accepted = services.transfer_accept(by=neighbour, transfer=transfer)
    again = services.transfer_accept(by=neighbour, transfer=transfer)  # retried
    assert accepted.status == again.status == TransferStatus.ACCEPTED
    mover.refresh_from_db()
    assert mover.village == xingcheng and mover.region_code == xingcheng.code
    assert (mover.next_contact_due, mover.next_home_visit_due) == due  # kept, not reset
    latest = mover.history.order_by("-history_id").first()
    assert xingcheng.name in latest.history_change_reason and latest.history_user == neighbour
    assert mover.history.filter(history_change_reason__contains=xingcheng.name).count() == 1
    # The open follow-up item is the new director's now.
    item = FollowUp.objects.visible_to(neighbour).get()
    assert followups.may_complete_follow_up(neighbour, item)
    assert accepted.moved["follow_ups"] == 1 and accepted.moved["visits_shared"] == 1
    # The sender is told once; she reads the visits she logged, nothing else.
    director = people["director"]
    scoping.forget_scope(director)  # a new request: the grants are read again
    assert (
        Notification.objects.filter(recipient=director, link=f"/transfers/{transfer.pk}/").count()
        == 1
    )
    assert not Child.objects.visible_to(director).filter(pk=mover.pk).exists()
    visit = Visit.objects.visible_to(director).get()
    assert not FollowUp.objects.visible_to(director).exists()
    assert not followups.may_complete_follow_ups_of(director, visit)
    assert visit_services.visit_correction_refusal(director, visit)[1]
    assert not Visit.objects.visible_to(people["other_director"]).exists()


def test_the_next_sweep_reminds_the_new_director_not_the_old_one(people, mover, xingcheng):
    today = clock.today()
    later = today + datetime.timedelta(days=80)
    Child.objects.filter(pk=mover.pk).update(
        next_contact_due=today + datetime.timedelta(days=1), next_home_visit_due=later
    )
    sweep(today)
    pending = Reminder.objects.filter(child=mover, level=EscalationLevel.DIRECTOR)
    assert list(pending.values_list("recipient", flat=True)) == [people["director"].pk]
    transfer = send(people, mover, xingcheng)
    services.transfer_accept(by=people["neighbour"], transfer=transfer)
    assert sweep(today).created == 0  # the moved reminder is the one the sweep owes
    assert list(pending.values_list("recipient", flat=True)) == [people["neighbour"].pk]
    deliver_in_app(clock.now())
    reminded = Notification.objects.filter(child=mover, kind="contact_due_soon")
    assert list(reminded.values_list("recipient", flat=True)) == [people["neighbour"].pk]


def test_a_reminder_sent_already_stays_and_the_new_director_is_reminded_too(
    people, mover, xingcheng
):
    today = clock.today()
    later = today + datetime.timedelta(days=80)
    Child.objects.filter(pk=mover.pk).update(next_contact_due=today, next_home_visit_due=later)
    sweep(today)
    deliver_in_app(clock.now())
    transfer = send(people, mover, xingcheng)
    services.transfer_accept(by=people["neighbour"], transfer=transfer)
    assert sweep(today).created == 1
    deliver_in_app(clock.now())
    reminded = Notification.objects.filter(child=mover, kind__in=["contact_due_soon"])
    assert sorted(reminded.values_list("recipient", flat=True)) == sorted(
        [people["director"].pk, people["neighbour"].pk]
    )


def test_decline_needs_a_reason_and_moves_nothing(people, mover, xingcheng, third):
    transfer = send(people, mover, xingcheng)
    with pytest.raises(ValidationError) as refused:
        services.transfer_decline(by=people["neighbour"], transfer=transfer, reason="")
    assert "decline_reason" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.transfer_decline(by=people["director"], transfer=transfer, reason="x")
    declined = services.transfer_decline(
        by=people["neighbour"], transfer=transfer, reason="查无此人"
    )
    assert declined.status == TransferStatus.DECLINED
    mover.refresh_from_db()
    assert mover.region_code != xingcheng.code
    assert Notification.objects.filter(recipient=people["director"], body="查无此人").exists()
    with pytest.raises(ValidationError):
        services.transfer_accept(by=people["neighbour"], transfer=transfer)


def test_between_districts_the_receiving_civil_affairs_decides(people, mover, chenguang):
    transfer = send(people, mover, chenguang)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"other_director", "other_civil"}
    assert services.may_decide(people["other_civil"], transfer)
    assert not services.may_decide(people["civil"], transfer)
    services.transfer_accept(by=people["other_civil"], transfer=transfer)
    mover.refresh_from_db()
    assert mover.region_code == CHENGUANG
    assert Child.objects.visible_to(people["other_director"]).filter(pk=mover.pk).exists()
    assert not Child.objects.visible_to(people["civil"]).filter(pk=mover.pk).exists()


def test_open_findings_move_and_the_moved_out_finding_is_closed_by_the_acceptance(
    people, mover, xingcheng
):
    civil = people["civil"]
    beibei = region(BEIBEI)
    record = matching.list_dry_run(
        by=civil,
        district=beibei,
        source=SourceKind.POLICE_MOVES,
        upload=csv_file([["姓名", "身份证号码", "迁移类型"], ["林小雨", mover.id_number, "迁出"]]),
    )
    matching.list_import(by=civil, pk=record.pk)
    finding = Finding.objects.get(child=mover)
    assert finding.rule == RuleCode.MOVED_OUT
    transfer = send(people, mover, xingcheng, finding=finding)
    services.transfer_accept(by=people["neighbour"], transfer=transfer)
    finding.refresh_from_db()
    assert finding.done and finding.outcome == Outcome.CONFIRMED
    assert finding.outcome_link == f"/children/{mover.pk}/"


def test_a_finding_of_another_child_is_refused(people, mover, xingcheng):
    with pytest.raises(ValidationError) as refused:
        fake = Finding(pk=0, child_id=mover.pk + 1, rule=RuleCode.MOVED_OUT)
        send(people, mover, xingcheng, finding=fake)
    assert "finding" in refused.value.message_dict


def test_registering_a_child_closed_as_moved_away_elsewhere_offers_the_claim(people, mover):
    director, other = people["director"], people["other_director"]
    child_close(
        by=director,
        child=mover,
        reason="moved_away",
        closed_on=clock.today(),
        new_address="不详",
    )
    with pytest.raises(DuplicateChild) as offered:
        child_save(by=other, data=child_input(CHENGUANG, id_number=mover.id_number))
    assert offered.value.moved_away and offered.value.existing is None
    assert "transfer" in offered.value.messages[0] or "转" in offered.value.messages[0]
    # District staff find it among the archives closed as moved away.
    from transfers.selectors import moved_away_children

    assert moved_away_children(people["civil"]) == [Child.objects.get(pk=mover.pk)]
    assert moved_away_children(people["other_civil"]) == []
    transfer = services.transfer_claim(
        by=other,
        id_number=mover.id_number,
        to_village=region(CHENGUANG),
        reason="现住溶溪镇辰光村",
    )
    assert transfer.kind == TransferKind.CLAIM
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"director", "civil"}
    assert not services.may_decide(other, transfer)
    assert services.may_decide(people["civil"], transfer)
    services.transfer_accept(by=people["civil"], transfer=transfer)
    mover.refresh_from_db()
    assert mover.status == Status.ACTIVE and mover.region_code == CHENGUANG
    assert mover.next_contact_due is not None  # due dates again for an open archive
    assert moved_away_children(people["civil"]) == []


def test_a_claim_needs_an_archive_closed_as_moved_away(people, mover):
    other = people["other_director"]
    with pytest.raises(ValidationError) as refused:
        services.transfer_claim(
            by=other, id_number=mover.id_number, to_village=region(CHENGUANG), reason="x"
        )
    assert "id_number" in refused.value.message_dict  # an open archive: nothing to claim
    with pytest.raises(ValidationError) as refused:
        services.transfer_claim(by=other, id_number="123", to_village=region(BEIBEI), reason="")
    assert set(refused.value.message_dict) == {"id_number", "to_village", "reason"}
    assert not Transfer.objects.exists()
