"""The inbound-mail endpoint: a mail provider's inbound webhook (or any relay) posts one raw RFC 822 message.

Authenticated with a shared secret (``X-Capture-Secret``, compared in constant time), not with a user: the
endpoint is off (403) while ``CAPTURE_INBOUND_SECRET`` is unset. Bodies over ``CAPTURE_MAX_MESSAGE_BYTES``
answer 413 before they are read. A message that cannot be read is stored as failed and answered 201 with its
status, so the provider does not retry it forever.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from capture.models import CaptureSource
from capture.services import message_capture

SECRET_HEADER = "X-Capture-Secret"


class TooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = _("The message is larger than the capture limit.")


def _secret_ok(provided: str | None) -> bool:
    expected = settings.CAPTURE_INBOUND_SECRET
    if not expected:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), (provided or "").encode("utf-8"))


def _read_body(request: Request, limit: int) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit:
        raise TooLarge()
    raw = request._request.read(limit + 1)  # the stream, not request.body: no DATA_UPLOAD_MAX_MEMORY_SIZE cap
    if len(raw) > limit:
        raise TooLarge()
    return raw


class InboundMailView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="capture_inbound",
        request={"message/rfc822": {"type": "string", "format": "binary"}},
        parameters=[OpenApiParameter(SECRET_HEADER, str, OpenApiParameter.HEADER, required=True)],
        responses={200: dict, 201: dict},
        description="Post one raw RFC 822 message. 201: captured (or stored as failed, see status); 200: seen before.",
    )
    def post(self, request: Request) -> Response:
        if not settings.CAPTURE_INBOUND_SECRET:
            raise PermissionDenied(_("Inbound mail capture is off (CAPTURE_INBOUND_SECRET is not set)."))
        if not _secret_ok(request.headers.get(SECRET_HEADER)):
            raise PermissionDenied(_("Wrong or missing capture secret."))
        raw = _read_body(request, settings.CAPTURE_MAX_MESSAGE_BYTES)
        if not raw.strip():
            raise ValidationError({"message": [_("Send the raw message as the request body.")]})
        result = message_capture(raw=raw, source=CaptureSource.INBOUND)
        captured = result.message
        body = {
            "id": captured.pk,
            "message_id": captured.message_id,
            "status": captured.status,
            "reason": captured.reason,
            "created": result.created,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
