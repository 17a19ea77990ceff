"""Issue 15, item 15: inspections and compliance are headed 2026年第4季度, not 2026Q4."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from core import clock as app_clock
from core.calendar import quarter_label, quarter_of

pytestmark = pytest.mark.django_db


def test_the_quarter_reads_in_chinese(people, login):
    today = app_clock.today()
    expected = f"{today.year}年第{(today.month - 1) // 3 + 1}季度"
    with translation.override("zh-hans"):
        assert quarter_label(today) == expected
    client = login(people["supervisor"])
    for page in ("visits:inspections", "visits:compliance"):
        html = client.get(reverse(page)).content.decode()
        heading = html.split("<h1", 1)[1].split("</h1>", 1)[0]
        assert expected in heading and quarter_of(today) not in heading, page
    heading = client.get(reverse("visits:compliance")).content.decode().split("<h1", 1)[1]
    assert f"{today.year}年{today.month}月" in heading.split("</h1>", 1)[0]
