"""KPI ingestion and metric endpoints."""

from __future__ import annotations

import io

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotAllowedError
from kpis import services
from kpis.models import Metric
from kpis.serializers import KpiBatchResultSerializer, KpiBatchSerializer, MetricSerializer
from users import permissions as rules


class FastJSONParser(JSONParser):
    """orjson for a batch body (several times faster than the json module on 10,000 rows); what orjson refuses
    (another charset, NaN, integers beyond 64 bits, lone surrogates) goes through DRF's own JSON parser, so every
    body gets the same answer as before."""

    def parse(self, stream, media_type=None, parser_context=None):
        charset = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        body = stream.read() if stream is not None else b""
        if charset.lower().replace("-", "") == "utf8":
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                pass
        return super().parse(io.BytesIO(body), media_type, parser_context)


class KpiValuesView(APIView):
    """Upsert daily KPI values: all rows are checked first; one bad row rejects the batch (nothing written)."""

    parser_classes = [FastJSONParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=KpiBatchSerializer,
        responses={200: KpiBatchResultSerializer, 400: KpiBatchResultSerializer, 403: None},
    )
    def post(self, request: Request) -> Response:
        if not rules.can_push_kpis(request.user):
            raise NotAllowedError(_("Only admin (or service) accounts push KPI values."))
        try:
            payload = request.data
        except ParseError:
            payload = None  # not JSON at all: answered below, in the batch-result shape
        rows = payload.get("rows") if isinstance(payload, dict) else payload
        if not isinstance(rows, list):
            problem = _('Send a JSON list of rows, or {"rows": [...]}.')
            body = {"received": 0, "written": 0, "errors": [{"row": None, "errors": {"rows": problem}}]}
            return Response({**body, "detail": problem}, status=400)  # the batch-result shape of the schema
        result = services.metric_values_ingest(rows=rows, by=request.user)
        body = {"received": result.received, "written": result.written}
        if result.quarantined:
            body["quarantined"] = result.quarantined  # sudden outliers held for an admin's review, not scored
        if not result.ok:
            body["errors"] = result.errors
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)


class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MetricSerializer
    queryset = Metric.objects.order_by("key")
