"""Health read endpoints: daily scores and model versions."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets

from health.models import HealthModel, HealthScore
from health.serializers import HealthModelSerializer, HealthScoreSerializer
from users import permissions as rules


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
