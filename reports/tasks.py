"""The hourly escalation of overdue report steps (beat). Alerts are sent by the notifications
machinery (queued on commit by notify)."""

from __future__ import annotations

from celery import shared_task

from notifications.delivery import deliver_external
from reports.escalation import report_escalate_overdue


@shared_task(name="reports.tasks.escalate_overdue_reports")
def escalate_overdue_reports() -> dict[str, int]:
    """Hourly: alert about overdue expected steps (idempotent), then send what is pending."""
    created = report_escalate_overdue()
    result = deliver_external()
    return {"escalations": created, "messages_sent": result.notifications}
