"""Scheduled work on department lists."""

from __future__ import annotations

from celery import shared_task

from matching.clocks import findings_raise_missing_parents
from matching.importing import list_import_queued, lists_stuck_fail
from matching.reminders import findings_remind, list_files_purge


@shared_task(name="matching.tasks.remind_findings")
def remind_findings() -> int:
    return findings_remind()


@shared_task(name="matching.tasks.purge_list_files")
def purge_list_files() -> int:
    return list_files_purge()


@shared_task(name="matching.tasks.raise_missing_parents")
def raise_missing_parents() -> int:
    return findings_raise_missing_parents()


@shared_task(name="matching.tasks.fail_stuck_imports")
def fail_stuck_imports() -> int:
    """Lists left importing by a worker that died (the "sweeps" queue)."""
    return lists_stuck_fail()


@shared_task(name="matching.tasks.import_list")
def import_list(pk: int, by_id: int) -> str:
    """Import a long list its confirmer queued (the "imports" queue)."""
    return list_import_queued(pk=pk, by_id=by_id).status
