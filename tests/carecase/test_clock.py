"""The suite's clock: frozen at the documented instant, the same in every thread of the test
process (the live server's included), and moved by `frozen_at`."""

from __future__ import annotations

import datetime
import email.utils
import threading
import urllib.request

import pytest

from core import clock
from tests import clock as suite_clock


def test_the_code_reads_the_suites_day():
    assert clock.today() == suite_clock.today()
    if suite_clock.SUITE_NOW is not None:
        # Ticking forward from the instant: never before it, not far after it.
        elapsed = clock.now() - suite_clock.SUITE_NOW
        assert datetime.timedelta(0) <= elapsed < datetime.timedelta(minutes=5)


def test_every_thread_sees_the_same_day():
    seen: list[datetime.date] = []
    thread = threading.Thread(target=lambda: seen.append(clock.today()))
    thread.start()
    thread.join()
    assert seen == [clock.today()]


@pytest.mark.frozen_at("2028-02-29")
def test_a_test_can_name_its_day(clock):
    assert clock.today() == datetime.date(2028, 2, 29)
    clock.shift(datetime.timedelta(days=1))
    assert clock.today() == datetime.date(2028, 3, 1)


@pytest.mark.frozen_at("2027-03-31")
def test_the_live_server_sees_the_frozen_clock(live_server):
    with urllib.request.urlopen(f"{live_server.url}/health/") as response:  # noqa: S310
        served = email.utils.parsedate_to_datetime(response.headers["Date"])
    assert served.astimezone(suite_clock.SHANGHAI).date() == datetime.date(2027, 3, 31)


def test_parse_names_instants():
    assert suite_clock.parse("") == suite_clock.DEFAULT_NOW
    assert suite_clock.parse("real") is None
    assert suite_clock.parse("2027-01-31") == datetime.datetime(
        2027, 1, 31, 10, tzinfo=suite_clock.SHANGHAI
    )
    assert suite_clock.add_months(datetime.date(2027, 1, 31), 1) == datetime.date(2027, 2, 28)
    assert suite_clock.quarter_end(datetime.date(2027, 2, 1)) == datetime.date(2027, 3, 31)
    assert suite_clock.years_before(datetime.date(2028, 2, 29), 2) == datetime.date(2026, 2, 28)
