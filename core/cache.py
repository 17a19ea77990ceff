"""The default cache's backend in production: Django's Redis cache, degrading when Redis does
not answer (stopped, restarting, unreachable) instead of failing the request.

A read that fails answers as a miss (the default), a write is dropped, `add` and `delete`
answer False, `incr` raises ValueError as for a missing key; each failure is logged at
WARNING. What uses the cache is written for that: the API's throttles let the request
through (their counts start again when Redis is back), read-your-writes (core.replica) asks
`failed()` and reads the primary, a district's refresh request (stats.services) is not
queued, and /ready/ reports the cache "unwritable". The socket timeouts (CACHE_TIMEOUT_MS
in the settings) bound what a stopped Redis costs a call. README, "Faults"."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
_state = threading.local()


def failed() -> bool:
    """Whether this thread's last call to the degrading cache found Redis not answering."""
    return bool(getattr(_state, "failed", False))


# Each client operation and what it answers when Redis does not (an exception: raised).
FALLBACKS: dict[str, Any] = {
    "add": False,
    "get": None,  # the caller's default, below
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "incr": ValueError("The cache is unavailable."),
    "set_many": None,
    "delete_many": None,
    "clear": False,
}


class DegradingClient(RedisCacheClient):
    def _degrade(self, operation: str, *args: Any) -> Any:
        try:
            result = getattr(super(), operation)(*args)
        except UNAVAILABLE as exc:
            _state.failed = True
            logger.warning("The cache's %s failed (%s): degraded", operation, type(exc).__name__)
            fallback = FALLBACKS[operation]
            if operation == "get":
                return args[1]  # the default
            if isinstance(fallback, Exception):
                raise ValueError(str(fallback)) from exc
            return fallback
        _state.failed = False
        return result

    def add(self, key: Any, value: Any, timeout: Any) -> Any:
        return self._degrade("add", key, value, timeout)

    def get(self, key: Any, default: Any) -> Any:
        return self._degrade("get", key, default)

    def set(self, key: Any, value: Any, timeout: Any) -> Any:
        return self._degrade("set", key, value, timeout)

    def touch(self, key: Any, timeout: Any) -> Any:
        return self._degrade("touch", key, timeout)

    def delete(self, key: Any) -> Any:
        return self._degrade("delete", key)

    def get_many(self, keys: Any) -> Any:
        return self._degrade("get_many", keys)

    def has_key(self, key: Any) -> Any:
        return self._degrade("has_key", key)

    def incr(self, key: Any, delta: Any) -> Any:
        return self._degrade("incr", key, delta)

    def set_many(self, data: Any, timeout: Any) -> Any:
        return self._degrade("set_many", data, timeout)

    def delete_many(self, keys: Any) -> Any:
        return self._degrade("delete_many", keys)

    def clear(self) -> Any:
        return self._degrade("clear")


class DegradingRedisCache(RedisCache):
    """Django's RedisCache with the degrading client."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = DegradingClient
