"""The Celery application: Redis broker when REDIS_URL is set, kombu's filesystem broker
otherwise (settings decide; see carecase/settings.py)."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecase.settings")

app = Celery("carecase")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _heartbeat_at_start(sender: object, **kwargs: object) -> None:
    """Record the worker as soon as it is ready, not only at beat's first tick."""
    app.send_task("carecase.tasks.heartbeat")
