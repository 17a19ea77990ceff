"""REST endpoints of the child archive and the records hanging off a child.

Rows come only from `children.selectors.children_for` (children) or from a child resolved
through `scoping.get_visible_or_404` (records), so out of scope is a 404. Writes go through
`children.registration` and `children.records`; their ValidationError becomes a 400 with
field errors.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from children import duplicates, merge, records, registration
from children.audit import log_access
from children.choices import ParentRelation
from children.fields import CHILD_FIELDS
from children.models import (
    AccessAction,
    Assistance,
    Child,
    Problem,
    Referral,
    WorkNote,
    version_subquery,
)
from children.selectors import ChildFilter, children_for
from children.serializers import (
    AssistanceSerializer,
    ChildEditSerializer,
    ChildFilterSerializer,
    ChildSerializer,
    LikelyDuplicatesSerializer,
    MergeConflictSerializer,
    ProblemSerializer,
    ReferralSerializer,
    WorkNoteSerializer,
    is_masked,
)
from core import permissions, scoping
from core.api import ReplicaListMixin, as_drf_error
from core.http import AuthenticatedApiRequest
from org.models import Region


def _child_errors(exc: DjangoValidationError, data: Any) -> serializers.ValidationError:
    """The service's errors keyed as the API's schema: a parent's `father_id_number` becomes
    `{"parents": [{"id_number": [...]}, ...]}`, at that parent's position in the request."""
    if not hasattr(exc, "error_dict"):
        return as_drf_error(exc)
    sent = data.get("parents") if hasattr(data, "get") else None
    order = (
        [p.get("relation") for p in sent if isinstance(p, dict)] if isinstance(sent, list) else []
    )
    nested: list[dict[str, Any]] = [{} for _ in order]
    errors: dict[str, Any] = {}
    for key, messages in exc.message_dict.items():
        relation, _sep, field = key.partition("_")
        if relation in ParentRelation.values and field and relation in order:
            nested[order.index(relation)][field] = messages
        else:
            errors[key] = messages
    if any(nested):
        errors["parents"] = nested
    return serializers.ValidationError(errors)


def _token_error() -> serializers.ValidationError:
    return serializers.ValidationError(
        {"client_token": [_("This client token has already been used for something else.")]}
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name, pinyin, initials or exact ID number"),
            OpenApiParameter("region", str, description="Town or village division code"),
            OpenApiParameter("category", str),
            OpenApiParameter("status", str),
            OpenApiParameter("key", str, description="1: key children only; 0: the others"),
            OpenApiParameter("sort", str),
        ]
    ),
    update=extend_schema(responses={200: ChildSerializer, 409: MergeConflictSerializer}),
    partial_update=extend_schema(
        description="With `base_version` (the `version` the edit was made from), only the "
        "fields nobody else changed since are applied; fields changed on both sides to "
        "different values are not, and the answer is 409 with each of them (`yours`, "
        "`theirs`, `base`, who changed the server's value and when) and the new `version` "
        "to send the director's choice from.",
        responses={200: ChildSerializer, 409: MergeConflictSerializer},
    ),
)
class ChildViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Child],
):
    """Children in the caller's scope. Registering and editing are for village directors and
    district civil affairs; full ID numbers only for users allowed to see them."""

    request: AuthenticatedApiRequest

    serializer_class = ChildSerializer

    def get_queryset(self) -> QuerySet[Child]:
        flt = ChildFilter()
        if self.action == "list":
            params = ChildFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            flt = ChildFilter(**{k: v for k, v in params.validated_data.items() if v})
        return (
            children_for(self.request.user, flt)
            .annotate(version=version_subquery())
            .select_related("village", "risk")
            .prefetch_related("categories", "parents")
        )

    def get_serializer_class(self) -> type[ChildSerializer]:
        if self.action in ("update", "partial_update"):
            return ChildEditSerializer
        return ChildSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        user = self.request.user
        context["show_ids"] = permissions.can_view_identifier(user)
        context["villages"] = Region.objects.villages_in(permissions.archive_scope(user))
        return context

    def _require_editor(self) -> None:
        permissions.require_work(self.request.user)  # the certification gate: a 403 with its reason
        if not permissions.can_edit_archives(self.request.user):
            raise PermissionDenied(
                _("Only village child directors and district civil affairs edit archives.")
            )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        child = self.get_object()
        log_access(request._request, AccessAction.API_VIEW, child=child)
        return Response(self.get_serializer(child).data)

    @extend_schema(
        description="Register a child. When the archive may already hold this child (likely "
        "duplicates without a matching ID number, children.duplicates), nothing is saved and "
        "the answer is 409 with the candidates the caller may see; send the registration "
        "again with `not_duplicate_of` listing each candidate that is not the same child, "
        "and the decision is recorded.",
        responses={201: ChildSerializer, 200: ChildSerializer, 409: LikelyDuplicatesSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_editor()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._save(serializer.validated_data, instance=None)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_editor()
        instance = self.get_object()
        serializer = self.get_serializer(
            instance, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        base_version = data.pop("base_version", None)
        if base_version is None:
            return self._save(data, instance=instance)
        return self._merge(data, instance, base_version)

    def _merge(self, data: dict[str, Any], instance: Child, base_version: int) -> Response:
        """An edit made from `base_version`: see children.merge."""
        try:
            outcome = merge.child_merge(
                by=self.request.user,
                child=instance,
                sent=data,
                base_version=base_version,
                to_input=self._child_input,
            )
        except registration.DuplicateChild as exc:
            return self._duplicate(exc)
        except DjangoValidationError as exc:
            raise _child_errors(exc, self.request.data) from exc
        if outcome.conflicts:
            body = {
                "detail": _(
                    "Someone else changed some of these fields since your copy was made: "
                    "choose which values to keep and send them again. The other fields "
                    "were saved."
                ),
                "applied": outcome.applied,
                "kept": outcome.kept,
                "version": outcome.version,
                "conflicts": {
                    name: {
                        "yours": c.yours,
                        "theirs": c.theirs,
                        "base": c.base,
                        "changed_by": c.changed_by,
                        "changed_at": c.changed_at,
                    }
                    for name, c in outcome.conflicts.items()
                },
            }
            return Response(MergeConflictSerializer(body).data, status=status.HTTP_409_CONFLICT)
        out = self._fresh(instance.pk)
        out["warnings"] = outcome.result.warnings if outcome.result else []
        out["applied"] = outcome.applied
        out["kept"] = outcome.kept
        return Response(out)

    def _duplicate(self, exc: registration.DuplicateChild) -> Response:
        body: dict[str, Any] = {"id_number": exc.messages}
        if exc.moved_away:  # ask for it instead: POST /api/v1/transfers/claims/
            body["moved_away"] = True
        if exc.existing is not None:  # visible to the caller: say which child it is
            body["existing"] = {
                "id": exc.existing.pk,
                "url": reverse(
                    "child-detail", kwargs={"pk": exc.existing.pk}, request=self.request
                ),
            }
        # Not a ValidationError: it would turn the id into a string.
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    def _fresh(self, pk: int) -> dict[str, Any]:
        """The child fresh from the database, as a list row (the caller just wrote it: no
        scope filter)."""
        child = (
            Child.objects.with_version()
            .select_related("village", "risk")
            .prefetch_related("categories", "parents")
            .get(pk=pk)
        )
        return dict(ChildSerializer(child, context=self.get_serializer_context()).data)

    def _save(self, data: dict[str, Any], instance: Child | None) -> Response:
        token: uuid.UUID | None = data.get("client_token") if instance is None else None
        try:
            if instance is None:
                result = duplicates.child_register(
                    by=self.request.user,
                    data=self._child_input(data, instance),
                    client_token=token,
                    acknowledged=data.get("not_duplicate_of") or (),
                    context="api",
                )
            else:
                result = registration.child_save(
                    by=self.request.user, data=self._child_input(data, instance), instance=instance
                )
        except duplicates.LikelyDuplicates as exc:
            body = {
                "detail": _(
                    "This child may already have an archive. Check the candidates; send the "
                    "registration again with not_duplicate_of listing those that are not "
                    "the same child."
                ),
                "likely_duplicates": exc.candidates,
            }
            return Response(
                LikelyDuplicatesSerializer(body, context={"request": self.request}).data,
                status=status.HTTP_409_CONFLICT,
            )
        except registration.DuplicateChild as exc:
            return self._duplicate(exc)
        except DjangoValidationError as exc:
            raise _child_errors(exc, self.request.data) from exc
        except IntegrityError as exc:
            # Only the client token can still collide: used earlier on a child out of scope.
            raise _token_error() from exc
        out = self._fresh(result.child.pk)
        out["warnings"] = result.warnings
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(out, status=code)

    def _child_input(self, data: dict[str, Any], instance: Child | None) -> registration.ChildInput:
        def identifier(key: str, current: str) -> str:
            # Left out, or the masked value echoed back: keep the number on record.
            value = data.get(key)
            if value is None or (instance is not None and is_masked(value)):
                return current
            return str(value)

        village = data.get("village") or (instance.village if instance is not None else None)
        if village is None:  # required on registration by the serializer; never reached
            raise serializers.ValidationError({"village": [_("Choose a village or community.")]})
        parents: dict[str, dict[str, Any]] = {}
        if "parents" in data:
            existing = {p.relation: p for p in instance.parents.all()} if instance else {}
            # The list given is the whole set: a parent left out is removed.
            parents = {relation: {} for relation in ParentRelation.values}
            for item in data["parents"]:
                values = {k: v for k, v in item.items() if k != "relation"}
                before = existing.get(item["relation"])
                values["id_number"] = (
                    identifier_value(values.get("id_number"), before.id_number if before else "")
                    if instance is not None
                    else values.get("id_number") or ""
                )
                if instance is not None and "phone" in values:
                    kept = before.phone if before else ""
                    values["phone"] = identifier_value(values["phone"], kept)
                parents[item["relation"]] = values
        return registration.ChildInput(
            village=village,
            # On an update, the whole record with the changes: the service checks fields
            # against each other (a name, an entrusted carer's name), so a PATCH of the phone
            # alone must not read as a record without them.
            fields={
                **({k: getattr(instance, k) for k in CHILD_FIELDS} if instance else {}),
                **{k: v for k, v in data.items() if k in CHILD_FIELDS},
                # The carer's phone as the caller read it, masked, sent back: kept.
                **(
                    {"carer_phone": instance.carer_phone}
                    if instance is not None and is_masked(data.get("carer_phone") or "")
                    else {}
                ),
            },
            id_number=identifier("id_number", instance.id_number if instance else ""),
            carer_id_number=identifier("carer_id_number", instance.carer_id if instance else ""),
            categories=(
                list(data["categories"])
                if "categories" in data
                else (instance.category_codes() if instance else [])
            ),
            parents=parents,
        )


def identifier_value(value: str | None, current: str) -> str:
    """A parent's number on update: left out or masked keeps the one on record."""
    if value is None or is_masked(value):
        return current
    return value


_R = TypeVar("_R", bound=Model)


class ChildRecordViewSet(
    ReplicaListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[_R],
):
    """Records of one child (URL kwarg `child_pk`); subclasses set `kind` and the model."""

    request: AuthenticatedApiRequest

    kind: str
    model: type[_R]
    _child: Child | None = None

    def get_child(self) -> Child:
        if self._child is None:
            self._child = scoping.get_visible_or_404(
                Child.objects.all(), self.request.user, pk=self.kwargs["child_pk"]
            )
        return self._child

    def get_queryset(self) -> QuerySet[_R]:
        return self.model._default_manager.filter(child=self.get_child())

    def _require_recorder(self) -> None:
        self.get_child()  # 404 before 403: out of scope looks like "does not exist"
        permissions.require_work(self.request.user)
        if not permissions.can_add_records(self.request.user):
            raise PermissionDenied(_("You cannot add records to this archive."))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_recorder()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        token = values.pop("client_token", None)
        replay = token is not None and self.get_queryset().filter(client_token=token).exists()
        record = self._save(values, instance=None, token=token)
        code = status.HTTP_200_OK if replay else status.HTTP_201_CREATED
        return Response(self.get_serializer(record).data, status=code)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._require_recorder()
        instance = self.get_object()
        serializer = self.get_serializer(
            instance, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        # The service checks fields against each other: give it the whole record.
        writable = [
            name
            for name, f in ChildRecordViewSet._fields(serializer).items()
            if not f.read_only and name != "client_token"
        ]
        values = {name: getattr(instance, name) for name in writable}
        values.update({k: v for k, v in serializer.validated_data.items() if k != "client_token"})
        record = self._save(values, instance=instance, token=None)
        return Response(self.get_serializer(record).data)

    @staticmethod
    def _fields(serializer: Any) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return dict(serializer.fields)

    def _save(self, values: dict[str, Any], instance: Any, token: uuid.UUID | None) -> Any:
        try:
            return records.record_save(
                by=self.request.user,
                child=self.get_child(),
                kind=self.kind,
                values=values,
                instance=instance,
                client_token=token,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        except IntegrityError as exc:
            raise _token_error() from exc


class AssistanceViewSet(ChildRecordViewSet[Assistance]):
    """Assistance the child receives or was told of (R13)."""

    kind = "assistance"
    model = Assistance
    serializer_class = AssistanceSerializer


class ReferralViewSet(ChildRecordViewSet[Referral]):
    """Referrals of the child to other services."""

    kind = "referral"
    model = Referral
    serializer_class = ReferralSerializer


class WorkNoteViewSet(ChildRecordViewSet[WorkNote]):
    """Work-log notes on the child."""

    kind = "note"
    model = WorkNote
    serializer_class = WorkNoteSerializer


class ProblemViewSet(ChildRecordViewSet[Problem]):
    """Problems found and how they were solved."""

    kind = "problem"
    model = Problem
    serializer_class = ProblemSerializer


RECORD_VIEWSETS: dict[str, type[ChildRecordViewSet[Any]]] = {
    "assistance": AssistanceViewSet,
    "referrals": ReferralViewSet,
    "notes": WorkNoteViewSet,
    "problems": ProblemViewSet,
}
