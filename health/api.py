"""KPI ingestion and health read endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts_crm.errors import NotAllowedError
from health import services
from health.models import HealthModel, HealthScore, Metric
from health.serializers import (
    HealthModelSerializer,
    HealthScoreSerializer,
    KpiBatchResultSerializer,
    KpiBatchSerializer,
    MetricSerializer,
)
from users import permissions as rules


class KpiValuesView(APIView):
    """Upsert daily KPI values: all rows are checked first; one bad row rejects the batch (nothing written)."""

    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=KpiBatchSerializer,
        responses={200: KpiBatchResultSerializer, 400: KpiBatchResultSerializer, 403: None},
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_admin_role:
            raise NotAllowedError("Only admin (or service) accounts push KPI values.")
        try:
            payload = request.data
        except ParseError:
            payload = None  # not JSON at all: answered below, in the batch-result shape
        rows = payload.get("rows") if isinstance(payload, dict) else payload
        if not isinstance(rows, list):
            problem = 'Send a JSON list of rows, or {"rows": [...]}.'
            body = {"received": 0, "written": 0, "errors": [{"row": None, "errors": {"rows": problem}}]}
            return Response({**body, "detail": problem}, status=400)  # the batch-result shape of the schema
        result = services.metric_values_ingest(rows=rows, by=request.user)
        body = {"received": result.received, "written": result.written}
        if not result.ok:
            body["errors"] = result.errors
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)


class MetricViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MetricSerializer
    queryset = Metric.objects.order_by("key")


class HealthScoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Daily health scores of the clients you can see, with their explanation."""

    serializer_class = HealthScoreSerializer
    filterset_fields = {"client": ["exact"], "date": ["exact", "gte", "lte"], "band": ["exact"]}

    @extend_schema(parameters=[OpenApiParameter("client", int), OpenApiParameter("date", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        return (
            HealthScore.objects.filter(rules.portfolio_q(self.request.user, prefix="client__"))
            .select_related("model")
            .order_by("-date", "client_id")
        )


class HealthModelViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = HealthModelSerializer
    queryset = HealthModel.objects.order_by("-version")
