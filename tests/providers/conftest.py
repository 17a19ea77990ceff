import datetime

import pytest

from core import clock as app_clock
from core.roles import Role
from providers import services
from providers.models import ProviderStaff, ServiceProvider
from tests.factories import BEIBEI, CHENGUANG, JINGGUAN, XINGCHENG, XIUSHAN, make_child, make_user
from tests.factories import region as region_of


@pytest.fixture
def registry(people):
    """Providers of 北碚区 (a social-work agency for the whole district with a staff account, a
    clinic serving only 静观镇 without accounts) and of 秀山县 (a school with its own staff)."""
    agency = services.provider_save(
        by=people["civil"],
        district=region_of(BEIBEI),
        values={"name": "北碚区阳光社工站", "kind": "social_work",
                "services": ["psychological", "family_education"],
                "contact_name": "刘社工", "contact_phone": "13912345678"},
    )  # fmt: skip
    clinic = services.provider_save(
        by=people["civil"],
        district=region_of(BEIBEI),
        values={"name": "静观镇卫生院", "kind": "clinic", "services": ["medical"]},
        areas=[region_of(JINGGUAN)],
    )
    school = services.provider_save(
        by=people["other_civil"],
        district=region_of(XIUSHAN),
        values={"name": "溶溪镇中心小学", "kind": "school", "services": ["education"]},
    )
    return {"agency": agency, "clinic": clinic, "school": school}


@pytest.fixture
def staff(people, registry):
    """Provider staff: of the agency (北碚区), a second account of the agency, and of the
    秀山 school; plus a person with the role in 北碚区 linked to no provider."""
    made = {
        "agency_staff": make_user(Role.SERVICE_PROVIDER, BEIBEI, username="agency_staff"),
        "agency_staff2": make_user(Role.SERVICE_PROVIDER, BEIBEI, username="agency_staff2"),
        "school_staff": make_user(Role.SERVICE_PROVIDER, XIUSHAN, username="school_staff"),
        "unlinked_staff": make_user(Role.SERVICE_PROVIDER, BEIBEI, username="unlinked_staff"),
    }
    services.provider_staff_add(
        by=people["civil"], provider=registry["agency"], user=made["agency_staff"]
    )
    services.provider_staff_add(
        by=people["civil"], provider=registry["agency"], user=made["agency_staff2"]
    )
    services.provider_staff_add(
        by=people["other_civil"], provider=registry["school"], user=made["school_staff"]
    )
    assert ProviderStaff.objects.count() == 3
    return made


@pytest.fixture
def kids(people):
    """A child of 志达社区, one of 星城 (same town) and one of 秀山县's 辰光."""
    return {
        "zhida": make_child(people["director"], name="王小红"),
        "xingcheng": make_child(people["neighbour"], XINGCHENG, name="李小明"),
        "chenguang": make_child(people["other_director"], CHENGUANG, name="陈小花"),
    }


def refer(by, child, provider, **kw):
    today = app_clock.today()
    values = {
        "service": provider.services[0],
        "reason": "父母外出务工，情绪低落，需要心理疏导",
        "consent": "guardian_and_child",
        "consent_on": today,
    }
    values.update(kw)
    referral, created = services.referral_create(by=by, child=child, provider=provider, **values)
    assert created
    return referral


@pytest.fixture
def referral(people, registry, staff, kids):
    """The director's referral of 王小红 to the agency, waiting for its answer."""
    return refer(people["director"], kids["zhida"], registry["agency"])


D = datetime.date
__all__ = ["D", "ServiceProvider", "refer"]
