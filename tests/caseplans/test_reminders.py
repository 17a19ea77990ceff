"""Approved plans' actions reminded to their owner, then escalated like findings; each
action told once per level; a draft's actions never."""

import pytest

from caseplans.models import CasePlan, PlanAction
from caseplans.reminders import actions_remind, reviews_remind
from notifications.models import Notification
from tests.caseplans.conftest import DAY, actions, approved, draft, key_child, today

pytestmark = pytest.mark.django_db


def test_owner_then_supervisor_then_district(people):
    plan = approved(people, actions=actions({}, {"person_id": people["supervisor"].pk}))
    draft(people["director"], key_child(people["director"], name="草稿"))
    PlanAction.objects.filter(plan=plan).update(due_on=today() + 2 * DAY)
    assert actions_remind(today()) == 2
    assert Notification.objects.filter(recipient=people["director"]).count() == 1
    assert Notification.objects.filter(recipient=people["supervisor"]).count() == 1
    assert actions_remind(today()) == 0  # told once
    assert not Notification.objects.filter(recipient=people["neighbour"]).exists()
    assert actions_remind(today() + 10 * DAY) == 2  # 8 days overdue: the town's supervisor
    assert Notification.objects.filter(recipient=people["supervisor"]).count() == 2
    assert not Notification.objects.filter(recipient=people["civil"]).exists()
    assert actions_remind(today() + 33 * DAY) == 2  # 31 days overdue: the district
    assert Notification.objects.filter(recipient=people["civil"]).count() == 1
    assert not Notification.objects.filter(recipient=people["other_civil"]).exists()


def test_done_actions_are_not_reminded(people):
    plan = approved(people)
    PlanAction.objects.filter(plan=plan).update(done=True, due_on=today())
    assert actions_remind(today()) == 0


def test_the_review_is_reminded_to_the_director_once_per_date(people):
    plan = approved(people)
    assert reviews_remind(today()) == 0  # three months away
    CasePlan.objects.filter(pk=plan.pk).update(review_on=today() + 3 * DAY)
    assert reviews_remind(today()) == 1
    assert reviews_remind(today()) == 0
    told = Notification.objects.filter(recipient=people["director"])
    assert told.count() == 1 and "1" in told.get().title
    assert not Notification.objects.filter(recipient=people["neighbour"]).exists()
    CasePlan.objects.filter(pk=plan.pk).update(review_on=today() + 5 * DAY)  # a new date
    assert reviews_remind(today()) == 1
