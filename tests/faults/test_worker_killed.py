"""A worker killed with SIGKILL in the middle of a task loses nothing and doubles nothing
(issue 19, "Faults"). Each test stops a real worker process at a named point of the task
(core/faults.py), kills it there, and starts a new worker: the broker hands the
unacknowledged message to it once the visibility timeout has passed, and the task, run again
from the start, finishes the work (the reminder sweep, a delivery batch) exactly once. An
export job cannot be resumed: it ends failed, with the reason on its page."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.urls import reverse

from children.models import Child
from core import clock as app_clock
from exports import services
from exports.models import ExportJob, ExportStatus
from notifications.models import Delivery, Notification, Reminder, SendStatus
from notifications.services import notify
from tests.factories import JINGGUAN, make_child
from tests.faults import recording
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.celery_redis, pytest.mark.usefixtures("postgres")]


def sms_copies() -> Counter[tuple[str, str]]:
    """What the SMS copies in the database say was sent: (phone, text) of each sent row."""
    return Counter(
        (d.address, f"{d.notification.title} {d.notification.body}".strip())
        for d in Delivery.objects.filter(channel="sms", status=SendStatus.SENT).select_related(
            "notification"
        )
    )


@pytest.mark.parametrize("point", ["sweep.inserted", "reminders.claimed"])
def test_a_reminder_sweep_killed_part_way_is_finished_once_by_the_next_worker(
    people, villages_inspected, faults, broker, point
):
    from notifications.tasks import send_reminders

    overdue = app_clock.today() - datetime.timedelta(days=8)
    children = [make_child(people["director"], name=f"儿童{n}") for n in range(3)]
    Child.objects.filter(pk__in=[c.pk for c in children]).update(next_contact_due=overdue)

    first = faults.worker("first", "sweeps", pause_at=point)
    send_reminders.apply_async()
    faults.paused(point)
    faults.kill(first)
    if point == "reminders.claimed":
        # The sweep's rows were committed and claimed by the dead worker; nothing written.
        assert Reminder.objects.filter(status=SendStatus.CLAIMED).count() == 6
        assert not Notification.objects.exists()

    faults.worker("second", "sweeps")
    # Nobody sends the task again: the broker redelivers the dead worker's message.
    assert wait_for(lambda: Reminder.objects.filter(status=SendStatus.SENT).count() == 6, 60), (
        faults.logs()
    )
    assert wait_for(lambda: len(recording.sent(faults.sms_file)) >= 6, 20), faults.logs()

    # Each child's reminder to the director and to the supervisor, once.
    keys = Reminder.objects.values_list("child_id", "recipient__username", "kind")
    assert sorted(keys) == sorted(
        (c.pk, who, "contact_overdue") for c in children for who in ("director", "supervisor")
    )
    assert Notification.objects.count() == 6
    assert set(Reminder.objects.values_list("notification_id", flat=True)) == set(
        Notification.objects.values_list("pk", flat=True)
    )
    # Each copy sent once, and the gateway saw each once.
    assert not Delivery.objects.exclude(status=SendStatus.SENT).exists()
    sent = Counter(recording.sent(faults.sms_file))
    assert sent == sms_copies()
    assert set(sent.values()) == {1}
    assert Counter(faults.emails()) == Counter(
        Delivery.objects.filter(channel="email").values_list("address", flat=True)
    )


def test_a_delivery_batch_killed_after_its_first_send_sends_the_rest_once(people, faults, broker):
    recipients = [people[who] for who in ("director", "supervisor", "civil", "centre")]
    first = faults.worker("first", "alerts", pause_at="deliveries.sent")
    notify(recipients=recipients, kind="other", title="转介已受理", body="请查看")
    assert Delivery.objects.filter(channel="sms").count() == 4
    faults.paused("deliveries.sent")
    faults.kill(first)
    # One copy went out and is marked sent; the rest of the batch is claimed by the dead.
    assert len(recording.sent(faults.sms_file)) + len(faults.emails()) == 1
    assert Delivery.objects.filter(status=SendStatus.SENT).count() == 1
    assert Delivery.objects.filter(status=SendStatus.CLAIMED).count() == 3

    faults.worker("second", "alerts")
    assert wait_for(lambda: not Delivery.objects.exclude(status=SendStatus.SENT).exists(), 60), (
        faults.logs()
    )
    sent = recording.sent(faults.sms_file)
    assert sorted(phone for phone, _text in sent) == sorted(u.phone for u in recipients)
    assert sorted(faults.emails()) == sorted(u.email for u in recipients if u.email)
    assert {text for _phone, text in sent} == {"转介已受理 请查看"}


def test_an_export_whose_worker_was_killed_fails_with_the_reason_on_its_page(
    people, faults, broker, client, settings, tmp_path
):
    from exports.tasks import requeue_stalled_exports

    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    make_child(people["director"])
    first = faults.worker("first", "exports", pause_at="export.running", MEDIA_ROOT=str(media))
    job = services.export_request(
        user=people["supervisor"],
        kind="statistics",
        area_code=JINGGUAN,
        params={"date": app_clock.today()},
        today=app_clock.today(),
    )
    faults.paused("export.running")
    faults.kill(first)
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING

    # The next worker gets the message again and leaves the job alone (it was claimed); the
    # periodic check finds it running past the timeout and fails it with the reason.
    faults.worker("second", "exports,sweeps", EXPORT_RUNNING_TIMEOUT_SECONDS="1")
    assert wait_for(lambda: "skipped" in faults.logs(), 30), faults.logs()
    requeue_stalled_exports.apply_async()
    assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == ExportStatus.FAILED, 30), (
        faults.logs()
    )
    job.refresh_from_db()
    assert job.message == "导出在生成过程中中断（服务器的后台任务进程停止了），请重新申请导出。"
    assert not job.file
    client.force_login(people["supervisor"])
    page = client.get(reverse("exports:detail", args=[job.pk])).content.decode()
    assert job.message in page
