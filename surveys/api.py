"""REST endpoints of the surveys: the same selectors and services as the pages. ``register`` adds them to the
project's router (accounts_crm/api_urls.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from clients.selectors import client_queryset_for_user, contact_queryset_for_user
from core.api import ScopedSerializerContextMixin
from core.dates import Quarter
from core.filters import StrictFilterSet
from surveys import selectors, services
from surveys.models import SurveyAnswer
from surveys.serializers import (
    ClientResultSerializer,
    SurveyAnswerSerializer,
    SurveyScheduleSerializer,
    SurveySendSerializer,
    SurveySerializer,
)


def register(router) -> None:
    """Called by accounts_crm/api_urls.py."""
    router.register("surveys", SurveyViewSet, basename="survey")
    router.register("survey-answers", SurveyAnswerViewSet, basename="surveyanswer")
    router.register("survey-schedules", SurveyScheduleViewSet, basename="surveyschedule")
    router.register("survey-results", SurveyResultViewSet, basename="surveyresult")


class _Scoped(ScopedSerializerContextMixin):
    serializer_scopes = {"client_queryset": client_queryset_for_user, "contact_queryset": contact_queryset_for_user}


@extend_schema_view(
    create=extend_schema(
        request=SurveySendSerializer, responses={201: SurveySerializer},
        description="Send a survey now: each contact gets a link of their own by e-mail (through the outbox).",
    ),
)  # fmt: skip
class SurveyViewSet(_Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Surveys of the clients you may see, with who was asked and who answered. POST sends one; ``remind`` and
    ``close`` act on an open one."""

    serializer_class = SurveySerializer
    filterset_fields = ["client", "kind"]

    def get_queryset(self):
        return (
            selectors.survey_queryset_for_user(user=self.request.user)
            .prefetch_related("invitations__contact")
            .order_by("-sent_at", "-pk")
        )

    def get_serializer_class(self):
        return SurveySendSerializer if self.action == "create" else SurveySerializer

    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        sent = services.survey_send(
            client=data["client"], kind=data["kind"], contacts=data["contacts"], by=request.user,
            open_days=data["open_days"],
        )  # fmt: skip
        survey = self.get_queryset().get(pk=sent.survey.pk)
        return Response(SurveySerializer(survey, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("SurveyRemindResult", {"reminded": serializers.IntegerField()})},
    )
    @action(detail=True, methods=["post"])
    def remind(self, request: Request, pk=None) -> Response:
        """Remind the contacts who have not answered (not those reminded in the last 24 hours)."""
        survey = self.get_object()
        return Response({"reminded": services.survey_remind(survey=survey, by=request.user)})

    @extend_schema(request=None, responses={200: SurveySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        """Close the survey: its links stop taking answers."""
        services.survey_close(survey=self.get_object(), by=request.user)
        survey = self.get_queryset().get(pk=pk)
        return Response(SurveySerializer(survey, context=self.get_serializer_context()).data)


class SurveyAnswerFilter(StrictFilterSet):
    class Meta:
        model = SurveyAnswer
        fields = {"client": ["exact"], "survey": ["exact"], "kind": ["exact"], "score": ["lte", "gte"],
                  "answered_on": ["gte", "lte"]}  # fmt: skip


class SurveyAnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Answers to the surveys of the clients you may see, newest first. Answers come only from the contacts'
    answer pages, never from the API."""

    serializer_class = SurveyAnswerSerializer
    filterset_class = SurveyAnswerFilter

    def get_queryset(self):
        return selectors.answer_queryset_for_user(user=self.request.user).order_by("-answered_at", "-pk")


class SurveyScheduleViewSet(
    _Scoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A client's survey schedule (one per kind: POST again replaces it; ``is_active: false`` pauses it)."""

    serializer_class = SurveyScheduleSerializer
    filterset_fields = ["client", "kind", "is_active"]

    def get_queryset(self):
        return selectors.schedule_queryset_for_user(user=self.request.user).order_by("client__name", "kind")

    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        schedule = services.survey_schedule_save(
            client=data["client"], kind=data["kind"], contacts=data["contacts"], every_months=data["every_months"],
            next_on=data["next_on"], is_active=data.get("is_active", True), by=request.user,
        )  # fmt: skip
        schedule = self.get_queryset().get(pk=schedule.pk)
        return Response(self.get_serializer(schedule).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("quarter", str, description="2026-Q3; default: the current quarter."),
            OpenApiParameter("client", int, description="One client."),
            OpenApiParameter("ordering", str, enum=sorted(selectors.PORTFOLIO_ORDERINGS)),
        ],
        responses={200: ClientResultSerializer(many=True)},
    )
)
class SurveyResultViewSet(viewsets.GenericViewSet):
    """NPS, CSAT and response rate per client over a quarter (the clients you may see that were surveyed or
    answered in it); the same figures as the Surveys pages."""

    serializer_class = ClientResultSerializer
    filter_backends: list = []

    def get_queryset(self):  # the schema generator asks; the rows are computed, not a queryset
        return SurveyAnswer.objects.none()

    def list(self, request: Request) -> Response:
        try:
            quarter = (
                Quarter.parse(request.query_params["quarter"])
                if request.query_params.get("quarter")
                else Quarter.containing(timezone.localdate())
            )
        except ValueError as exc:
            raise ValidationError({"quarter": [str(exc)]}) from None
        client = request.query_params.get("client", "")
        if client and not client.isdigit():
            raise ValidationError({"client": [_("A client id is a number.")]})
        view = selectors.portfolio_results(
            user=request.user, quarter=quarter, ordering=request.query_params.get("ordering", "name")
        )
        rows = [r for r in view.rows if not client or r.client.pk == int(client)]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ClientResultSerializer(page, many=True).data)
