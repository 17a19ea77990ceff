"""System checks of the settings that policy fixes a floor for."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

# 等保2.0 三级: access and administrators' logs are kept at least 180 days.
MIN_LOG_RETENTION_DAYS = 180


@checks.register(checks.Tags.security, deploy=False)
def log_retention(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    days = getattr(settings, "LOG_RETENTION_DAYS", None)
    if not isinstance(days, int) or days < MIN_LOG_RETENTION_DAYS:
        return [
            checks.Error(
                f"LOG_RETENTION_DAYS={days!r}: the logs are kept at least "
                f"{MIN_LOG_RETENTION_DAYS} days (等保2.0 三级).",
                hint=f"Set LOG_RETENTION_DAYS to {MIN_LOG_RETENTION_DAYS} or more.",
                id="carecase.E101",
            )
        ]
    return []
