"""The API keeps its own OpenAPI schema: a bounded schemathesis run over /api/schema/ (every
operation, through the WSGI app, inside the test's database transaction) as each of several
roles, asserting no server error and no response outside the schema (status codes, bodies,
content types). SCHEMA_RUN_EXAMPLES bounds the examples per operation (default 4; CI's run of
the four roles stays within a few minutes on 2 cores)."""

from __future__ import annotations

import os

import pytest
import schemathesis
import schemathesis.checks as checks
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings

from org import tokens
from tests.factories import make_child

# What the run asserts: no server error, and every response inside the schema (a documented
# status code, a documented content type, a body matching its schema).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = int(os.environ.get("SCHEMA_RUN_EXAMPLES", "4"))
ROLES = ["director", "supervisor", "civil", "secadmin"]


@pytest.fixture(params=ROLES)
def role_token(request, people):
    # Something to read in every role's scope: a child, a mandatory report with its steps.
    from tests.reports.conftest import file

    file(people["director"], make_child(people["director"]))
    _row, secret = tokens.token_create(user=people[request.param], name="schemathesis")
    return secret


def _operations():
    from carecase.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    for result in schema.get_all_operations():
        operation = result.ok()
        # Signing the run's own token out (or revoking it) would end the run.
        if operation.path in ("/api/v1/token/logout/", "/api/v1/tokens/{id}/"):
            continue
        yield operation


def _summary(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    text = "; ".join(str(e).strip() for e in inner) if inner else str(exc)
    return " ".join(text.split())[:700]


@pytest.mark.filterwarnings("ignore")
def test_api_keeps_its_schema(role_token):
    """Every operation, EXAMPLES generated cases each: 0 server errors, 0 schema violations."""
    # identity: schemathesis's WSGI transport sends requests' default "Accept-Encoding: gzip"
    # but, with no HTTP client between it and the app, does not undo the gzip the app then
    # applies (carecase.middleware.CompressTextMiddleware); an HTTP client does.
    headers = {"Authorization": f"Token {role_token}", "Accept-Encoding": "identity"}
    # As Django's test client does: the WSGI app's request signals must not close the test's
    # connection (on PostgreSQL that would end the test transaction after the first call).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _run_every_operation(headers)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _run_every_operation(headers):
    failures = []
    count = 0
    for operation in _operations():
        count += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            # One savepoint per request, as each request is its own transaction in service.
            with transaction.atomic():
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is reported
            failures.append(f"{operation.method.upper()} {operation.path}: {_summary(exc)}")
    assert count > 80
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)


def test_empty_page_parameter_is_refused(people, client):
    client.force_login(people["director"])
    assert client.get("/api/v1/children/", {"page": ""}).status_code == 404
    assert client.get("/api/v1/children/", {"page": "1"}).status_code == 200


def test_unknown_api_address_answers_json(people, client):
    client.force_login(people["director"])
    response = client.get("/api/v1/children/-1/assistance/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_schema_documents_errors_and_the_fixed_shapes():
    from drf_spectacular.generators import SchemaGenerator

    spec = SchemaGenerator().get_schema(request=None, public=True)
    paths = spec["paths"]
    for operations in paths.values():
        for operation in operations.values():
            assert {"400", "401", "403", "404"} <= set(operation["responses"])
    steps = paths["/api/v1/reports/{id}/steps/"]["get"]["responses"]["200"]
    assert steps["content"]["application/json"]["schema"]["type"] == "array"
    assert "requestBody" not in paths["/api/v1/notifications/read-all/"]["post"]
    roles = spec["components"]["schemas"]["AssignmentRoleEnum"]["enum"]
    assert {"system_admin", "security_admin", "audit_admin"} <= set(roles)
