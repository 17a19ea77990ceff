"""Celery tasks: the daily sweep (beat, 08:00 Asia/Shanghai by default), the frequent retry
of pending deliveries, and the sending of the copies notify() queued on commit.

Each is safe to run again, whole or after being killed part way (README, "Faults"): the sweep
dedupes on the reminders' keys, deliveries are claimed with a lease. So a message whose
worker was lost is delivered again (reject_on_worker_lost; the broker's visibility timeout
when the whole worker died) rather than dropped."""

from __future__ import annotations

from celery import shared_task

from core import metrics


@shared_task(name="notifications.tasks.send_reminders", acks_late=True, reject_on_worker_lost=True)
def send_reminders() -> dict[str, int]:
    """Create today's reminders, then deliver them (in-app, email, SMS)."""
    from notifications.delivery import deliver_external, deliver_in_app
    from notifications.sweep import sweep

    with metrics.timer() as elapsed:
        swept = sweep()
    metrics.SWEEP_SECONDS.observe(elapsed[0])
    metrics.SWEEP_ROWS.inc(swept.created)
    in_app = deliver_in_app()
    external = deliver_external()
    return {
        "reminders_created": swept.created,
        "reminders_delivered": in_app.reminders,
        "notifications": in_app.notifications,
        "messages_sent": external.notifications,
        "failed": in_app.failed + external.failed,
    }


@shared_task(
    name="notifications.tasks.retry_deliveries", acks_late=True, reject_on_worker_lost=True
)
def retry_deliveries() -> dict[str, int]:
    """Deliver whatever is pending and due (retries after a backoff)."""
    from notifications.delivery import deliver_external, deliver_in_app

    in_app = deliver_in_app()
    external = deliver_external()
    return {
        "notifications": in_app.notifications,
        "messages_sent": external.notifications,
        "failed": in_app.failed + external.failed,
    }


@shared_task(name="notifications.tasks.send_deliveries", acks_late=True, reject_on_worker_lost=True)
def send_deliveries() -> dict[str, int]:
    """Send the pending email and SMS copies now (queued by notify() on commit); a failure
    stays pending and the periodic retry sends it later."""
    from notifications.delivery import deliver_external

    result = deliver_external()
    return {"messages_sent": result.notifications, "failed": result.failed}
