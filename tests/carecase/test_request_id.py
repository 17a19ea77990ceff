"""The request id: in the response, on every log line as JSON (with the user's id, never a
name), and carried into the Celery tasks the request queues, run eagerly or by a real worker
through Redis."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import time

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from carecase import requestid
from carecase.celery import _send_request_id, app
from carecase.logfilters import JsonFormatter, LogContext, MaskIdentifiers
from carecase.urls import urlpatterns as site_patterns

pytestmark = pytest.mark.django_db
logger = logging.getLogger("tests.request_id")


@shared_task(name="tests.request_id.log_a_line")
def log_a_line(text: str) -> str:
    logger.warning("task says %s", text)
    return requestid.request_id() or ""


def queue_it(request: HttpRequest) -> HttpResponse:
    """A view that queues a task, as a page's form queues an export."""
    logger.warning("view queues a task")
    log_a_line.delay("hello")
    return HttpResponse("queued")


urlpatterns = [path("queue-it/", queue_it, name="queue_it"), *site_patterns]


@pytest.fixture
def lines():
    """The lines the configured console handler writes (LOG_FORMAT defaults to json when
    DEBUG is off, as in the test settings), read back as JSON objects."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    old = handler.setStream(stream)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(old)
        logger.setLevel(logging.NOTSET)


@pytest.fixture
def records():
    """Records of the tests' logger through the context filter (for a worker thread)."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    handler.addFilter(LogContext())
    logger.addHandler(handler)
    # The logger's own level: the first test worker started in this process set the root
    # logger to its level, ERROR (Celery's logging setup runs once per process).
    logger.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def test_a_response_carries_a_new_id_or_the_sane_one_it_was_sent(client):
    made = client.get("/health/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/health/")["X-Request-ID"] != made
    assert client.get("/health/", HTTP_X_REQUEST_ID="proxy-1234.abcd")["X-Request-ID"] == (
        "proxy-1234.abcd"
    )
    for bad in ("short", "x" * 65, "has space 12345", "semi;colon12345", "<script>1234"):
        answered = client.get("/health/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad and re.fullmatch(r"[0-9a-f]{32}", answered)


def test_the_console_handler_adds_context_and_writes_json():
    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["mask_ids", "context"]
    assert console["formatter"] == "json"


def test_a_request_logs_a_json_line_with_its_id_and_the_users_id(people, client, lines):
    client.force_login(people["director"])
    response = client.get("/children/500109201501010018/", HTTP_X_REQUEST_ID="req-0001-abcd")
    assert response.status_code == 404
    logged = [line for line in lines() if line["logger"] == "django.request"]
    assert len(logged) == 1
    line = logged[0]
    assert line["request_id"] == "req-0001-abcd"
    assert line["user_id"] == people["director"].pk
    assert line["level"] == "WARNING"
    assert line["time"].endswith("+00:00")
    # Masked as before, and never the person's name or account.
    assert "500109201501010018" not in json.dumps(line)
    assert "500109********0018" in line["message"]
    assert people["director"].username not in json.dumps(line)
    assert "task_name" not in line


def test_the_formatter_writes_the_trace_masked():
    try:
        raise ValueError("id 500109201501010018")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", None, exc_info=sys.exc_info()
        )
    assert MaskIdentifiers().filter(record) and LogContext().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed"
    assert "ValueError" in line["exception"]
    assert "500109201501010018" not in line["exception"]
    assert "request_id" not in line  # outside a request


@pytest.mark.urls(__name__)
def test_an_eager_task_logs_the_id_of_the_request_that_queued_it(people, client, lines):
    client.force_login(people["director"])
    response = client.get("/queue-it/", HTTP_X_REQUEST_ID="req-eager-0001")
    assert response["X-Request-ID"] == "req-eager-0001"
    view_line, task_line = [line for line in lines() if line["logger"] == logger.name]
    assert view_line["message"] == "view queues a task"
    assert view_line["request_id"] == "req-eager-0001" and "task_name" not in view_line
    assert task_line["message"] == "task says hello"
    assert task_line["request_id"] == "req-eager-0001"
    assert task_line["user_id"] == people["director"].pk
    assert task_line["task_name"] == log_a_line.name and task_line["task_id"]
    assert requestid.current.get() is None  # nothing is left once the request is answered


def test_a_task_outside_a_request_has_its_name_and_no_request_id(records):
    assert log_a_line.delay("alone").get() == ""
    (record,) = records
    assert record.request_id is None and record.user_id is None
    assert record.task_name == log_a_line.name
    assert requestid.current.get() is None


def test_publishing_puts_the_ids_in_the_message_headers(people):
    """What travels: the publish signal writes both ids into the message's headers."""
    headers: dict[str, object] = {}
    token = requestid.current.set(requestid.Context(request_id="req-publish-01", user_id=7))
    try:
        _send_request_id(headers=headers)
    finally:
        requestid.current.reset(token)
    assert headers == {requestid.TASK_HEADER: "req-publish-01", requestid.TASK_USER_HEADER: 7}
    _send_request_id(headers=(empty := {}))
    assert empty == {}


def _first(records, matches, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [r for r in records if matches(r)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("the worker logged nothing")


@pytest.mark.celery_redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
def test_a_real_worker_logs_the_id_of_the_request_that_queued_it(
    people, client, redis_celery, records
):
    client.force_login(people["director"])
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        client.get("/queue-it/", HTTP_X_REQUEST_ID="req-worker-0001")
        # The worker's thread starts with no context: the ids came in the message's headers.
        task_record = _first(records, lambda r: r.getMessage() == "task says hello")
    view_record = next(r for r in records if r.getMessage() == "view queues a task")
    assert view_record.request_id == "req-worker-0001" and view_record.task_name is None
    assert task_record.request_id == "req-worker-0001"
    assert task_record.user_id == people["director"].pk
    assert task_record.task_name == log_a_line.name and task_record.task_id
    assert task_record.thread != view_record.thread
