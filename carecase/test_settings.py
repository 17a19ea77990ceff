"""Settings for the test suite: the real settings, with test-only speed-ups.

DATABASE_URL and REDIS_URL are honoured, so `make test` runs on SQLite by default and on
PostgreSQL and Redis in CI.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-checks-0123456789")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("IDENTIFIER_KEYS", "IGaE3Gy0v1S5bK-qqHmJJBCXXj2fG2rzxVe7qc9Ji1A=")
os.environ.setdefault("IDENTIFIER_HASH_KEY", "test-identifier-hash-key")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
# The API's throttles out of the way of a suite that sends thousands of requests as a few
# users from one address (tests/api/test_throttling.py sets the real rates back).
os.environ.setdefault("API_THROTTLE_USER", "100000/min")
os.environ.setdefault("API_THROTTLE_ANON", "100000/min")
os.environ.setdefault("API_THROTTLE_TOKEN", "100000/min")
os.environ.setdefault(
    "CARECASE_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test")
)

from carecase.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = os.environ.get(
    "CARECASE_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend"
)
# A worker subprocess of the fault tests writes its email into files the test reads back.
EMAIL_FILE_PATH = os.environ.get("CARECASE_TEST_EMAIL_DIR", "")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tests that need a real worker start one; everything else runs tasks in-process.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
# The read replica as Django's test mirror of the primary (core/replica.py): the same test
# database through a connection of its own, so a test that commits (transaction=True) sees
# which reads the router sent there. Tests inside a transaction always read the primary.
if "replica" not in DATABASES:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}


def _flush_with_purge_permits() -> None:
    """SQLite flushes test databases with DELETE (PostgreSQL with TRUNCATE, which the row
    triggers do not see): let the flush of transactional tests through the append-only
    triggers the way `purge_logs` does, with permits inserted first and removed last."""
    import django.db.backends.sqlite3.base  # noqa: F401 - loads operations without a cycle
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from org import append_only

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):  # type: ignore[no-untyped-def]
        statements = original(self, style, tables, **kwargs)
        if append_only.PERMIT_TABLE not in tables:
            return statements
        permit = append_only.PERMIT_TABLE
        grant = [
            f"INSERT OR IGNORE INTO {permit} (table_name) VALUES ('{t}');"
            for t in append_only.TABLES
        ]
        clear = [s for s in statements if f'"{permit}"' in s]
        rest = [s for s in statements if f'"{permit}"' not in s]
        return grant + rest + clear

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


_flush_with_purge_permits()

# The fault tests (tests/faults/, core/faults.py): a worker started with CARECASE_FAULT_PAUSE_AT
# stops at that named point and writes its pid into CARECASE_FAULT_DIR, where the test kills it.
FAULT_PAUSE_AT = os.environ.get("CARECASE_FAULT_PAUSE_AT", "")
FAULT_MARKER_DIR = os.environ.get("CARECASE_FAULT_DIR", "")
