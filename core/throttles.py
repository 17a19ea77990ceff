"""The API's throttles (REST_FRAMEWORK in the settings): a generous rate per signed-in user, a
low one per address for anonymous requests, and a strict one on the token endpoint per
address and account name. Their counts live in the default cache (Redis in production, so
every worker process shares them). Each reads its rate from the settings when it is asked,
not when this module is imported, so a changed setting takes effect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes named in the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView


def _rate(scope: str | None) -> str | None:
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope or "")
    return None if rate is None else str(rate)


class AnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)


class UserThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return _rate(self.scope)


class TokenRequestThrottle(SimpleRateThrottle):
    """POST /api/v1/token/: the `token` rate per client address and account name (a guessed
    password is also counted by django-axes; this also bounds the requests that only cost
    a password hash). The account name is cut and lower-cased, so it bounds the key."""

    scope = "token"

    def get_rate(self) -> str | None:
        return _rate(self.scope)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data: Any = request.data
        username = data.get("username", "") if hasattr(data, "get") else ""
        account = str(username).strip().lower()[:150]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{account}",
        }
