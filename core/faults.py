"""Named pause points for the fault tests (tests/faults/): a place in a task or a request
where the process stops so that a test kills it there (or ends its database connection), and
the fault lands in the same window on every run.

Inert in production: only the test settings read CARECASE_FAULT_PAUSE_AT (carecase.test_settings
sets FAULT_PAUSE_AT from it; the real settings have no such setting), and a point costs one
attribute read and a comparison. The first time a process reaches the named point it writes
its pid to `<FAULT_MARKER_DIR>/<name>.pid` and waits until the test deletes that file (at
most PAUSE_SECONDS), then carries on; it does not pause there again."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings

PAUSE_SECONDS = 120.0
_passed: set[str] = set()


def pause_point(name: str) -> None:
    """Pause here if the test settings name this point; otherwise do nothing."""
    if getattr(settings, "FAULT_PAUSE_AT", "") != name or name in _passed:
        return
    _passed.add(name)
    marker = Path(settings.FAULT_MARKER_DIR) / f"{name}.pid"
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + PAUSE_SECONDS
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
