"""Scheduled work on care activities."""

from __future__ import annotations

from celery import shared_task

from activities.reminders import safety_education_remind


@shared_task(name="activities.tasks.remind_safety_education")
def remind_safety_education() -> int:
    return safety_education_remind()
