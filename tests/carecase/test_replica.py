"""The read replica (core/replica.py), through Django's test mirror: "replica" is a connection of
its own to the test database, so these tests commit (transaction=True) and look at which
connection each read took."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecase import readiness
from children.models import Child
from core import clock as app_clock
from core import replica
from exports import jobs
from exports.models import ExportJob, ExportKind, ExportStatus, NationalMode
from notifications.models import NotificationKind
from notifications.services import notify
from stats.services import snapshot_regions
from tests.factories import BEIBEI, JINGGUAN, ZHIDA, make_child, region

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

router = replica.ReplicaRouter()


@pytest.fixture(autouse=True)
def _fresh_measurement():
    """Each test measures the replica anew (the measurement is kept per process)."""
    replica.forget()
    yield
    replica.forget()


@pytest.fixture
def unreachable_replica():
    """The replica's connection pointed at a server that is not there (a closed port; for
    SQLite a file in a folder that does not exist)."""
    connection = connections[replica.REPLICA]
    original = connection.settings_dict
    if connection.vendor == "postgresql":
        connection.settings_dict = {**original, "HOST": "127.0.0.1", "PORT": 1}
    else:
        connection.settings_dict = {**original, "NAME": "/nonexistent/carecase/replica.db"}
    connection.close()  # after: Django keeps an in-memory SQLite database open
    replica.forget()
    yield
    connection.close()
    connection.settings_dict = original
    replica.forget()


def queries(context: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in context.captured_queries if table in q["sql"]]


def test_reads_go_to_the_replica_only_inside_a_unit_of_work(people):
    assert router.db_for_read(Child) == "default"
    with replica.replica_reading():
        assert router.db_for_read(Child) == "replica"
        with transaction.atomic():
            # A transaction reads what it wrote: the primary.
            assert router.db_for_read(Child) == "default"
        with replica.primary_reading():
            assert router.db_for_read(Child) == "default"
        assert router.db_for_read(Child) == "replica"
        assert router.db_for_write(Child) == "default"
    assert router.db_for_read(Child) == "default"
    assert router.allow_migrate("default", "children")
    assert not router.allow_migrate("replica", "children")


def test_a_user_reads_the_primary_for_some_seconds_after_writing(people, clock):
    director = people["director"]
    with replica.replica_reading(user=director):
        assert router.db_for_read(Child) == "replica"
    replica.note_write(director.pk)
    with replica.replica_reading(user=director):
        assert router.db_for_read(Child) == "default"
    with replica.replica_reading(user=people["neighbour"]):
        assert router.db_for_read(Child) == "replica"  # someone else's write
    clock.shift(datetime.timedelta(seconds=settings.READ_YOUR_WRITES_SECONDS - 2))
    with replica.replica_reading(user=director):
        assert router.db_for_read(Child) == "default"
    clock.shift(datetime.timedelta(seconds=3))
    replica.forget()
    with replica.replica_reading(user=director):
        assert router.db_for_read(Child) == "replica"


def test_a_task_reads_the_replica_once_it_has_replayed_the_request(people):
    replica.measure()  # lag 0 at this instant
    with replica.replica_reading(since=app_clock.now() - datetime.timedelta(seconds=1)):
        assert router.db_for_read(Child) == "replica"
    with replica.replica_reading(since=app_clock.now() + datetime.timedelta(seconds=1)):
        # Asked for after what the replica was last seen to hold.
        assert router.db_for_read(Child) == "default"


def test_the_dashboard_reads_from_the_replica_until_the_user_writes(people, login):
    make_child(people["director"], ZHIDA, categories=["rural_left_behind"])
    snapshot_regions(today=app_clock.today(), now=app_clock.now())
    client = login(people["supervisor"])
    url = reverse("stats:area", args=[JINGGUAN])
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as mirror,
    ):
        response = client.get(url)
    assert response.status_code == 200
    assert queries(mirror, "stats_regionsnapshot"), "the snapshot is read from the replica"
    assert not queries(primary, 'FROM "stats_regionsnapshot"')
    assert not queries(mirror, "django_session"), "the session is read before the view"

    # A write (POST), then the same page: every read on the primary.
    assert client.post(reverse("notifications:read_all")).status_code == 302
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as mirror,
    ):
        assert client.get(url).status_code == 200
    assert mirror.captured_queries == []
    assert queries(primary, "stats_regionsnapshot")


def test_the_roster_csv_streams_from_the_replica(people, login):
    make_child(people["director"], ZHIDA, name="王小明")
    client = login(people["civil"])
    with CaptureQueriesContext(connections["replica"]) as mirror:
        response = client.get(reverse("children:export_csv"))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "王小明" in body
    assert queries(mirror, "children_child")


def statistics_job(user, kind=ExportKind.STATISTICS, **params):
    return ExportJob.objects.create(
        kind=kind,
        area=region(BEIBEI),
        requested_by=user,
        params={"date": app_clock.today().isoformat(), **params},
    )


def test_a_statistics_export_is_built_from_the_replica_a_national_one_not(people):
    make_child(people["director"], ZHIDA, categories=["rural_left_behind"])
    job = statistics_job(people["civil"])
    with CaptureQueriesContext(connections["replica"]) as mirror:
        built = jobs.run_export(job.pk)
    assert built is not None and built.status == ExportStatus.DONE, built and built.message
    assert queries(mirror, "children_child")
    assert not queries(mirror, "UPDATE")

    national = statistics_job(people["civil"], kind=ExportKind.NATIONAL, mode=NationalMode.FULL)
    with CaptureQueriesContext(connections["replica"]) as mirror:
        built = jobs.run_export(national.pk)
    assert built is not None and built.status == ExportStatus.DONE, built and built.message
    assert mirror.captured_queries == []


def test_an_unreachable_replica_leaves_reads_on_the_primary(people, login, unreachable_replica):
    make_child(people["director"], ZHIDA, name="王小明")
    with replica.replica_reading():
        assert router.db_for_read(Child) == "default"
    response = login(people["supervisor"]).get(reverse("children:list"))
    assert response.status_code == 200
    assert "王小明" in response.content.decode()

    answers = readiness.report()
    assert answers["replica"] == "down"
    assert readiness.is_ready({**answers, **dict.fromkeys(readiness.NEEDS_DATABASE, "ok")})


def test_readiness_reports_the_replica():
    assert readiness.report()["replica"] == "ok"
    now = app_clock.now()
    limit = settings.REPLICA_MAX_LAG_SECONDS
    assert replica.state(replica.Measurement(lag=limit + 1, at=now, monotonic=0)) == "lagging"
    assert replica.state(replica.Measurement(lag=limit, at=now, monotonic=0)) == "ok"
    assert replica.state(replica.Measurement(lag=None, at=now, monotonic=0)) == "down"


# --- The API's list endpoints (core.api.ReplicaListMixin, replica_list) ---------------------

API_LISTS = {
    "/api/v1/children/": "children_child",
    "/api/v1/visits/": "visits_visit",
    "/api/v1/reports/": "reports_mandatoryreport",
    "/api/v1/notifications/": "notifications_notification",
    "/api/v1/findings/": "matching_finding",
    "/api/v1/transfers/": "transfers_transfer",
    "/api/v1/case-plans/": "caseplans_caseplan",
    "/api/v1/activities/": "activities_activity",
}


def test_api_lists_read_from_the_replica_and_their_writes_from_the_primary(people, login):
    child = make_child(people["director"], ZHIDA, name="王小明")
    client = login(people["director"])
    for url, table in API_LISTS.items():
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections["replica"]) as mirror,
        ):
            response = client.get(url)
        assert response.status_code == 200, url
        assert queries(mirror, table), f"{url} lists from the replica"
        assert not queries(primary, f'FROM "{table}"'), url
    listed = client.get("/api/v1/children/").json()["results"]
    assert [row["name"] for row in listed] == ["王小明"]
    # Another village's director lists from the replica too: her own scope, not the child.
    other = login(people["neighbour"]).get("/api/v1/children/").json()
    assert other["count"] == 0
    # One child (retrieve) is not a list: the primary.
    client = login(people["director"])
    with CaptureQueriesContext(connections["replica"]) as mirror:
        assert client.get(f"/api/v1/children/{child.pk}/").status_code == 200
    assert not queries(mirror, "children_child")


def test_an_api_write_keeps_the_writers_lists_on_the_primary(people, login):
    director = people["director"]
    (note,) = notify(recipients=[director], kind=NotificationKind.OTHER, title="新的发现")
    client = login(director)
    assert client.get("/api/v1/notifications/").json()["results"][0]["read_at"] is None
    # The write through the API (a POST: ReadYourWritesMiddleware notes it in the cache).
    assert client.post(f"/api/v1/notifications/{note.pk}/read/").status_code == 200
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as mirror,
    ):
        listed = client.get("/api/v1/notifications/").json()["results"]
    assert mirror.captured_queries == []
    assert queries(primary, "notifications_notification")
    assert listed[0]["read_at"] is not None  # the writer reads what she wrote
    # Someone else, who wrote nothing, still lists from the replica.
    with CaptureQueriesContext(connections["replica"]) as mirror:
        assert login(people["supervisor"]).get("/api/v1/children/").status_code == 200
    assert queries(mirror, "children_child")


def test_api_lists_answer_from_the_primary_when_the_replica_is_down(
    people, login, unreachable_replica
):
    make_child(people["director"], ZHIDA, name="王小明")
    response = login(people["supervisor"]).get("/api/v1/children/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["王小明"]
