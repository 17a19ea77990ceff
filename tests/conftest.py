from __future__ import annotations

import datetime

import pytest
import time_machine

from tests import clock as suite_clock

# Freeze the suite's clock before any test module is imported (see tests/clock.py), so that
# module-level constants computed from the date see the frozen day.
_SUITE_TRAVEL = (
    time_machine.travel(suite_clock.SUITE_NOW, tick=True) if suite_clock.SUITE_NOW else None
)
if _SUITE_TRAVEL is not None:
    _SUITE_TRAVEL.start()

from tests.factories import (  # noqa: E402 - after the clock is frozen
    BEIBEI,
    CHENGUANG,
    JINGGUAN,
    RONGXI,
    XINGCHENG,
    XIUSHAN,
    ZHIDA,
    Role,
    load_regions,
    make_user,
)


def pytest_report_header(config):
    if suite_clock.SUITE_NOW is None:
        return "clock: real (CARECASE_TEST_NOW=real)"
    return f"clock: frozen at {suite_clock.SUITE_NOW.isoformat()} (CARECASE_TEST_NOW)"


def pytest_runtest_makereport(item, call):
    # A failure in a calendar run names the date it failed on.
    if call.when == "call" and call.excinfo is not None and suite_clock.SUITE_NOW is not None:
        item.add_report_section("call", "clock", f"frozen at {suite_clock.SUITE_NOW.isoformat()}")


class Clock:
    """The test's handle on time: what day it is, and moving it (always ticking forward)."""

    def __init__(self, traveller: time_machine.Traveller | None) -> None:
        self._traveller = traveller
        self._travel: time_machine.travel | None = None

    def today(self) -> datetime.date:
        from core import clock

        return clock.today()

    def now(self) -> datetime.datetime:
        from core import clock

        return clock.now()

    def move_to(self, when: str | datetime.date | datetime.datetime) -> None:
        destination = suite_clock.instant(when)
        if self._traveller is None:
            self._travel = time_machine.travel(destination, tick=True)
            self._traveller = self._travel.start()
        else:
            self._traveller.move_to(destination, tick=True)

    def shift(self, delta: datetime.timedelta) -> None:
        if self._traveller is None:
            self.move_to(self.now())
        assert self._traveller is not None
        self._traveller.shift(delta)

    def stop(self) -> None:
        if self._travel is not None:
            self._travel.stop()


@pytest.fixture(autouse=True)
def clock(request):
    """Every test starts at the same frozen instant: the suite's (tests/clock.py), the one its
    `frozen_at` marker names, or the machine's real time with `real_clock`."""
    frozen_at = request.node.get_closest_marker("frozen_at")
    if request.node.get_closest_marker("real_clock"):
        destination = time_machine.escape_hatch.datetime.datetime.now(suite_clock.SHANGHAI)
    elif frozen_at is not None:
        destination = suite_clock.instant(frozen_at.args[0])
    else:
        destination = suite_clock.SUITE_NOW
    if destination is None:
        handle = Clock(None)
        yield handle
        handle.stop()
        return
    with time_machine.travel(destination, tick=True) as traveller:
        handle = Clock(traveller)
        yield handle


@pytest.fixture(autouse=True)
def _replica_measured_anew():
    """The read replica's lag is measured anew in each test (core/replica.py keeps the last
    measurement per process): a test whose database set leaves the replica out finds it
    "down" and reads the primary, whatever an earlier test measured."""
    from core import replica

    replica.forget()
    yield
    replica.forget()


@pytest.fixture(autouse=True)
def _site_language():
    """Every test starts in the site's language (zh-Hans), whatever an earlier test in random
    order left active: a request through the test client activates the language it negotiated
    and leaves it active in the thread, so a message a test builds outside a request would
    otherwise come out in that language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that flush the database (transaction=True, the live server) run after the others,
    as pytest-django orders them, also when pytest-randomly has shuffled the order (a stable
    sort keeps the random order within each group): a flush empties the rows the migrations
    wrote, which the other tests rely on."""

    def flushes(item) -> bool:
        marker = item.get_closest_marker("django_db")
        transactional = bool(marker and (marker.kwargs.get("transaction") or marker.args[:1]))
        fixtures = getattr(item, "fixturenames", ())
        return transactional or "transactional_db" in fixtures or "live_server" in fixtures

    items.sort(key=flushes)


@pytest.fixture(scope="session", autouse=True)
def _content_types_cached(request):
    """Fill Django's process-wide content-type cache once, so that the query counts a test
    asserts do not depend on whether an earlier test (in random order) happened to fill it."""
    if "django_db_setup" not in request.fixturenames and not request.session.items:
        return
    request.getfixturevalue("django_db_setup")
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    blocker = request.getfixturevalue("django_db_blocker")
    with blocker.unblock():
        ContentType.objects.get_for_models(*apps.get_models())


@pytest.fixture
def regions(db):
    load_regions()
    # What the data migrations wrote, again: a test that flushed the database emptied it.
    from children.choices import Category
    from children.models import CategoryTag

    CategoryTag.objects.bulk_create(
        [CategoryTag(code=code) for code in Category.values], ignore_conflicts=True
    )


@pytest.fixture
def people(regions):
    """One person per role in 北碚区 (and its town 静观镇 and village 志达社区), plus outsiders:
    the same roles in 秀山县, a director of a neighbouring village, and someone unassigned.

    Directors and supervisors are certified (passed an induction assessment, R6); see the
    `uncertified` fixture for newly appointed ones who have not."""
    return {
        "civil": make_user(Role.CIVIL_AFFAIRS, BEIBEI, username="civil"),
        "centre": make_user(Role.PROTECTION_CENTRE, BEIBEI, username="centre"),
        "supervisor": make_user(Role.SUPERVISOR, JINGGUAN, username="supervisor"),
        "director": make_user(Role.CHILD_DIRECTOR, ZHIDA, username="director"),
        "neighbour": make_user(Role.CHILD_DIRECTOR, XINGCHENG, username="neighbour"),
        "other_civil": make_user(Role.CIVIL_AFFAIRS, XIUSHAN, username="other_civil"),
        "other_supervisor": make_user(Role.SUPERVISOR, RONGXI, username="other_supervisor"),
        "other_director": make_user(Role.CHILD_DIRECTOR, CHENGUANG, username="other_director"),
        "sysadmin": make_user(Role.SYSTEM_ADMIN, BEIBEI, username="sysadmin"),
        "secadmin": make_user(Role.SECURITY_ADMIN, BEIBEI, username="secadmin"),
        "auditadmin": make_user(Role.AUDIT_ADMIN, BEIBEI, username="auditadmin"),
        "nobody": make_user(username="nobody"),
    }


@pytest.fixture
def uncertified(people):
    """Newly appointed workers who have not passed a training assessment (R6): a director of
    志达社区 and a supervisor of 静观镇, beside the certified ones in `people`."""
    return {
        "director": make_user(Role.CHILD_DIRECTOR, ZHIDA, username="new_director", certified=False),
        "supervisor": make_user(
            Role.SUPERVISOR, JINGGUAN, username="new_supervisor", certified=False
        ),
    }


@pytest.fixture
def client():
    """pytest-django's client, whose force_login also verifies the second factor of the
    people who must have one (tests/signin.py)."""
    from tests.signin import Client

    return Client()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def redis_celery():
    """The Celery app on the Redis broker of REDIS_URL, its tasks sent to workers instead of
    run in the test (start one with celery.contrib.testing.worker.start_worker). Skipped
    without REDIS_URL, and a failure under CI, which must provide it. Afterwards the queues
    are emptied, every queue is selected again (a test worker's `queues` are selected on the
    app itself) and tasks run eagerly again."""
    import os

    from django.conf import settings

    from carecase.celery import app

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("CI"):
            pytest.fail("CI must set REDIS_URL so a real worker runs through Redis")
        pytest.skip("REDIS_URL is not set")
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app.conf.result_backend = redis_url
    app.control.purge()
    try:
        yield app
    finally:
        app.control.purge()
        app.amqp.queues.select(settings.CELERY_QUEUE_NAMES)
        app.conf.task_always_eager = True
