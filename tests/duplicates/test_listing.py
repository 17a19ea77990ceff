"""The district's list of likely duplicates: a background job with progress (claimed once),
its pairs, scoping, and the pages."""

import datetime

import pytest
from django.urls import reverse

from children import duplicates as candidates
from children.models import AccessLog
from core.scoping import Scope
from duplicates import jobs, services
from duplicates.listing import district_duplicates
from duplicates.models import DuplicateList, ListStatus
from tests.duplicates.conftest import BIRTH, no_id_child
from tests.factories import BEIBEI, CHENGUANG, XINGCHENG, XIUSHAN, make_child

pytestmark = pytest.mark.django_db


def pairs_in(code):
    return {(a, b): r for a, b, r, _s in district_duplicates(Scope.of_prefixes([code[:6]]))[1]}


def test_the_list_finds_the_pairs_registration_would_show(people):
    director = people["director"]
    a = no_id_child(director, name="张小明", carer_phone="13900000001")
    b = no_id_child(director, name="张晓明", carer_phone="13900000002")  # one character
    c = no_id_child(director, name="刘小明", carer_phone="13900000003")  # the first character
    no_id_child(director, name="李四", carer_phone="13900000004")  # nothing in common
    # A mistyped date of birth: same pinyin, same village.
    d = no_id_child(
        director, name="王静", birth_date=BIRTH + datetime.timedelta(days=300), carer_phone=""
    )
    e = no_id_child(
        people["neighbour"], XINGCHENG, name="王静",
        birth_date=BIRTH + datetime.timedelta(days=301), carer_phone="",
    )  # fmt: skip
    f = no_id_child(director, name="汪婧", birth_date=BIRTH + datetime.timedelta(days=5),
                    carer_phone="")  # fmt: skip
    # Two valid ID numbers: two children.
    make_child(director, name="赵一")
    make_child(director, name="赵二")
    found = pairs_in(BEIBEI)
    assert (a.pk, b.pk) in found and (a.pk, c.pk) in found
    assert (b.pk, c.pk) not in found  # 张晓明 and 刘小明: two characters apart
    assert (d.pk, f.pk) in found  # the same pinyin in the same village, dates apart
    assert (d.pk, e.pk) not in found  # other villages and other dates
    assert all(len(pair) == 2 for pair in found)
    # The same answer as the registration check, for each archive.
    for child in (a, b, c):
        shown = {
            x.child.pk
            for x in candidates.likely_duplicates(people["civil"], candidates.draft_of(child))
        }
        assert shown == {pk for pair in found if child.pk in pair for pk in pair} - {child.pk}


def test_another_district_s_children_are_not_in_the_list(people):
    no_id_child(people["director"], name="张小明")
    no_id_child(people["other_director"], CHENGUANG, name="张小明")
    assert pairs_in(BEIBEI) == {}
    assert pairs_in(XIUSHAN) == {}


def test_a_pair_called_not_the_same_child_is_left_out(people):
    a = no_id_child(people["director"], name="张小明")
    b = no_id_child(people["director"], name="张晓明")
    assert (a.pk, b.pk) in pairs_in(BEIBEI)
    candidates.not_duplicate_record(by=people["director"], child=b, others=[a.pk], context="x")
    assert pairs_in(BEIBEI) == {}


def test_the_job_runs_once_with_progress_and_is_logged(people, django_capture_on_commit_callbacks):
    a = no_id_child(people["director"], name="张小明")
    b = no_id_child(people["director"], name="张晓明")
    with django_capture_on_commit_callbacks(execute=True):
        listing = services.duplicate_list_request(user=people["civil"], district_code=BEIBEI)
    listing.refresh_from_db()
    assert (listing.status, listing.progress, listing.pair_count) == (ListStatus.DONE, 100, 1)
    assert listing.children_read == 2
    assert [(p.first_id, p.second_id) for p in listing.pairs.all()] == [(a.pk, b.pk)]
    assert jobs.run_listing(listing.pk) is None  # a second delivery does nothing
    assert listing.pairs.count() == 1
    assert AccessLog.objects.filter(action="duplicates", user=people["civil"]).count() == 1


def test_only_district_civil_affairs_ask_and_only_for_their_district(people):
    with pytest.raises(Exception) as refused:
        services.duplicate_list_request(user=people["director"], district_code=BEIBEI)
    assert refused.typename == "PermissionDenied"
    with pytest.raises(Exception) as elsewhere:
        services.duplicate_list_request(user=people["civil"], district_code=XIUSHAN)
    assert elsewhere.typename == "Http404"
    assert not DuplicateList.objects.exists()


def test_the_pages(people, client, django_capture_on_commit_callbacks,
                   django_assert_max_num_queries):  # fmt: skip
    for i in range(3):
        no_id_child(people["director"], name=f"张小{'明红刚'[i]}")
    client.force_login(people["civil"])
    assert client.get(reverse("duplicates:index")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("duplicates:new"), {"district": BEIBEI})
    listing = DuplicateList.objects.get()
    assert response["Location"] == reverse("duplicates:list", args=[listing.pk])
    url = reverse("duplicates:list", args=[listing.pk])
    with django_assert_max_num_queries(20):
        page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and body.count("duplicates/merge/") == 3
    assert client.get(reverse("duplicates:progress", args=[listing.pk])).status_code == 200
    client.force_login(people["other_civil"])
    assert client.get(url).status_code == 404
    client.force_login(people["director"])
    assert client.get(url).status_code == 403
