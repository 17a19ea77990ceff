"""Test data in one place: a small real region tree and people in every role."""

from __future__ import annotations

import datetime
from pathlib import Path

import factory

from org.importing import import_regions_file
from org.models import Assignment, Region, Role, StaffStatus, User

DEMO_CSV = (
    Path(__file__).resolve().parents[1] / "org" / "data" / "regions-chongqing-beibei-xiushan.csv"
)
PASSWORD = "Test-pass-2026"
START = datetime.date(2026, 1, 1)

# Codes from the real demo tree.
BEIBEI = "500109000000"
JINGGUAN = "500109110000"  # a town of 北碚区
ZHIDA = "500109110004"  # a village of 静观镇
XINGCHENG = "500109110005"  # another village of 静观镇
TIANSHENG = "500109001000"  # another town of 北碚区
XINXINGLU = "500109001028"  # a village of 天生街道
XIUSHAN = "500241000000"  # another district
RONGXI = "500241104000"  # a town of 秀山县
CHENGUANG = "500241104001"  # a village of 溶溪镇


def load_regions() -> None:
    result = import_regions_file(DEMO_CSV)
    assert result.ok, result.errors


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试人员{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    status = StaffStatus.ACTIVE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_user(role: str | None = None, code: str | None = None, **kwargs: object) -> User:
    """A user, assigned `role` in region `code` from START when both are given."""
    if code is not None and "managing_district" not in kwargs:
        kwargs["managing_district"] = region(code[:6] + "000000")
    user = UserFactory(**kwargs)
    if role is not None and code is not None:
        Assignment.objects.create(user=user, region=region(code), role=role, start_date=START)
    return user


__all__ = ["Role", "make_user"]
