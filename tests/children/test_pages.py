import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from children.models import AccessLog, Child
from tests.factories import XINGCHENG, ZHIDA, make_child, make_id

BIRTH = datetime.date(2015, 3, 8)


def registration_post(**overrides):
    data = {
        "client_token": "6c1f3a52-6c8e-4e49-9a0b-2f1f0b7ad001",
        "name": "李小花",
        "gender": "F",
        "ethnicity": "01",
        "id_number": make_id(BIRTH, "F"),
        "birth_date": "2015-03-08",
        "hukou_registered": "on",
        "hukou_address": "重庆市北碚区静观镇",
        "address": "志达社区5组",
        "categories": ["rural_left_behind"],
        "father_name": "李大山",
        "father_status": "working_away",
        "father_work_province": "广东",
        "mother_name": "王芳",
        "mother_status": "working_away",
        "guardian_type": "grandparents",
        "carer_name": "李奶奶",
        "carer_relation": "祖母",
        "carer_phone": "13912345678",
        "carer_capacity": "capable",
        "guardianship_quality": "good",
        "schooling": "primary",
        "health": "healthy",
    }
    data.update(overrides)
    return data


@pytest.fixture
def village(people):
    from org.models import Region

    return Region.objects.get(code=ZHIDA)


def test_director_registers_a_child_from_the_form(people, client, village):
    client.force_login(people["director"])
    assert client.get(reverse("children:create")).status_code == 200
    response = client.post(reverse("children:create"), registration_post(village=village.pk))
    child = Child.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("children:detail", args=[child.pk])
    assert child.created_by == people["director"]
    assert child.region_code == ZHIDA
    assert {p.relation for p in child.parents.all()} == {"father", "mother"}


def test_the_same_form_posted_twice_creates_one_child(people, client, village):
    client.force_login(people["director"])
    client.post(reverse("children:create"), registration_post(village=village.pk))
    response = client.post(reverse("children:create"), registration_post(village=village.pk))
    assert response.status_code == 302
    assert Child.objects.count() == 1


def test_a_bad_id_is_shown_next_to_the_field_and_nothing_is_saved(people, client, village):
    client.force_login(people["director"])
    valid = make_id(BIRTH, "F")  # one number: each call makes a new one
    bad = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    response = client.post(
        reverse("children:create"), registration_post(village=village.pk, id_number=bad)
    )
    assert response.status_code == 400
    assert 'data-field-error="id_number"' in response.content.decode()
    assert not Child.objects.exists()


def test_a_village_outside_scope_is_not_offered(people, client):
    from org.models import Region

    client.force_login(people["director"])
    other = Region.objects.get(code=XINGCHENG)
    response = client.post(reverse("children:create"), registration_post(village=other.pk))
    assert response.status_code == 400
    assert 'data-field-error="village"' in response.content.decode()


def test_duplicate_in_scope_links_to_the_archive(people, client, village):
    number = make_id(BIRTH, "F")
    existing = make_child(people["director"], id_number=number, gender="F")
    client.force_login(people["director"])
    response = client.post(
        reverse("children:create"),
        registration_post(village=village.pk, id_number=number, client_token=""),
    )
    assert response.status_code == 400
    assert reverse("children:detail", args=[existing.pk]) in response.content.decode()


def test_supervisor_reads_but_does_not_register(people, client):
    child = make_child(people["director"])
    client.force_login(people["supervisor"])
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 200
    assert client.get(reverse("children:create")).status_code == 403
    assert client.get(reverse("children:edit", args=[child.pk])).status_code == 403


@pytest.mark.parametrize("who", ["neighbour", "other_civil", "other_supervisor", "nobody"])
def test_out_of_scope_is_404(people, client, who):
    child = make_child(people["director"])
    client.force_login(people[who])
    for name in ("children:detail", "children:edit", "children:close"):
        response = client.get(reverse(name, args=[child.pk]))
        assert response.status_code in (403, 404)
        if who != "other_supervisor":
            assert response.status_code != 200
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 404
    assert client.get(reverse("children:record_create", args=[child.pk, "note"])).status_code in (
        403,
        404,
    )


@pytest.mark.parametrize("who", ["neighbour", "other_civil", "other_director"])
def test_out_of_scope_list_is_empty(people, client, who):
    make_child(people["director"], name="张小明")
    client.force_login(people[who])
    response = client.get(reverse("children:list"))
    assert response.status_code == 200
    assert "张小明" not in response.content.decode()


def test_list_search_by_name_pinyin_initials_and_id(people, client):
    number = make_id(BIRTH, "M")
    make_child(people["director"], name="张小明", id_number=number)
    make_child(people["director"], name="王二", birth_date=datetime.date(2014, 1, 1))
    client.force_login(people["supervisor"])
    for q in ("小明", "zhangxiao", "zxm", number, number.lower()):
        content = client.get(reverse("children:list"), {"q": q}).content.decode()
        assert "张小明" in content, q
        assert "王二" not in content, q


def test_list_filters_by_village_category_and_key(people, client):
    make_child(people["director"], name="张小明")
    make_child(people["civil"], XINGCHENG, name="刘重点", schooling="dropped_out",
               categories=["poverty"], birth_date=datetime.date(2013, 5, 5))  # fmt: skip
    client.force_login(people["civil"])
    content = client.get(reverse("children:list"), {"region": XINGCHENG}).content.decode()
    assert "刘重点" in content and "张小明" not in content
    content = client.get(reverse("children:list"), {"category": "poverty"}).content.decode()
    assert "刘重点" in content and "张小明" not in content
    content = client.get(reverse("children:list"), {"key": "1"}).content.decode()
    assert "刘重点" in content and "张小明" not in content


def test_list_query_count_does_not_grow(people, client, django_assert_max_num_queries):
    client.force_login(people["civil"])
    make_child(people["director"])
    with django_assert_max_num_queries(12):
        client.get(reverse("children:list"))
    for i in range(15):
        make_child(people["director"], name=f"儿童{i}", birth_date=datetime.date(2012, 1, i + 1))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("children:list"))
    assert response.content.decode().count('href="/children/') >= 16


def test_archive_page_logs_the_view_and_masks_the_id(people, client):
    number = make_id(BIRTH, "M")
    child = make_child(people["director"], id_number=number)
    client.force_login(people["supervisor"])
    content = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert number not in content
    assert child.id_masked in content
    log = AccessLog.objects.get()
    assert (log.user, log.child, log.action) == (people["supervisor"], child, "view")


def test_view_identifier_permission_shows_the_full_id(people, client):
    number = make_id(BIRTH, "M")
    child = make_child(people["director"], id_number=number)
    people["civil"].user_permissions.add(Permission.objects.get(codename="view_identifier"))
    client.force_login(people["civil"])
    assert number in client.get(reverse("children:detail", args=[child.pk])).content.decode()


def test_changes_and_records_join_the_timeline(people, client, village):
    child = make_child(people["director"])
    client.force_login(people["director"])
    post = registration_post(
        village=village.pk, name=child.name, gender="M", birth_date="2015-03-08",
        id_number="", school_name="北碚区实验小学", reason="转学",
    )  # fmt: skip
    post["client_token"] = ""
    response = client.post(reverse("children:edit", args=[child.pk]), post)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.post(
        reverse("children:record_create", args=[child.pk, "assistance"]),
        {"kind": "dibao", "status": "granted", "started_on": "2026-01-01", "amount": "300"},
    )
    client.post(
        reverse("children:record_create", args=[child.pk, "problem"]),
        {"found_on": "2026-03-01", "description": "作业无人辅导"},
    )
    content = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    timeline = content[content.index('data-testid="timeline"') :]
    for kind in ("registered", "changed", "assistance", "problem"):
        assert f'data-kind="{kind}"' in timeline
    assert "北碚区实验小学" in timeline
    assert "转学" in timeline
    child.refresh_from_db()
    assert child.id_number  # an empty ID field on edit keeps the recorded number


def test_record_dates_in_the_future_are_refused(people, client):
    child = make_child(people["director"])
    client.force_login(people["director"])
    response = client.post(
        reverse("children:record_create", args=[child.pk, "note"]),
        {"noted_on": "2099-01-01", "text": "x"},
    )
    assert response.status_code == 400
    assert 'data-field-error="noted_on"' in response.content.decode()


def test_close_needs_a_reason_and_a_new_address_when_moved(people, client):
    child = make_child(people["director"])
    client.force_login(people["director"])
    url = reverse("children:close", args=[child.pk])
    response = client.post(url, {"reason": "moved_away", "closed_on": "2026-11-01"})
    assert response.status_code == 400
    assert 'data-field-error="new_address"' in response.content.decode()
    response = client.post(
        url, {"reason": "moved_away", "closed_on": "2026-11-01", "new_address": "广东东莞"}
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.status == "closed"
    assert client.get(reverse("children:list")).content.decode().count(child.name) == 0


def test_archive_page_query_count_is_bounded(people, client, django_assert_max_num_queries):
    from children.records import record_save

    child = make_child(people["director"])
    client.force_login(people["director"])
    client.get(reverse("children:detail", args=[child.pk]))  # warm caches (content types)
    # +1 unread badge, +1 visits in the timeline, +1 mandatory-report steps in the timeline,
    # +1 the latest change of the risk level, +1 merges of the archive in the timeline,
    # +1 care activities in the timeline
    # +1 the child's transfers (transfers), read once for the timeline and the page
    # +2 referrals to service providers (the list and the timeline)
    # +5 case plans (the page's list, whether the child needs one; in the timeline the plans,
    # their decisions and reviews)
    with django_assert_max_num_queries(44) as few:
        client.get(reverse("children:detail", args=[child.pk]))
    for i in range(10):
        values = {"noted_on": datetime.date(2026, 1, i + 1), "text": f"n{i}"}
        record_save(by=people["director"], child=child, kind="note", values=values)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("children:detail", args=[child.pk]))
