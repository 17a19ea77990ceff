"""Queueing a task once the caller's transaction commits, when what it would do is also kept
in the database (an outbox: pending deliveries, a queued export job).

If the broker does not answer (Redis stopped), the commit has already happened: the
request must not fail for it. The failure is logged and the row stays where the periodic
task that owns it finds it (notifications.tasks.retry_deliveries, exports.tasks.
requeue_stalled_exports). README, "Faults"."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def delay_on_commit(task: Any, *args: Any) -> None:
    """`task.delay(*args)` after the current transaction commits; a broker that does not
    answer is logged, not raised."""

    def send() -> None:
        try:
            task.delay(*args)
        except (OperationalError, ConnectionError, OSError) as exc:
            logger.warning(
                "The broker did not take %s (%s); its periodic task will pick the work up",
                task.name,
                type(exc).__name__,
            )

    transaction.on_commit(send)
