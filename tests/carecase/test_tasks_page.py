"""The system administrator's page of background tasks (carecase.task_views): each scheduled
task with its queue and last runs, a failing one first with its exception type and place,
each queue's worker, and "run now" (audited). Nobody else reaches it."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from carecase.models import TaskRun, WorkerHeartbeat
from core import clock as app_clock
from notifications.models import Reminder
from org.models import AdminAction, AdminLogEntry
from tests.factories import make_child

pytestmark = pytest.mark.django_db
SWEEP = "notifications.tasks.send_reminders"


def test_the_system_administrator_sees_every_scheduled_task_and_queue(people, login):
    now = app_clock.now()
    TaskRun.objects.create(
        name=SWEEP,
        succeeded_at=now - datetime.timedelta(days=1),
        seconds=1.35,
        failed_at=now,
        error="OperationalError (notifications/sweep.py:301)",
    )
    WorkerHeartbeat.objects.create(name="alerts", last_seen=now)
    page = login(people["sysadmin"]).get(reverse("tasks"))
    assert page.status_code == 200
    html = page.content.decode()
    tasks = page.context["tasks"]
    assert tasks[0].name == SWEEP and tasks[0].failing  # a failing task heads the list
    assert {t.queue for t in tasks} == {"alerts", "sweeps"}
    assert "carecase.tasks.heartbeat" not in {t.name for t in tasks}
    assert "每日提醒扫描" in html and "OperationalError (notifications/sweep.py:301)" in html
    assert "重试" in html
    queues = {q: fresh for q, _beat, fresh in page.context["queues"]}
    assert queues == {q: q == "alerts" for q in settings.CELERY_QUEUE_NAMES}


@pytest.mark.parametrize(
    "who", ["secadmin", "auditadmin", "civil", "supervisor", "director", "nobody"]
)
def test_nobody_else_reaches_it(people, login, who):
    client = login(people[who])
    assert client.get(reverse("tasks")).status_code == 403
    response = client.post(reverse("task_run"), {"task": SWEEP})
    assert response.status_code == 403
    assert not AdminLogEntry.objects.exists()


def test_run_now_queues_the_task_on_its_queue_and_is_audited(people, login):
    child = make_child(people["director"])
    type(child).objects.filter(pk=child.pk).update(
        next_home_visit_due=app_clock.today() - datetime.timedelta(days=31)
    )
    client = login(people["sysadmin"])
    response = client.post(reverse("task_run"), {"task": SWEEP})
    assert response.status_code == 302
    # Tests run tasks in process: the sweep ran and created the child's reminders.
    assert Reminder.objects.filter(child=child).count() == 3
    entry = AdminLogEntry.objects.get()
    assert (entry.action, entry.target_id, entry.by) == (
        AdminAction.RUN_TASK,
        SWEEP,
        people["sysadmin"],
    )


@pytest.mark.parametrize("task", ["carecase.tasks.heartbeat", "os.system", ""])
def test_only_a_scheduled_task_can_be_run(people, login, task):
    response = login(people["sysadmin"]).post(reverse("task_run"), {"task": task})
    assert response.status_code == 404
    assert not AdminLogEntry.objects.exists()
