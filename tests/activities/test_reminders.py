"""Villages without a safety-education activity, told to the town's supervisor from the day
the district's rule sets in the last quarter, each village once a year."""

import datetime

import pytest

from activities.models import ActivityRule, SafetyReminder
from activities.reminders import safety_education_remind
from notifications.models import Notification
from tests.activities.conftest import record
from tests.factories import BEIBEI, XINGCHENG, ZHIDA, region

pytestmark = pytest.mark.django_db


def told(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", "body"))


@pytest.mark.frozen_at("2026-09-30")
def test_nobody_is_told_before_the_last_quarter(people, kids):
    assert safety_education_remind(datetime.date(2026, 9, 30)) == 0
    assert told(people["supervisor"]) == []


@pytest.mark.frozen_at("2026-10-01")
def test_the_supervisor_is_told_once_of_the_villages_without_one(people, kids):
    record(people["director"], kids["zhida"], held_on=datetime.date(2026, 9, 1))
    today = datetime.date(2026, 10, 1)
    count = safety_education_remind(today)
    assert count >= 1
    notes = told(people["supervisor"])
    assert len(notes) == 1
    title, body = notes[0]
    assert "今年尚未开展安全教育活动" in title and region(XINGCHENG).name in body
    assert region(ZHIDA).name not in body
    assert SafetyReminder.objects.filter(village=region(XINGCHENG), year=2026).exists()
    # The next day's run tells nobody again; the village's director is not told at all.
    assert safety_education_remind(today + datetime.timedelta(days=1)) == 0
    assert len(told(people["supervisor"])) == 1 and told(people["director"]) == []
    # Another district's supervisor is told of her own villages only.
    other = told(people["other_supervisor"])
    assert len(other) == 1 and region(XINGCHENG).name not in other[0][1]


@pytest.mark.frozen_at("2026-10-01")
def test_the_district_rule_decides_when(people, kids):
    ActivityRule.objects.create(district=region(BEIBEI), remind_month=11, remind_day=15)
    safety_education_remind(datetime.date(2026, 10, 1))
    assert told(people["supervisor"]) == [] and len(told(people["other_supervisor"])) == 1
    safety_education_remind(datetime.date(2026, 11, 15))
    assert len(told(people["supervisor"])) == 1


def test_the_rule_page_is_for_the_districts_civil_affairs(people, login):
    from django.urls import reverse

    url = reverse("activities:rule")
    assert login(people["supervisor"]).get(url).status_code == 404
    client = login(people["civil"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"remind_month": 12, "remind_day": 40})
    assert response.status_code == 400 and "remind_day" in response.context["form"].errors
    response = client.post(url, {"remind_month": 11, "remind_day": 10})
    assert response.status_code == 302
    rule = ActivityRule.objects.get(district=region(BEIBEI))
    assert (rule.remind_month, rule.remind_day, rule.updated_by) == (11, 10, people["civil"])
