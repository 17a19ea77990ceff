from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Export files go to a throw-away storage root."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
