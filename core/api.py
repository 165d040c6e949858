"""Project-wide API glue: translate service errors into clear HTTP answers, in the one error shape of
``core.api_errors`` (``{"error": {"code", "message", "fields"}, "detail", "request_id"}``); the user-scoped
serializer context."""

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api_errors import error_body_from_data
from core.errors import ApplicationError, ConcurrentEditError, IdempotencyConflictError, NotAllowedError


def exception_handler(exc, context):
    response = _error_response(exc, context)
    if response is not None:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        request_id = getattr(context.get("request"), "request_id", None)
        response.data = error_body_from_data(
            response.data, status=response.status_code, code=codes if isinstance(codes, str) else None,
            request_id=request_id,
        )  # fmt: skip
    return response


def _error_response(exc, context):
    if isinstance(exc, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE: say so in JSON, not a bare HTML 400
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).replace("\xa0", " ")
        message = _("The request body is larger than the limit of %(limit)s; send the data in smaller batches.") % {
            "limit": limit
        }
        return Response({"detail": message, "code": "too_large"}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, IdempotencyConflictError):
        return Response({"detail": exc.message, "code": "idempotency_conflict"}, status=status.HTTP_409_CONFLICT)
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


class ScopedSerializerContextMixin:
    """A viewset that hands its serializers querysets scoped to the requesting user.

    ``serializer_scopes`` maps a context key to a selector called as ``selector(user=request.user)``, e.g.
    ``{"client_queryset": client_queryset_for_user}``; a serializer with ``ScopedRelationsMixin`` limits its
    relation fields to them, so an id the user may not see is refused like an unknown one.
    """

    serializer_scopes: Mapping[str, Callable[..., QuerySet]] = {}

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        # The schema generator has no real user; it needs no scoped choices.
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return context
        for key, selector in self.serializer_scopes.items():
            context[key] = selector(user=self.request.user)
        return context


class ScopedRelationsMixin:
    """A serializer whose relation fields accept only what the view's scoped querysets hold.

    ``scoped_relations`` maps a field name to the context key of its queryset (a many-relation's child too).
    """

    scoped_relations: Mapping[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field_name, key in self.scoped_relations.items():
            if key in self.context and field_name in self.fields:
                field = self.fields[field_name]
                getattr(field, "child_relation", field).queryset = self.context[key]


class PageNumberPagination(pagination.PageNumberPagination):
    """Every list endpoint: ``?page=N``, and ``?page_size=`` up to MAX_PAGE_SIZE (the default stays PAGE_SIZE)."""

    page_size_query_param = "page_size"
    max_page_size = 500
