"""/metrics/ for Prometheus: every process's figures (core.metrics) and the queues' depths.
Only with `Authorization: Bearer <METRICS_TOKEN>`; anything else, or no METRICS_TOKEN set, is
a 404, the same as an address that does not exist. It names views, channels, kinds and queues,
never a person or a child."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from core import metrics


def _authorized(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), expected.encode())
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        raise Http404
    registry = metrics.registry(
        broker_url=str(settings.CELERY_BROKER_URL), queues=settings.CELERY_QUEUE_NAMES
    )
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
