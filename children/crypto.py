"""Encryption at rest for identity numbers, with a keyed hash for exact lookup.

Keys come from the environment, never from SECRET_KEY:
- IDENTIFIER_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt (rotation:
  put a new key first, run `manage.py rotate_identifier_keys`, then drop the old key).
- IDENTIFIER_HASH_KEY: the HMAC key of the lookup hash. Changing it needs the same command
  with --rehash, which recomputes every hash from the decrypted numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.IDENTIFIER_KEYS)
    if not keys:
        raise ImproperlyConfigured("IDENTIFIER_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "IDENTIFIER_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def reset_keys() -> None:
    """Forget cached keys (tests and the rotation command change settings)."""
    _fernet.cache_clear()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An identity number cannot be decrypted with IDENTIFIER_KEYS: a key is missing."
        ) from exc


def rotate(token: str) -> str:
    """The same value encrypted under the current (first) key."""
    return _fernet().rotate(token.encode()).decode() if token else ""


def lookup_hash(value: str, key: str | None = None) -> str:
    key = key if key is not None else settings.IDENTIFIER_HASH_KEY
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
