"""The one place code reads the time.

Pages, API views, tasks and commands take "today" and "now" from here and hand them to the
services as parameters (services never read the clock themselves unless a caller leaves the
parameter out). Tests control these through time-machine (tests/conftest.py), which moves the
clock under every thread of the test process, the live server's and an in-process worker's
included.
"""

from __future__ import annotations

import datetime

from django.utils import timezone


def now() -> datetime.datetime:
    """The current instant, timezone-aware (UTC inside, shown in Asia/Shanghai)."""
    return timezone.now()


def today() -> datetime.date:
    """Today's date in the project's time zone (Asia/Shanghai)."""
    return timezone.localdate(now())
