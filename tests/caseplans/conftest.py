import datetime

import pytest

from caseplans import services
from caseplans.models import Domain, NeedLevel
from children.models import Child
from core import clock as app_clock
from org.models import Region
from providers.models import ProviderKind, ServiceKind, ServiceProvider
from tests.factories import BEIBEI, XIUSHAN, make_child, region

DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return app_clock.today()


def needs(**levels: str) -> dict:
    result = {code: {"level": NeedLevel.NONE, "note": ""} for code in Domain.values}
    for code, note in (levels or {"schooling": "常缺课"}).items():
        result[code] = {"level": NeedLevel.SOME, "note": note}
    return result


def goals(*texts: str):
    return [services.GoalInput(domain=Domain.SCHOOLING, text=t) for t in texts or ("按时上学",)]


def actions(*rows: dict):
    rows = rows or ({},)
    return [
        services.ActionInput(
            what=r.get("what", "联系班主任"),
            due_on=r.get("due_on", today() + 7 * DAY),
            goal=r.get("goal", 1),
            provider_id=r.get("provider_id"),
            person_id=r.get("person_id"),
        )
        for r in rows
    ]


def key_child(director, code=None, **kw) -> Child:
    child = make_child(director, code, **kw) if code else make_child(director, **kw)
    Child.objects.filter(pk=child.pk).update(is_key=True)
    child.refresh_from_db()
    return child


def draft(director, child, **kw):
    plan, _ = services.plan_save(
        by=director,
        child=child,
        needs=kw.pop("needs", needs()),
        goals=kw.pop("goals", goals()),
        actions=kw.pop("actions", actions()),
        **kw,
    )
    return plan


def approved(people, child=None, **kw):
    child = child or key_child(people["director"], name="王小红")
    plan = draft(people["director"], child, **kw)
    services.plan_submit(by=people["director"], plan=plan)
    plan.refresh_from_db()
    services.plan_decide(by=people["supervisor"], plan=plan, approve=True)
    plan.refresh_from_db()
    return plan


@pytest.fixture
def provider(regions):
    return ServiceProvider.objects.create(
        district=Region.objects.get(code=BEIBEI),
        name="北碚区社工站",
        kind=ProviderKind.SOCIAL_WORK,
        services=[ServiceKind.PSYCHOLOGICAL],
    )


@pytest.fixture
def other_provider(regions):
    return ServiceProvider.objects.create(
        district=region(XIUSHAN), name="秀山县医院", kind=ProviderKind.CLINIC
    )
