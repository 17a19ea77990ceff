"""Merging two archives of the same child (duplicates.merging): every record moves, the
merged archive is a closed tombstone that redirects, both timelines say so, nothing is
half-done, and only district civil affairs with both children in scope may merge."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from casefile.timeline import timeline
from children.choices import CloseReason, Status
from children.closing import child_close
from children.forms import CloseForm
from children.models import AccessLog
from duplicates import merging
from duplicates.models import ChildMerge
from tests.duplicates.conftest import add_records, no_id_child
from tests.factories import CHENGUANG, XINGCHENG, make_id
from visits.models import Visit

pytestmark = pytest.mark.django_db

KINDS = {
    "visits.visit",
    "reports.mandatoryreport",
    "children.assistance",
    "children.referral",
    "children.worknote",
    "children.problem",
    "children.attachment",
}


def merge(user, survivor, merged, **choices):
    return merging.child_merge_archives(
        by=user, survivor_id=survivor.pk, merged_id=merged.pk, choices=choices
    )


def test_every_kind_of_record_moves_to_the_survivor(people, twins_ish):
    a, b = twins_ish
    director = people["director"]
    add_records(director, a)
    add_records(director, b)
    add_records(director, b)
    before_a, before_b = merging.record_counts(a.pk), merging.record_counts(b.pk)
    assert set(before_a) >= KINDS
    assert all(before_b[kind] == 2 for kind in KINDS)

    record = merge(people["civil"], a, b, carer_phone="merged", name="survivor")

    after_a, after_b = merging.record_counts(a.pk), merging.record_counts(b.pk)
    for kind in before_a:
        assert after_a[kind] == before_a[kind] + before_b[kind], kind
        assert after_b[kind] == 0, kind
    assert record.moved["moved"]["visits.visit"] == 2
    # The records' own history follows them.
    assert not Visit.history.filter(child_id=b.pk).exists()


def test_fields_are_chosen_one_by_one_and_the_tombstone_points_to_the_survivor(people, twins_ish):
    a, b = twins_ish
    b_id = make_id(b.birth_date)
    b.set_id_number(b_id)
    b.save()
    merge(people["civil"], a, b, carer_phone="merged", id_number="merged")
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.name == "张小明" and a.carer_phone == "13900009999"
    assert a.id_number == b_id and b.id_hash is None  # the unique number moved
    assert (b.status, b.close_reason) == (Status.CLOSED, CloseReason.MERGED)
    assert b.merged_into.survivor == a
    assert a.next_contact_due is not None and b.next_contact_due is None
    logged = AccessLog.objects.filter(action="merge")
    assert {row.child_id for row in logged} == {a.pk, b.pk}
    assert all(row.user == people["civil"] for row in logged)


def test_the_tombstone_page_redirects_and_both_timelines_show_the_merge(people, client, twins_ish):
    a, b = twins_ish
    merge(people["civil"], a, b)
    client.force_login(people["director"])
    response = client.get(reverse("children:detail", args=[b.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("children:detail", args=[a.pk])
    survivor_entries = [e for e in timeline(a, viewer=people["director"]) if e.kind == "merge"]
    merged_entries = [e for e in timeline(b, viewer=people["director"]) if e.kind == "merge"]
    assert len(survivor_entries) == 1 and f"#{b.pk}" in survivor_entries[0].title
    assert len(merged_entries) == 1 and f"#{a.pk}" in merged_entries[0].title
    assert merged_entries[0].link == reverse("children:detail", args=[a.pk])
    page = client.get(reverse("children:detail", args=[a.pk]))
    assert f"#{b.pk}" in page.content.decode()


def test_a_child_outside_the_merger_s_scope_is_a_404(people, twins_ish):
    a, _b = twins_ish
    far = no_id_child(people["other_director"], CHENGUANG, name="张小明")
    with pytest.raises(Http404):
        merge(people["civil"], a, far)
    with pytest.raises(Http404):
        merge(people["other_civil"], far, a)
    assert not ChildMerge.objects.exists()


def test_only_district_civil_affairs_merge(people, twins_ish):
    a, b = twins_ish
    for who in ("director", "supervisor", "centre", "sysadmin", "nobody"):
        with pytest.raises((PermissionDenied, Http404)):
            merge(people[who], a, b)
    assert not ChildMerge.objects.exists()


def test_nothing_is_half_done_when_the_merge_fails(people, twins_ish, monkeypatch):
    a, b = twins_ish
    add_records(people["director"], b)
    before = merging.record_counts(b.pk)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merging.cadence, "recompute", broken)
    with pytest.raises(RuntimeError):
        merge(people["civil"], a, b, carer_phone="merged")
    b.refresh_from_db()
    a.refresh_from_db()
    assert merging.record_counts(b.pk) == before
    assert b.status == Status.ACTIVE and a.carer_phone == "13900001111"
    assert not ChildMerge.objects.exists()
    assert not AccessLog.objects.filter(action="merge").exists()


def test_bad_choices_and_a_second_merge_are_refused(people, twins_ish):
    a, b = twins_ish
    with pytest.raises(ValidationError) as bad:
        merge(people["civil"], a, b, shoe_size="merged", name="theirs")
    assert set(bad.value.message_dict) == {"choices"}
    with pytest.raises(ValidationError):
        merge(people["civil"], a, a)
    merge(people["civil"], a, b)
    with pytest.raises(ValidationError) as again:
        merge(people["civil"], a, b)
    assert "merged" in again.value.message_dict


def test_the_merge_page(people, client, twins_ish):
    a, b = twins_ish
    url = reverse("duplicates:merge", args=[a.pk, b.pk])
    client.force_login(people["director"])
    assert client.get(url).status_code == 403
    client.force_login(people["other_civil"])
    assert client.get(url).status_code == 404
    client.force_login(people["civil"])
    assert client.get(url).status_code == 200
    post = dict.fromkeys(merging.MERGE_FIELDS, "a") | {"survivor": "b", "carer_phone": "b"}
    response = client.post(url, post)
    assert response.status_code == 302
    assert response["Location"] == reverse("children:detail", args=[b.pk])
    record = ChildMerge.objects.get()
    assert (record.survivor_id, record.merged_id) == (b.pk, a.pk)
    assert record.choices["carer_phone"] == "survivor" and record.choices["name"] == "merged"


def test_the_neighbour_cannot_see_the_survivor_and_keeps_a_closed_page(people, client):
    neighbour_child = no_id_child(people["neighbour"], XINGCHENG, name="张小明")
    mine = no_id_child(people["director"], name="张晓明")
    merge(people["civil"], mine, neighbour_child)
    client.force_login(people["neighbour"])
    response = client.get(reverse("children:detail", args=[neighbour_child.pk]))
    assert response.status_code == 200  # the survivor is not hers: no redirect, no leak
    assert client.get(reverse("children:detail", args=[mine.pk])).status_code == 404


def test_merged_is_not_a_reason_to_close_by_hand(people, twins_ish):
    a, _b = twins_ish
    assert CloseReason.MERGED not in dict(CloseForm().fields["reason"].choices)
    with pytest.raises(ValidationError) as refused:
        child_close(
            by=people["director"], child=a, reason=CloseReason.MERGED, closed_on=a.created_at.date()
        )
    assert "reason" in refused.value.message_dict
