"""The API of likely duplicates (children.duplicates): a saved child's candidates, and the
candidates of a registration before it is sent. Only children the caller may see."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from children import duplicates
from children.models import Child
from children.serializers import CandidateSerializer, DuplicateCheckSerializer
from core import permissions, scoping
from core.http import signed_in


@extend_schema(responses={200: CandidateSerializer(many=True)})
@api_view(["GET"])
def child_duplicates(request: Request, child_pk: int) -> Response:
    """The likely duplicates of a child, among the children the caller may see."""
    user = signed_in(request)
    child = scoping.get_visible_or_404(Child.objects.prefetch_related("parents"), user, pk=child_pk)
    found = duplicates.likely_duplicates(user, duplicates.draft_of(child))
    return Response(CandidateSerializer(found, many=True, context={"request": request}).data)


@extend_schema(request=DuplicateCheckSerializer, responses={200: CandidateSerializer(many=True)})
@api_view(["POST"])
def duplicate_check(request: Request) -> Response:
    """The likely duplicates of a registration before it is sent (what the registration page
    shows), among the children the caller may see."""
    user = signed_in(request)
    if not permissions.can_edit_archives(user):
        raise PermissionDenied(
            _("Only village child directors and district civil affairs edit archives.")
        )
    params = DuplicateCheckSerializer(data=request.data)
    params.is_valid(raise_exception=True)
    values = params.validated_data
    village = values.get("village")
    found = duplicates.likely_duplicates(
        user,
        duplicates.draft(
            name=values["name"],
            birth_date=values.get("birth_date"),
            village_id=village.pk if village is not None else None,
            carer_name=values.get("carer_name", ""),
            phones=[values.get("carer_phone", ""), *values.get("phones", [])],
            id_number=values.get("id_number", ""),
        ),
    )
    return Response(CandidateSerializer(found, many=True, context={"request": request}).data)
