"""The token endpoint and the owner's tokens: POST /api/v1/token/ (username, password, device)
signs a device in; GET /api/v1/tokens/ lists one's tokens (a security administrator: everyone's)
with their last use and never the secret; DELETE /api/v1/tokens/{id}/ revokes one;
POST /api/v1/token/logout/ revokes the token making the request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import permissions, throttles
from core.http import AuthenticatedApiRequest
from org import selectors, tokens, two_factor
from org.models import ApiToken, StaffStatus
from org.serializers import (
    ApiTokenSerializer,
    IssuedTokenSerializer,
    TokenRequestSerializer,
)


class ObtainTokenView(APIView):
    """Sign a device in. django-axes counts failures here exactly as on the sign-in page;
    the `token` throttle bounds the attempts per address and account name (429)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [throttles.AnonThrottle, throttles.TokenRequestThrottle]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: IssuedTokenSerializer,
            403: OpenApiResponse(description="Too many"),
            429: OpenApiResponse(description="Too many attempts; see Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        payload = TokenRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        # The DRF request (as DRF's own token view passes it): a lockout raised by axes is
        # then answered as JSON (403) instead of the sign-in page's HTML.
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if user is None or not user.is_active or user.status != StaffStatus.ACTIVE:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Wrong account name or password.")]}
            )
        if permissions.needs_two_factor(user) or two_factor.has_factor(user):
            self._check_second_factor(user, data.get("otp", ""))
        try:
            token, secret = tokens.token_create(user=user, name=data.get("device", ""))
        except tokens.TokenLimitReached:
            return Response(
                {"detail": _("Too many devices are signed in; revoke one of your tokens first.")},
                status=status.HTTP_403_FORBIDDEN,
            )
        token.token = secret
        return Response(IssuedTokenSerializer(token).data)

    @staticmethod
    def _check_second_factor(user: Any, code: str) -> None:
        """A person who signs in with two factors gives the code in `otp` (400 otherwise)."""
        if not two_factor.has_factor(user):
            message = _(
                "Your account signs in with a verification code, and you have not set one up: "
                "ask your security administrator."
            )
        elif not code.strip():
            message = _("Enter the code of your authenticator app (or a recovery code).")
        else:
            result = two_factor.verify(user, code)
            if result.device is not None:
                return
            message = (
                _("Too many wrong codes: wait a minute, then try again.")
                if result.throttled
                else _(
                    "This code is not right or has expired: enter the 6 digits your "
                    "authenticator app shows now, or a recovery code you have not used."
                )
            )
        raise serializers.ValidationError({"otp": [message]})


class LogoutView(APIView):
    request: AuthenticatedApiRequest

    @extend_schema(request=None, responses={204: None})
    def post(self, request: AuthenticatedApiRequest) -> Response:
        if isinstance(request.auth, ApiToken):
            tokens.token_revoke(by=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet[ApiToken]
):
    """One's own tokens (a security administrator: everyone's). Secrets are never shown."""

    request: AuthenticatedApiRequest

    serializer_class = ApiTokenSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self) -> QuerySet[ApiToken]:
        live = selectors.live_tokens()
        if permissions.is_security_admin(self.request.user):
            return live.order_by("-created")
        return live.filter(user_id=self.request.user.pk).order_by("-created")

    def perform_destroy(self, instance: ApiToken) -> None:
        tokens.token_revoke(by=self.request.user, token=instance, request=self.request)
