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
os.environ.setdefault(
    "CARECASE_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test")
)

from carecase.settings import *

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tests that need a real worker start one; everything else runs tasks in-process.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
