"""Export jobs in Celery: build one workbook; daily, purge expired files."""

from __future__ import annotations

from celery import shared_task

from core import clock, metrics
from exports.jobs import fail_stalled, purge_expired, run_export


@shared_task(name="exports.tasks.run_export_job", acks_late=True, reject_on_worker_lost=True)
def run_export_job(job_id: str) -> str:
    """Build the file of a queued job; a second delivery of the same job does nothing."""
    with metrics.timer() as elapsed:
        job = run_export(job_id)
    if job is None:
        return "skipped"
    metrics.EXPORT_SECONDS.labels(kind=job.kind, outcome=job.status).observe(elapsed[0])
    return job.status


@shared_task(name="exports.tasks.purge_expired_exports")
def purge_expired_exports() -> int:
    """Daily: delete export files older than their 7 days and mark the jobs expired."""
    return purge_expired(clock.now())


@shared_task(name="exports.tasks.requeue_stalled_exports")
def requeue_stalled_exports() -> dict[str, int]:
    """Every EXPORT_STALL_CHECK_SECONDS: fail the jobs that lost their worker, queue again the
    ones whose message was lost or never taken (README, "Faults")."""
    requeued = fail_stalled(clock.now())
    for job_id in requeued:
        run_export_job.delay(job_id)
    return {"requeued": len(requeued)}
