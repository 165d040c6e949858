"""Health endpoints: daily scores, model versions (restore an earlier one), re-score now."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from health import selectors, services
from health.models import HealthModel, HealthScore
from health.serializers import HealthModelSerializer, HealthScoreSerializer, RescoreSerializer
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
    queryset = HealthModel.objects.select_related("restored_from").order_by("-version")

    @extend_schema(request=None, responses={201: HealthModelSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk=None) -> Response:
        """Admins: make this version's components and bands active again, saved as a new version."""
        restored = services.health_model_restore(version=self.get_object(), by=request.user)
        return Response(self.get_serializer(restored).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RescoreSerializer, 202: RescoreSerializer})
    @action(detail=False, methods=["get", "post"])
    def rescore(self, request: Request) -> Response:
        """Admins: POST queues today's scores of every live client with the workers (202); GET reads the latest
        request's progress."""
        if request.method == "POST":
            services.health_rescore_request(by=request.user, today=timezone.localdate())
            code = status.HTTP_202_ACCEPTED
        else:
            if not rules.can_edit_health_model(request.user):
                return Response({"detail": "Only admins re-score the clients."}, status=status.HTTP_403_FORBIDDEN)
            code = status.HTTP_200_OK
        progress = selectors.rescore_progress()
        if progress is None:  # none asked yet
            return Response({"on_date": None, "requested_at": None, "clients": 0, "done": 0, "finished": None})
        return Response(RescoreSerializer(progress).data, status=code)
