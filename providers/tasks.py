"""Scheduled work on referrals."""

from __future__ import annotations

from celery import shared_task

from providers.reminders import referrals_remind


@shared_task(name="providers.tasks.remind_referrals")
def remind_referrals() -> int:
    return referrals_remind()
