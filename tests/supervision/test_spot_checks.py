"""Annual archive spot-check (R11): the draw (sized per town, reproducible from its seed, one
transaction, once a year), the checklist with suggestions, rectification items, progress per
town, scoping through pages and API, query counts."""

from __future__ import annotations

import datetime
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from children.choices import Status
from children.models import AccessLog, Child, Problem
from core import clock as app_clock
from supervision import selectors, services
from supervision.models import SpotCheck, SpotCheckItem, SpotCheckRectification
from tests.factories import BEIBEI, CHENGUANG, XINGCHENG, XINXINGLU, ZHIDA, region

D = datetime.date
pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def archives(people, child_factory):
    """静观镇: 7 active children in 志达, 3 in 兴城, 1 closed; 天生街道: 5 in 新星路; one child in
    秀山县 (another district)."""
    civil = people["civil"]
    made = {"zhida": [child_factory(ZHIDA, by=civil, name=f"志{i}") for i in range(7)]}
    made["xingcheng"] = [child_factory(XINGCHENG, by=civil, name=f"兴{i}") for i in range(3)]
    closed = child_factory(ZHIDA, by=civil, name="闭")
    Child.objects.filter(pk=closed.pk).update(status=Status.CLOSED, closed_on=D(2026, 3, 1))
    made["xinxinglu"] = [child_factory(XINXINGLU, by=civil, name=f"新{i}") for i in range(5)]
    made["xiushan"] = [child_factory(CHENGUANG, by=people["other_director"], name="秀")]
    made["closed"] = [closed]
    return made


def draw(people, year=2026, percentage=30, seed=42, by=None):
    return services.spot_check_draw(
        by=by or people["civil"], district=region(BEIBEI), year=year, percentage=percentage,
        seed=seed, today=D(2026, 11, 23),
    )  # fmt: skip


def drawn_pks(spot_check):
    return sorted(spot_check.items.values_list("child_id", flat=True))


def test_sample_is_sized_per_town_and_reproducible_from_its_seed(people, archives):
    spot_check = draw(people)
    assert (spot_check.population, spot_check.sample_size) == (15, 5)
    towns = {t.region_code: (t.population, t.sample_size) for t in spot_check.towns.all()}
    assert towns["500109110000"] == (10, 3)  # ceil(30% of 10)
    assert towns["500109001000"] == (5, 2)  # ceil(30% of 5) = ceil(1.5)
    assert sum(n for _p, n in towns.values()) == 5
    # By hand: one random.Random(seed) draws each town in code order from its children
    # ordered by primary key.
    rng = random.Random(42)
    tiansheng = sorted(c.pk for c in archives["xinxinglu"])
    jingguan = sorted(c.pk for c in archives["zhida"] + archives["xingcheng"])
    expected = sorted(rng.sample(tiansheng, 2) + rng.sample(jingguan, 3))
    assert drawn_pks(spot_check) == expected
    closed = archives["closed"][0].pk
    assert closed not in drawn_pks(spot_check)
    # The same seed over the same archives draws the same sample.
    first = drawn_pks(spot_check)
    spot_check.delete()
    assert drawn_pks(draw(people)) == first


def test_generated_seed_is_recorded_and_redraws_the_same(people, archives):
    spot_check = draw(people, seed=None, percentage=50)
    assert spot_check.seed is not None
    first = drawn_pks(spot_check)
    seed = spot_check.seed
    spot_check.delete()
    assert drawn_pks(draw(people, seed=seed, percentage=50)) == first


def test_sample_size_rounds_up():
    assert services.sample_size(1, 1) == 1
    assert services.sample_size(5, 41) == 3
    assert services.sample_size(100, 7) == 7
    assert services.sample_size(10, 0) == 0


@pytest.mark.calendar
def test_drawing_twice_for_a_year_is_refused(people, archives):
    draw(people)
    with pytest.raises(ValidationError) as exc:
        draw(people, seed=7)
    assert "year" in exc.value.message_dict
    assert SpotCheck.objects.count() == 1
    draw(people, year=2025)  # another year is a new draw


@pytest.mark.parametrize(
    ("values", "field"),
    [({"percentage": 0}, "percentage"), ({"percentage": 101}, "percentage"),
     ({"percentage": "5"}, "percentage"), ({"year": 2027}, "year"), ({"seed": -1}, "seed")],
)  # fmt: skip
def test_bad_draws_are_refused_and_nothing_is_saved(people, archives, values, field):
    with pytest.raises(ValidationError) as exc:
        draw(people, **values)
    assert field in exc.value.message_dict
    assert not SpotCheck.objects.exists() and not SpotCheckItem.objects.exists()


def test_the_draw_is_one_transaction(people, archives, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SpotCheckItem.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        draw(people)
    assert not SpotCheck.objects.exists()


def test_only_district_civil_affairs_draw(people, archives):
    for name in ("supervisor", "director", "centre", "other_civil"):
        with pytest.raises(PermissionDenied):
            draw(people, by=people[name])


# --- The checklist ------------------------------------------------------------------------------


@pytest.fixture
def item(people, archives):
    spot_check = draw(people, percentage=100)
    child = archives["zhida"][0]
    return spot_check.items.get(child=child)


def test_suggestions_are_computed_from_the_archive(people, item):
    child = item.child
    Problem.objects.create(child=child, created_by=people["director"], found_on=D(2026, 3, 1),
                           description="辍学风险")  # fmt: skip
    Problem.objects.create(child=child, created_by=people["director"], found_on=D(2026, 3, 1),
                           description="情绪低落", solution="心理辅导",
                           solved_on=D(2026, 4, 1))  # fmt: skip
    annotated = selectors.with_archive_facts(Child.objects.filter(pk=child.pk)).get()
    found = selectors.suggestions(annotated, D(2026, 11, 23))
    assert found["identity_ok"]["ok"] and found["guardianship_ok"]["ok"]
    assert not found["visits_ok"]["ok"]  # never visited since January
    assert found["assistance_ok"]["ok"]  # a left-behind child: none required
    assert not found["problems_ok"]["ok"] and found["problems_ok"]["notes"]
    # A child in poverty without assistance; an entrusted carer without the signed form.
    Child.objects.filter(pk=child.pk).update(entrustment_signed_on=None)
    child.categories.add("poverty")
    annotated = selectors.with_archive_facts(Child.objects.filter(pk=child.pk)).get()
    found = selectors.suggestions(annotated, D(2026, 11, 23))
    assert not found["assistance_ok"]["ok"] and not found["guardianship_ok"]["ok"]


ALL_MET = {"identity_ok": True, "guardianship_ok": True, "visits_ok": True,
           "assistance_ok": True, "problems_ok": True}  # fmt: skip


def test_check_with_findings_and_rectifications(people, item):
    today = D(2026, 11, 23)
    with pytest.raises(ValidationError) as exc:
        services.spot_check_record(
            by=people["civil"], item=item, answers={**ALL_MET, "visits_ok": None}, today=today
        )
    assert "visits_ok" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.spot_check_record(by=people["civil"], item=item,
                              answers={**ALL_MET, "visits_ok": False}, today=today)  # fmt: skip
    assert "findings" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.spot_check_record(
            by=people["civil"], item=item, answers={**ALL_MET, "visits_ok": False},
            findings="走访不及时", today=today,
            rectifications=[services.RectificationInput("补走访", D(2026, 11, 1))])  # fmt: skip
    assert "rectifications" in exc.value.message_dict
    item.refresh_from_db()
    assert item.checked_on is None and not SpotCheckRectification.objects.exists()

    checked = services.spot_check_record(
        by=people["civil"], item=item, answers={**ALL_MET, "visits_ok": False},
        findings="走访不及时", today=today,
        rectifications=[services.RectificationInput("补入户走访", D(2026, 12, 15))])  # fmt: skip
    assert checked.checked_on == today and checked.passed is False
    assert checked.suggested["visits_ok"]["ok"] is False
    assert checked.rectifications.count() == 1
    # Supervisors and directors do not check.
    for name in ("supervisor", "director"):
        with pytest.raises(PermissionDenied):
            services.spot_check_record(by=people[name], item=item, answers=ALL_MET, today=today)
    # A correction is kept in the history.
    services.spot_check_record(by=people["civil"], item=item, answers=ALL_MET, today=today)
    assert item.history.count() >= 2


def test_rectification_done_by_the_town_supervisor(people, item):
    today = app_clock.today()
    services.spot_check_record(
        by=people["civil"], item=item, answers={**ALL_MET, "problems_ok": False},
        findings="问题未解决", today=today,
        rectifications=[services.RectificationInput("落实解决措施", today)])  # fmt: skip
    rect = SpotCheckRectification.objects.get()
    with pytest.raises(PermissionDenied):
        services.spot_rectification_done(by=people["director"], rectification=rect)
    with pytest.raises(ValidationError) as exc:
        services.spot_rectification_done(by=people["supervisor"], rectification=rect,
                                        done_on=today + datetime.timedelta(days=1))  # fmt: skip
    assert "done_on" in exc.value.message_dict
    services.spot_rectification_done(by=people["supervisor"], rectification=rect, note="已补")
    rect.refresh_from_db()
    assert rect.done and rect.done_by == people["supervisor"]
    assert rect.done_on == today and rect.done_note == "已补"
    # Marking it again changes nothing: the first date and note stay (core.workitems).
    again = SpotCheckRectification.objects.get(pk=rect.pk)
    services.spot_rectification_done(by=people["supervisor"], rectification=again, note="x")
    rect.refresh_from_db()
    assert rect.done_note == "已补"


# --- Progress, pages, scoping -----------------------------------------------------------------


def test_progress_per_town_for_each_role(people, archives):
    spot_check = draw(people)
    today = D(2026, 11, 23)
    zhida_items = list(spot_check.items.filter(region_code=ZHIDA))
    checked = next(iter(spot_check.items.filter(region_code__startswith="500109110")))
    services.spot_check_record(by=people["civil"], item=checked, answers=ALL_MET, today=today)
    district = {
        t.town.code: t for t in selectors.progress(people["civil"], spot_check, today).towns
    }
    assert (district["500109110000"].drawn, district["500109110000"].checked) == (3, 1)
    assert district["500109110000"].passed == 1
    assert district["500109001000"].drawn == 2
    town = selectors.progress(people["supervisor"], spot_check, today).towns
    assert [t.town.code for t in town] == ["500109110000"]
    village = selectors.progress(people["director"], spot_check, today).towns
    assert [t.town.code for t in village] == ["500109110000"]
    assert village[0].drawn == len(zhida_items)
    assert selectors.progress(people["other_supervisor"], spot_check, today).towns == []


@pytest.mark.calendar
def test_pages_draw_check_and_mark_done(people, login, archives):
    client = login(people["civil"])
    url = reverse("supervision:spot_check_draw")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"district": region(BEIBEI).pk, "year": 2026, "percentage": 0})
    assert bad.status_code == 400 and 'data-field-error="percentage"' in bad.content.decode()
    bad = client.post(url, {"district": region(BEIBEI).pk, "year": 2026, "percentage": 101})
    assert bad.status_code == 400 and 'data-field-error="percentage"' in bad.content.decode()
    response = client.post(url, {"district": region(BEIBEI).pk, "year": 2026, "percentage": 30,
                                 "seed": 42})  # fmt: skip
    spot_check = SpotCheck.objects.get()
    assert response.status_code == 302 and spot_check.seed == 42
    again = client.post(url, {"district": region(BEIBEI).pk, "year": 2026, "percentage": 30})
    assert again.status_code == 400 and 'data-field-error="year"' in again.content.decode()

    detail = client.get(reverse("supervision:spot_check_detail", args=[spot_check.pk]),
                        {"town": "500109110000"})  # fmt: skip
    assert detail.status_code == 200
    assert detail.content.decode().count("data-item=") == 3
    item = spot_check.items.filter(region_code__startswith="500109110").first()
    item_url = reverse("supervision:spot_check_item", args=[item.pk])
    before = AccessLog.objects.count()
    page = client.get(item_url)
    assert page.status_code == 200 and 'data-testid="check-form"' in page.content.decode()
    assert AccessLog.objects.count() == before + 1
    incomplete = client.post(item_url, {"identity_ok": "yes", "guardianship_ok": "yes",
                                        "visits_ok": "no", "assistance_ok": "yes"})  # fmt: skip
    body = incomplete.content.decode()
    assert incomplete.status_code == 400 and 'data-field-error="problems_ok"' in body
    today = app_clock.today()
    saved = client.post(item_url, {
        "identity_ok": "yes", "guardianship_ok": "yes", "visits_ok": "no", "assistance_ok": "yes",
        "problems_ok": "yes", "findings": "走访不及时",
        "rect_1_text": "补一次入户走访", "rect_1_due_on": today.isoformat()})  # fmt: skip
    assert saved.status_code == 302
    item.refresh_from_db()
    assert item.checked_on == today and item.visits_ok is False
    rect = SpotCheckRectification.objects.get()

    # The town supervisor sees the result and the item due, and marks it done.
    supervisor = login(people["supervisor"])
    listing = supervisor.get(reverse("supervision:spot_checks"))
    assert f'data-rectification="{rect.pk}"' in listing.content.decode()
    page = supervisor.get(item_url)
    assert page.status_code == 200 and 'data-testid="check-form"' not in page.content.decode()
    assert supervisor.post(item_url, {}).status_code == 403
    supervisor.post(reverse("supervision:rectification_done", args=[rect.pk]),
                    {"done_on": today.isoformat()})  # fmt: skip
    rect.refresh_from_db()
    assert rect.done_on == today


def test_outsiders_get_404_pages_and_api(people, login, archives):
    spot_check = draw(people)
    today = app_clock.today()
    zhida_item = spot_check.items.filter(region_code=ZHIDA).first() or spot_check.items.filter(
        region_code__startswith="500109110").first()  # fmt: skip
    other_town_item = spot_check.items.filter(region_code=XINXINGLU).first()
    services.spot_check_record(by=people["civil"], item=other_town_item,
                          answers={**ALL_MET, "visits_ok": False}, findings="x", today=today,
                          rectifications=[services.RectificationInput("补", today)])  # fmt: skip
    rect = SpotCheckRectification.objects.get()
    detail = reverse("supervision:spot_check_detail", args=[spot_check.pk])
    for name in ("other_civil", "other_supervisor", "other_director", "centre", "nobody"):
        client = login(people[name])
        assert client.get(detail).status_code == 404, name
        assert (
            client.get(reverse("supervision:spot_check_item", args=[zhida_item.pk])).status_code
            == 404
        )
        assert api(people[name]).get(f"/api/v1/spot-checks/{spot_check.pk}/").status_code == 404
        assert (
            api(people[name]).get(f"/api/v1/spot-checks/items/{zhida_item.pk}/").status_code == 404
        )
        assert (
            api(people[name])
            .post(f"/api/v1/spot-checks/rectifications/{rect.pk}/done/")
            .status_code
            == 404
        )
    for name in ("centre", "nobody", "sysadmin"):
        assert login(people[name]).get(reverse("supervision:spot_checks")).status_code == 404
    # The supervisor of 静观镇 does not see 天生街道's archive, its items, or mark them done.
    supervisor = login(people["supervisor"])
    other_url = reverse("supervision:spot_check_item", args=[other_town_item.pk])
    assert supervisor.get(other_url).status_code == 404
    assert f'data-rectification="{rect.pk}"' not in supervisor.get(
        reverse("supervision:spot_checks")).content.decode()  # fmt: skip
    assert (
        supervisor.post(reverse("supervision:rectification_done", args=[rect.pk])).status_code
        == 404
    )
    assert (
        api(people["supervisor"])
        .get(f"/api/v1/spot-checks/items/{other_town_item.pk}/")
        .status_code
        == 404
    )
    items = api(people["supervisor"]).get(f"/api/v1/spot-checks/{spot_check.pk}/items/").json()
    assert {i["region_code"][:9] for i in items["results"]} == {"500109110"}
    # Directors neither draw nor check (403 on the API, 404 for the draw page).
    assert login(people["director"]).get(reverse("supervision:spot_check_draw")).status_code == 404
    assert (
        api(people["supervisor"])
        .post(f"/api/v1/spot-checks/items/{zhida_item.pk}/check/", ALL_MET, format="json")
        .status_code
        == 403
    )
    assert api(people["other_civil"]).get("/api/v1/spot-checks/").json()["count"] == 0


def test_api_draw_items_check_done(people, archives):
    client = api(people["civil"])
    district = region(BEIBEI).pk
    bad = client.post("/api/v1/spot-checks/", {"district": district, "year": 2026, "percentage": 0},
                      format="json")  # fmt: skip
    assert bad.status_code == 400 and "percentage" in bad.json()
    bad = client.post("/api/v1/spot-checks/", {"district": district, "year": 2026,
                                               "percentage": 150}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "percentage" in bad.json()
    foreign = api(people["other_civil"]).post(
        "/api/v1/spot-checks/", {"district": district, "year": 2026, "percentage": 10},
        format="json")  # fmt: skip
    assert foreign.status_code == 404
    assert not SpotCheck.objects.exists()
    payload = {"district": district, "year": 2026, "percentage": 30, "seed": 42}
    made = client.post("/api/v1/spot-checks/", payload, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["sample_size"] == 5 and made.json()["seed"] == 42
    pk = made.json()["id"]
    detail = client.get(f"/api/v1/spot-checks/{pk}/").json()
    towns = {t["town"]: t for t in detail["towns"]}
    assert towns["500109110000"]["drawn"] == 3
    items = client.get(f"/api/v1/spot-checks/{pk}/items/").json()
    assert items["count"] == 5
    item_id = items["results"][0]["id"]
    read = client.get(f"/api/v1/spot-checks/items/{item_id}/")
    assert read.status_code == 200 and "suggestions" in read.json()
    bad = client.post(f"/api/v1/spot-checks/items/{item_id}/check/",
                      {**ALL_MET, "visits_ok": False}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "findings" in bad.json()
    today = app_clock.today().isoformat()
    ok = client.post(f"/api/v1/spot-checks/items/{item_id}/check/", {
        **ALL_MET, "visits_ok": False, "findings": "走访不及时",
        "rectifications": [{"text": "补走访", "due_on": today}]}, format="json")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["checked_on"] == today
    rect_id = ok.json()["rectifications"][0]["id"]
    done = client.post(f"/api/v1/spot-checks/rectifications/{rect_id}/done/", {}, format="json")
    assert done.status_code == 200 and done.json()["done_on"] == today


def _queries(client, url, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow(people, login, child_factory, django_assert_max_num_queries):
    civil = people["civil"]
    for i in range(2):
        child_factory(ZHIDA, by=civil, name=f"少{i}")
    small = draw(people, year=2025, percentage=100)
    for i in range(8):
        child_factory(XINGCHENG, by=civil, name=f"多{i}")
    big = draw(people, year=2026, percentage=100)
    today = app_clock.today()
    for item in list(big.items.all()[:4]):
        services.spot_check_record(
            by=civil, item=item, answers={**ALL_MET, "visits_ok": False}, findings="x",
            today=today, rectifications=[services.RectificationInput("补", today)])  # fmt: skip
    client = login(civil)
    town = {"town": "500109110000"}
    _queries(client, reverse("supervision:spot_checks"))
    small_detail = _queries(client, reverse("supervision:spot_check_detail", args=[small.pk]), town)
    with django_assert_max_num_queries(small_detail):
        client.get(reverse("supervision:spot_check_detail", args=[big.pk]), town)
    listing = _queries(client, reverse("supervision:spot_checks"))
    item = big.items.first()
    services.spot_check_record(
        by=civil, item=item, answers={**ALL_MET, "visits_ok": False}, findings="x",
        today=today, rectifications=[services.RectificationInput("补", today)] * 3)  # fmt: skip
    with django_assert_max_num_queries(listing):
        client.get(reverse("supervision:spot_checks"))
    api_client = api(civil)
    small_items = _queries(api_client, f"/api/v1/spot-checks/{small.pk}/items/")
    with django_assert_max_num_queries(small_items):
        api_client.get(f"/api/v1/spot-checks/{big.pk}/items/")
