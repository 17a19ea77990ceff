import pytest

from core.regions import Level
from org.models import Region, Role
from org.selectors import coverage_gaps
from tests.factories import BEIBEI, JINGGUAN, RONGXI, XINGCHENG, XIUSHAN, ZHIDA, make_user


@pytest.mark.django_db
def test_gaps_are_listed_for_the_level_above(regions):
    supervisor = make_user(Role.SUPERVISOR, JINGGUAN)
    civil = make_user(Role.CIVIL_AFFAIRS, BEIBEI)
    make_user(Role.CHILD_DIRECTOR, ZHIDA)
    gone = make_user(Role.CHILD_DIRECTOR, XINGCHENG, is_active=False)  # inactive: no cover
    assert not gone.is_active

    town_villages = Region.objects.filter(parent__code=JINGGUAN).count()
    gaps = coverage_gaps(supervisor)
    assert len(gaps.villages_without_director) == town_villages - 1
    assert all(v.code.startswith("500109110") for v in gaps.villages_without_director)
    assert gaps.towns_without_supervisor == []  # the supervisor covers their own town

    district = coverage_gaps(civil)
    beibei_towns = Region.objects.filter(level=Level.TOWN, code__startswith="500109").count()
    beibei_villages = Region.objects.filter(level=Level.VILLAGE, code__startswith="500109").count()
    assert len(district.towns_without_supervisor) == beibei_towns - 1
    assert len(district.villages_without_director) == beibei_villages - 1
    assert all(r.code.startswith("500109") for r in district.villages_without_director)


@pytest.mark.django_db
def test_no_gaps_leak_across_districts(regions):
    outsider = make_user(Role.SUPERVISOR, RONGXI)
    make_user(Role.CIVIL_AFFAIRS, XIUSHAN)
    gaps = coverage_gaps(outsider)
    assert all(v.code.startswith("500241104") for v in gaps.villages_without_director)
    assert coverage_gaps(make_user()).gaps == 0  # nobody: nothing visible
