"""REST endpoints of one child, one record: merging two archives, and the district's lists of
likely duplicates (asked for, polled, read). District civil-affairs staff only; a child or a
district outside the caller's scope is a 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from children.audit import client_ip
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest, signed_in
from duplicates import merging, services
from duplicates.models import DuplicateList
from duplicates.serializers import (
    ChildMergeSerializer,
    DuplicateListRequestSerializer,
    DuplicateListSerializer,
    DuplicatePairSerializer,
    MergeRequestSerializer,
)


@extend_schema(request=MergeRequestSerializer, responses={201: ChildMergeSerializer})
@api_view(["POST"])
def merge_create(request: Request) -> Response:
    """Merge the archive `merged` into `survivor`, choosing field by field; every record
    moves, the merged archive is kept closed as a tombstone. All or nothing."""
    user = signed_in(request)
    params = MergeRequestSerializer(data=request.data)
    params.is_valid(raise_exception=True)
    values = params.validated_data
    try:
        services.require_merger(user)
        record = merging.child_merge_archives(
            by=user,
            survivor_id=values["survivor"],
            merged_id=values["merged"],
            choices=dict(values.get("choices") or {}),
            note=values.get("note", ""),
            ip=client_ip(request._request),
        )
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except DjangoValidationError as exc:
        raise as_drf_error(exc) from exc
    return Response(ChildMergeSerializer(record).data, status=status.HTTP_201_CREATED)


class DuplicateListViewSet(ReplicaListMixin, viewsets.ReadOnlyModelViewSet[DuplicateList]):
    """The caller's districts' lists of likely duplicates: POST asks for one (a background
    job: poll `progress`), `pairs` reads its pairs."""

    request: AuthenticatedApiRequest
    serializer_class = DuplicateListSerializer
    queryset = DuplicateList.objects.none()  # the schema's types; rows from get_queryset

    def get_queryset(self) -> Any:
        try:
            services.require_merger(self.request.user)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return services.lists_for(self.request.user)

    @extend_schema(request=DuplicateListRequestSerializer, responses={202: DuplicateListSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = DuplicateListRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            listing = services.duplicate_list_request(
                user=self.request.user, district_code=params.validated_data["district"]
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(DuplicateListSerializer(listing).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: DuplicatePairSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def pairs(self, request: Request, pk: Any = None) -> Response:
        listing = self.get_object()
        paginator = PageNumberPagination()
        paginator.page_size = 100
        page = paginator.paginate_queryset(
            services.pairs_of(self.request.user, listing), request, view=self
        )
        return paginator.get_paginated_response(DuplicatePairSerializer(page, many=True).data)
