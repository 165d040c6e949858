"""Project-wide API glue: translate service errors into clear HTTP answers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts_crm.errors import ApplicationError, ConcurrentEditError, NotAllowedError


def exception_handler(exc, context):
    if isinstance(exc, ConcurrentEditError):
        return Response({"detail": exc.message, "code": "stale_version"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowedError):
        return Response({"detail": exc.message, "code": "not_allowed"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ApplicationError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
