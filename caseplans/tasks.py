"""Scheduled work on case plans."""

from __future__ import annotations

from celery import shared_task

from caseplans.reminders import actions_remind, reviews_remind


@shared_task(name="caseplans.tasks.remind_actions")
def remind_actions() -> int:
    return actions_remind()


@shared_task(name="caseplans.tasks.remind_reviews")
def remind_reviews() -> int:
    return reviews_remind()
