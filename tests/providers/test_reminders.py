"""Overdue referrals are reminded: the referrer and the provider's staff the day after the
answer or outcome was due, then the town's supervisor and district civil affairs by the
district's rule, each level once."""

import datetime

import pytest

from core import clock as app_clock
from notifications.models import Notification
from providers import services
from providers.reminders import referrals_remind

pytestmark = pytest.mark.django_db


def told(user):
    return Notification.objects.filter(recipient=user, link__startswith="/providers/").count()


def test_an_unanswered_referral_is_reminded_then_escalated(people, referral, staff):
    today = app_clock.today()
    director, agency_staff = people["director"], staff["agency_staff"]
    before = told(agency_staff)
    assert referrals_remind(today) == 0  # not yet due
    day = referral.respond_by + datetime.timedelta(days=1)
    assert referrals_remind(day) == 1
    assert told(director) == 1 and told(agency_staff) == before + 1
    assert told(people["supervisor"]) == 0
    assert referrals_remind(day) == 0  # once per level
    assert referrals_remind(referral.respond_by + datetime.timedelta(days=7)) == 1
    assert told(people["supervisor"]) == 1 and told(people["civil"]) == 0
    assert referrals_remind(referral.respond_by + datetime.timedelta(days=30)) == 1
    assert told(people["civil"]) == 1
    assert told(people["other_civil"]) == 0 and told(staff["school_staff"]) == 0


def test_the_outcome_deadline_is_reminded_afresh_after_the_answer(people, referral, staff):
    referrals_remind(referral.respond_by + datetime.timedelta(days=1))
    accepted = services.referral_decide(by=staff["agency_staff"], referral=referral, accept=True)
    assert accepted.reminded == 0
    assert referrals_remind(accepted.respond_by + datetime.timedelta(days=2)) == 0
    assert referrals_remind(accepted.due_on + datetime.timedelta(days=1)) == 1


def test_closed_referrals_are_not_reminded(people, referral):
    services.referral_withdraw(by=people["director"], referral=referral, note="不再需要")
    assert referrals_remind(referral.due_on + datetime.timedelta(days=60)) == 0
