"""The inbox, the unread badge, the API and the district reminder rule page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import clock as app_clock
from notifications.models import Notification, ReminderRule
from notifications.tasks import retry_deliveries, send_reminders

pytestmark = pytest.mark.django_db


def notify(user, count, **fields):
    Notification.objects.bulk_create(
        [
            Notification(recipient=user, kind="other", title=f"消息{i}", **fields)
            for i in range(count)
        ]
    )


def test_inbox_lists_own_notifications_unread_first(people, login):
    director = people["director"]
    notify(director, 2, read_at=app_clock.now())
    notify(director, 1)
    notify(people["neighbour"], 1, body="邻村")
    response = login(director).get(reverse("notifications:inbox"))
    assert response.status_code == 200
    titles = [n.read_at for n in response.context["page"].object_list]
    assert titles[0] is None and all(titles[1:])
    assert "邻村" not in response.content.decode()


def test_inbox_query_count_does_not_grow(people, login):
    client = login(people["director"])
    notify(people["director"], 3)
    client.get(reverse("notifications:inbox"))  # warm the session and scope caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:inbox"))
    notify(people["director"], 60)
    notify(people["director"], 20, read_at=app_clock.now())
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("notifications:inbox") + "?page=2")
    assert response.status_code == 200
    assert len(many) == len(few)


def test_unread_badge_and_mark_read(people, login):
    client = login(people["director"])
    notify(people["director"], 3)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-badge">3<' in page
    first = Notification.objects.filter(recipient=people["director"]).first()
    response = client.post(reverse("notifications:read", args=[first.pk]))
    assert response.status_code == 302
    assert 'data-testid="unread-badge">2<' in client.get(reverse("home")).content.decode()
    client.post(reverse("notifications:read_all"))
    assert 'data-testid="unread-badge"' not in client.get(reverse("home")).content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_nobody_marks_anothers_notification_read(people, login):
    notify(people["neighbour"], 1)
    other = Notification.objects.get()
    client = login(people["director"])
    assert client.post(reverse("notifications:read", args=[other.pk])).status_code == 404
    assert client.get(reverse("notifications:read_all")).status_code == 405
    other.refresh_from_db()
    assert other.read_at is None


def test_api_lists_own_and_marks_read(people, client):
    notify(people["director"], 2)
    notify(people["neighbour"], 1)
    client.force_login(people["director"])
    data = client.get("/api/v1/notifications/").json()
    rows = data["results"] if isinstance(data, dict) else data
    assert len(rows) == 2
    mine = rows[0]["id"]
    assert client.post(f"/api/v1/notifications/{mine}/read/").json()["read_at"]
    theirs = Notification.objects.get(recipient=people["neighbour"]).pk
    assert client.post(f"/api/v1/notifications/{theirs}/read/").status_code == 404
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}


def test_civil_affairs_sets_the_districts_reminder_rule(people, login):
    client = login(people["civil"])
    url = reverse("notifications:rules")
    assert client.get(url).status_code == 200
    refused = client.post(
        url,
        {
            "due_soon_days": 0,
            "supervisor_after_days": -1,
            "district_after_days": 30,
            "digest_threshold": 5,
            "inspection_reminder_days": 14,
        },
    )
    assert refused.status_code == 400
    assert refused.context["form"].errors.keys() == {"due_soon_days", "supervisor_after_days"}
    assert not ReminderRule.objects.exists()
    saved = client.post(
        url,
        {
            "due_soon_days": 5,
            "supervisor_after_days": 10,
            "district_after_days": 40,
            "digest_threshold": 8,
            "inspection_reminder_days": 21,
        },
    )
    assert saved.status_code == 302
    rule = ReminderRule.objects.get()
    assert (rule.district.code, rule.due_soon_days, rule.updated_by) == (
        "500109000000",
        5,
        people["civil"],
    )


@pytest.mark.parametrize("who", ["director", "supervisor", "sysadmin", "other_director"])
def test_only_civil_affairs_reach_the_rule_page(people, login, who):
    assert login(people[who]).get(reverse("notifications:rules")).status_code == 404


def test_beat_schedules_the_daily_sweep_at_eight():
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-send-reminders"]
    assert entry["task"] == send_reminders.name
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert settings.CELERY_BEAT_SCHEDULE["notifications-retry-deliveries"]["task"] == (
        retry_deliveries.name
    )
