import datetime

import pytest
from django.core.exceptions import ValidationError

from core import scoping
from org import services
from org.models import Assignment, Region, Role
from tests.factories import BEIBEI, CHENGUANG, JINGGUAN, XINXINGLU, ZHIDA, make_user, region

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def civil(regions):
    return make_user(Role.CIVIL_AFFAIRS, BEIBEI, username="civil")


@pytest.fixture
def newcomer(civil):
    user, password = services.staff_create(
        by=civil,
        district=region(BEIBEI),
        username="newcomer",
        real_name="新人",
        phone="13912345678",
    )
    assert user.must_change_password and len(password) >= 12
    return user


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (Role.CHILD_DIRECTOR, JINGGUAN),  # director at a town
        (Role.SUPERVISOR, ZHIDA),  # supervisor at a village
        (Role.CIVIL_AFFAIRS, JINGGUAN),  # civil affairs at a town
        (Role.PROTECTION_CENTRE, ZHIDA),
    ],
)
def test_role_must_match_region_level(civil, newcomer, role, code):
    with pytest.raises(ValidationError) as err:
        services.assignment_create(
            by=civil, user=newcomer, region=region(code), role=role, start_date=TODAY
        )
    assert "region" in err.value.message_dict
    assert not Assignment.objects.filter(user=newcomer).exists()


def test_assignment_outside_the_district_is_refused(civil, newcomer):
    with pytest.raises(ValidationError) as err:
        services.assignment_create(
            by=civil,
            user=newcomer,
            region=region(CHENGUANG),
            role=Role.CHILD_DIRECTOR,
            start_date=TODAY,
        )
    assert "region" in err.value.message_dict


def test_only_civil_affairs_assign(regions, newcomer):
    supervisor = make_user(Role.SUPERVISOR, JINGGUAN)
    with pytest.raises(ValidationError):
        services.assignment_create(
            by=supervisor,
            user=newcomer,
            region=region(ZHIDA),
            role=Role.CHILD_DIRECTOR,
            start_date=TODAY,
        )


def test_admin_roles_are_not_granted_by_districts(civil, newcomer):
    with pytest.raises(ValidationError) as err:
        services.assignment_create(
            by=civil,
            user=newcomer,
            region=region(BEIBEI),
            role=Role.SYSTEM_ADMIN,
            start_date=TODAY,
        )
    assert "role" in err.value.message_dict


def test_a_second_overlapping_assignment_is_refused(civil, newcomer):
    kwargs = {"by": civil, "user": newcomer, "region": region(ZHIDA), "role": Role.CHILD_DIRECTOR}
    services.assignment_create(start_date=TODAY, **kwargs)
    with pytest.raises(ValidationError):
        services.assignment_create(start_date=TODAY + datetime.timedelta(days=3), **kwargs)
    assert Assignment.objects.filter(user=newcomer).count() == 1


def test_a_person_may_serve_two_villages(civil, newcomer):
    for code in (ZHIDA, XINXINGLU):
        services.assignment_create(
            by=civil,
            user=newcomer,
            region=region(code),
            role=Role.CHILD_DIRECTOR,
            start_date=TODAY,
        )
    assert scoping.get_scope(newcomer).prefixes == (XINXINGLU, ZHIDA)


def test_ending_keeps_history_and_stops_access(civil, newcomer):
    assignment = services.assignment_create(
        by=civil,
        user=newcomer,
        region=region(ZHIDA),
        role=Role.CHILD_DIRECTOR,
        start_date=datetime.date(2026, 1, 1),
    )
    assert Region.objects.visible_to(newcomer).filter(code=ZHIDA).exists()
    services.assignment_end(by=civil, assignment=assignment, reason="调任")
    scoping.forget_scope(newcomer)
    assert not Region.objects.visible_to(newcomer).exists()
    kept = Assignment.objects.get(pk=assignment.pk)
    assert kept.end_date is not None and kept.end_reason == "调任" and kept.ended_by == civil
    with pytest.raises(ValidationError):  # ending twice
        services.assignment_end(by=civil, assignment=kept, reason="again")


def test_ending_needs_a_reason_and_a_sane_date(civil, newcomer):
    assignment = services.assignment_create(
        by=civil,
        user=newcomer,
        region=region(ZHIDA),
        role=Role.CHILD_DIRECTOR,
        start_date=TODAY,
    )
    with pytest.raises(ValidationError) as err:
        services.assignment_end(by=civil, assignment=assignment, reason="  ")
    assert "end_reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.assignment_end(
            by=civil, assignment=assignment, reason="x", end_date=TODAY - datetime.timedelta(1)
        )
    assert "end_date" in err.value.message_dict
    assert Assignment.objects.get(pk=assignment.pk).end_date is None


def test_active_window(civil, newcomer):
    a = Assignment.objects.create(
        user=newcomer,
        region=region(ZHIDA),
        role=Role.CHILD_DIRECTOR,
        start_date=datetime.date(2026, 12, 1),
        end_date=datetime.date(2027, 1, 1),
    )
    assert not Assignment.objects.active(TODAY).filter(pk=a.pk).exists()  # not started
    assert Assignment.objects.active(datetime.date(2026, 12, 1)).filter(pk=a.pk).exists()
    assert not Assignment.objects.active(datetime.date(2027, 1, 1)).filter(pk=a.pk).exists()


def test_suspended_staff_lose_their_scope(civil, newcomer):
    Assignment.objects.create(
        user=newcomer, region=region(ZHIDA), role=Role.CHILD_DIRECTOR, start_date=TODAY
    )
    services.staff_update(by=civil, staff=newcomer, status="suspended")
    scoping.forget_scope(newcomer)
    assert scoping.get_scope(newcomer).prefixes == ()


def test_staff_outside_the_district_cannot_be_created(civil):
    with pytest.raises(ValidationError):
        services.staff_create(
            by=civil,
            district=region("500241000000"),
            username="x",
            real_name="x",
            phone="13900000000",
        )


def test_bad_phone_is_refused(civil):
    with pytest.raises(ValidationError) as err:
        services.staff_create(
            by=civil, district=region(BEIBEI), username="x", real_name="x", phone="12345"
        )
    assert "phone" in err.value.message_dict


def test_generated_passwords_satisfy_the_validators():
    from django.contrib.auth.password_validation import validate_password

    for _ in range(20):
        validate_password(services.generate_password())
