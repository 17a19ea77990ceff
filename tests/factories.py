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
# Assignments start on START; workers pass their training two months before the test's day
# (`trained_on`), so their annual training (R7) is current on whatever day the test runs.
START = datetime.date(2026, 1, 1)
TRAINED_DAYS_AGO = 60


def trained_on() -> datetime.date:
    """The day the factories' workers passed their induction: TRAINED_DAYS_AGO before today."""
    from core import clock

    return clock.today() - datetime.timedelta(days=TRAINED_DAYS_AGO)


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


GATED_ROLES = (Role.CHILD_DIRECTOR, Role.SUPERVISOR)


def make_user(
    role: str | None = None,
    code: str | None = None,
    *,
    certified: bool | None = None,
    **kwargs: object,
) -> User:
    """A user, assigned `role` in region `code` from START when both are given.

    Directors and supervisors are certified (R6: they passed an induction assessment on TRAINED)
    unless `certified=False`: the certification gate is tested with uncertified ones."""
    if code is not None and "managing_district" not in kwargs:
        kwargs["managing_district"] = region(code[:6] + "000000")
    user = UserFactory(**kwargs)
    if role is not None and code is not None:
        Assignment.objects.create(user=user, region=region(code), role=role, start_date=START)
        if certified is None:
            certified = role in GATED_ROLES
        if certified:
            certify(user, code[:6] + "000000")
    return user


def induction_session(district_code: str, on: datetime.date | None = None):
    """A district induction session on `on` (`trained_on()` by default; course and organiser
    created once per district)."""
    from training.models import Course, OrganiserLevel, Session, Topic

    on = on or trained_on()
    district = region(district_code)
    organiser = User.objects.filter(username=f"trainer-{district_code[:6]}").first()
    if organiser is None:
        organiser = UserFactory(username=f"trainer-{district_code[:6]}")
    course, _ = Course.objects.get_or_create(
        title="新任儿童主任和督导员岗前培训",
        district=district,
        defaults={"created_by": organiser, "topics": list(Topic.values)},
    )
    session, _ = Session.objects.get_or_create(
        course=course,
        region=district,
        date=on,
        defaults={
            "organiser_level": OrganiserLevel.DISTRICT,
            "place": "区民政局会议室",
            "trainer": "培训讲师",
            "organised_by": organiser,
        },
    )
    return session


def certify(
    user: User, district_code: str | None = None, on: datetime.date | None = None, score=90
):
    """Give `user` a passing result (and attendance) in a district induction session on `on`
    (`trained_on()` by default), and recompute their stored certification."""
    from training.models import Attendance, Result
    from training.services import certification_recompute

    on = on or trained_on()
    if district_code is None:
        district_code = user.managing_district.code  # type: ignore[union-attr]
    session = induction_session(district_code, on)
    session.invitees.add(user)
    Attendance.objects.update_or_create(
        session=session, user=user, defaults={"recorded_by": session.organised_by}
    )
    Result.objects.update_or_create(
        session=session,
        user=user,
        defaults={
            "score": score,
            "passed": score >= 60,
            "assessor": "考核员",
            "assessed_on": on,
            "recorded_by": session.organised_by,
        },
    )
    return certification_recompute(user=user, today=on)


_id_sequence = iter(range(1, 10**6))


def make_id(
    birth: datetime.date = datetime.date(2015, 3, 8), gender: str = "M", area: str = "500109"
) -> str:
    """A valid, unique resident ID number for `birth` and `gender`."""
    from children.idnumber import check_character

    while True:
        seq = next(_id_sequence) % 1000
        if (seq % 2 == 1) == (gender == "M"):
            break
    first17 = f"{area}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def child_input(village_code: str = ZHIDA, **overrides: object):
    """A complete, valid registration: a rural left-behind boy whose parents both work away."""
    from children.registration import ChildInput

    birth = overrides.pop("birth_date", datetime.date(2015, 3, 8))
    gender = overrides.pop("gender", "M")
    id_number = overrides.pop("id_number", None)
    if id_number is None:
        id_number = make_id(birth, gender)  # type: ignore[arg-type]
    fields = {
        "name": "张小明",
        "gender": gender,
        "ethnicity": "01",
        "birth_date": birth,
        "hukou_registered": True,
        "hukou_address": "重庆市北碚区静观镇",
        "address": "重庆市北碚区静观镇志达社区3组",
        "guardian_type": "grandparents",
        "carer_name": "张大爷",
        "carer_relation": "祖父",
        "carer_phone": "13900001111",
        "carer_address": "志达社区3组",
        "carer_capacity": "capable",
        "entrustment_signed_on": datetime.date(2026, 2, 1),
        "guardianship_quality": "good",
        "schooling": "primary",
        "school_name": "静观镇中心小学",
        "grade": "五年级",
        "boarding": False,
        "health": "healthy",
        "disability_type": "",
        "disability_grade": "",
        "illness": "",
        "psychological_concern": False,
        "psychological_note": "",
    }
    parents = {
        "father": {"name": "张建国", "status": "working_away", "work_province": "广东",
                   "work_city": "东莞", "phone": "13800002222", "id_number": "",
                   "missing_since": None},
        "mother": {"name": "李秀英", "status": "working_away", "work_province": "浙江",
                   "work_city": "宁波", "phone": "", "id_number": "", "missing_since": None},
    }  # fmt: skip
    categories = overrides.pop("categories", ["rural_left_behind"])
    parents.update(overrides.pop("parents", {}))  # type: ignore[arg-type]
    carer_id_number = overrides.pop("carer_id_number", "")
    fields.update(overrides)
    return ChildInput(
        village=region(village_code),
        fields=fields,
        id_number=id_number,  # type: ignore[arg-type]
        carer_id_number=carer_id_number,  # type: ignore[arg-type]
        categories=list(categories),  # type: ignore[call-overload]
        parents=parents,
    )


def make_child(by: User, village_code: str = ZHIDA, **overrides: object):
    from children.registration import child_save

    return child_save(by=by, data=child_input(village_code, **overrides)).child


__all__ = ["Role", "certify", "child_input", "make_child", "make_id", "make_user"]
