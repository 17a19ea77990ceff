import datetime

from children import idnumber
from children.models import Child, Parent
from children.registration import pinyin_keys
from demo.synthetic import generate
from tests.factories import BEIBEI, region

TODAY = datetime.date(2026, 11, 23)


def snapshot():
    return [
        (c.name, c.id_number, c.birth_date, c.gender, c.region_code, c.category_codes(),
         c.key_reasons, [(p.relation, p.status, p.name) for p in c.parents.all()])
        for c in Child.objects.order_by("pk").prefetch_related("categories", "parents")
    ]  # fmt: skip


def test_generate_a_small_population(regions):
    district = region(BEIBEI)
    assert generate(district, 50, seed=1, created_by=None, today=TODAY) == 50
    children = list(Child.objects.prefetch_related("categories", "parents"))
    assert len(children) == 50
    numbers = set()
    for child in children:
        facts = idnumber.parse(child.id_number, TODAY)
        numbers.add(facts.number)
        assert facts.area_code == "500109"
        assert (facts.birth_date, facts.gender) == (child.birth_date, child.gender)
        assert 0 <= child.age_on(TODAY) <= 17
        assert child.id_masked == idnumber.mask(facts.number)
        assert child.region_code.startswith("500109") and child.region_code == child.village.code
        assert child.village.level == "village"
        assert (child.name_pinyin, child.name_initials) == pinyin_keys(child.name)
        assert child.category_codes()
        assert child.is_key == bool(child.key_reasons)
        for parent in child.parents.all():
            if parent.id_cipher:
                idnumber.parse(parent.id_number, TODAY)
    assert len(numbers) == 50
    assert Child.history.count() == 0  # bulk-created: no history rows
    assert Parent.objects.count() >= 50
    assert len({c.region_code for c in children}) > 10  # spread over the villages


def test_generate_is_deterministic_for_a_seed(regions):
    district = region(BEIBEI)
    generate(district, 30, seed=7, created_by=None, today=TODAY)
    first = snapshot()
    Parent.objects.all().delete()
    Child.objects.all().delete()
    generate(district, 30, seed=7, created_by=None, today=TODAY)
    assert snapshot() == first
    # A top-up with the same seed never reuses an ID number already registered.
    generate(district, 30, seed=7, created_by=None, today=TODAY)
    assert Child.objects.count() == 60
    assert Child.objects.values("id_hash").distinct().count() == 60


def test_a_larger_population_has_the_expected_mix(regions):
    generate(region(BEIBEI), 1000, seed=3, created_by=None, today=TODAY)
    through = Child.categories.through.objects
    left_behind = through.filter(categorytag_id="rural_left_behind").count()
    assert 450 <= left_behind <= 700
    key = list(Child.objects.filter(is_key=True).values_list("key_reasons", flat=True))
    assert 30 <= len(key) <= 150
    assert all(reasons for reasons in key)
    for child in Child.objects.filter(categories__code="orphan").prefetch_related("parents"):
        assert {p.status for p in child.parents.all()} == {"deceased"}
