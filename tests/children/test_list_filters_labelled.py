"""Issue 15, items 12 and 15: the filters of /children/ carry visible labels, and the list's
dates read like every other date of the site."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core import clock as app_clock
from tests.factories import make_child

pytestmark = pytest.mark.django_db


def test_every_filter_has_a_visible_label(people, login):
    html = login(people["director"]).get(reverse("children:list")).content.decode()
    filters = html.split('data-testid="child-filters"', 1)[1].split("</form>", 1)[0]
    labels = dict(
        re.findall(r'<label class="form-label[^"]*" for="id_(\w+)">([^<]+)</label>', filters)
    )
    assert labels == {
        "q": "搜索",
        "region": "乡镇或村（社区）",
        "category": "类别",
        "status": "状态",
        "key": "重点儿童",
        "overdue": "已逾期",
        "visited": "走访",
    }
    selects = re.findall(r'<select name="(\w+)"[^>]*id="id_(\w+)"', filters)
    assert {name for name, _id in selects} <= set(labels)


def test_the_list_writes_dates_as_the_site_does(people, login):
    make_child(people["director"])
    html = login(people["director"]).get(reverse("children:list")).content.decode()
    today = app_clock.today()
    assert f"{today.year}年{today.month}月{today.day}日" in html
    assert today.isoformat() not in html
