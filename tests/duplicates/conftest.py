import datetime
import itertools
import uuid

import pytest

from children.models import Assistance, Attachment, Problem, Referral, WorkNote
from core import clock as app_clock
from reports import filing
from tests.factories import ZHIDA, make_child
from visits import services as visit_services

BIRTH = datetime.date(2015, 3, 8)


_guardians = itertools.count(1)


def no_id_child(by, village_code=ZHIDA, **overrides):
    """An archive without an ID number (the children duplicates are about), with a guardian
    and a father's phone of its own unless told."""
    n = next(_guardians)
    overrides.setdefault("id_number", "")
    overrides.setdefault("carer_name", f"监护人{n}")
    overrides.setdefault(
        "parents",
        {"father": {"name": "父亲", "status": "working_away", "work_province": "广东",
                    "work_city": "东莞", "phone": "", "id_number": "", "missing_since": None}},
    )  # fmt: skip
    return make_child(by, village_code, **overrides)


def add_records(user, child):
    """One record of every kind the merge moves."""
    today = app_clock.today()
    now = app_clock.now()
    visit_services.visit_record(
        by=user,
        child=child,
        values={"kind": "home_visit", "visit_date": today, "seen": "祖父"},
        today=today,
        client_uuid=uuid.uuid4(),
    )
    filing.report_file(
        by=user,
        data=filing.ReportInput(
            situations=["domestic_violence"],
            found_at=now - datetime.timedelta(hours=2),
            child=child,
            how_found="邻居告知",
            what_seen="手臂有淤青",
            police_station="静观派出所",
            police_reported_at=now - datetime.timedelta(hours=1),
            police_receipt="R-001",
        ),
        client_uuid=uuid.uuid4(),
    )
    Assistance.objects.create(
        child=child, created_by=user, kind="dibao", status="granted", started_on=today
    )
    Referral.objects.create(
        child=child, created_by=user, organisation="镇卫生院", reason="体检", referred_on=today
    )
    WorkNote.objects.create(child=child, created_by=user, noted_on=today, text="电话联系")
    Problem.objects.create(child=child, created_by=user, found_on=today, description="缺课")
    Attachment.objects.create(
        child=child,
        created_by=user,
        kind="photo",
        file=f"children/{child.pk}/x.jpg",
        original_name="x.jpg",
        content_type="image/jpeg",
        size=3,
    )


@pytest.fixture
def twins_ish(people):
    """Two archives of what is one child (no ID numbers, a one-character typo), and a child
    of another district with the same name and date of birth."""
    director = people["director"]
    a = no_id_child(director, name="张小明", birth_date=BIRTH)
    b = no_id_child(director, name="张晓明", birth_date=BIRTH, carer_phone="13900009999")
    return a, b
