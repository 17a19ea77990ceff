"""Sending a report's alerts after its transaction commits."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.tasks.send_report_alerts")
def send_report_alerts() -> dict[str, int]:
    """Send the pending SMS (and email) copies now, through the notifications channels; a
    failure stays pending and the periodic retry sends it later."""
    from notifications.delivery import deliver_external

    result = deliver_external()
    return {"messages_sent": result.notifications, "failed": result.failed}


@shared_task(name="reports.tasks.escalate_overdue_reports")
def escalate_overdue_reports() -> dict[str, int]:
    """Hourly: alert about overdue expected steps (idempotent), then send what is pending."""
    from notifications.delivery import deliver_external
    from reports.services import escalate_overdue

    created = escalate_overdue()
    result = deliver_external()
    return {"escalations": created, "messages_sent": result.notifications}
