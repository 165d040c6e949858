"""REST endpoints of the reviews app: the same selectors and services as the pages.

``register`` adds them to the project's router (accounts_crm/api_urls.py).
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clients.selectors import client_queryset_for_user, contact_queryset_for_user
from core.api import ScopedSerializerContextMixin
from reviews import selectors, services
from reviews.models import AccountPlan, AccountReview
from reviews.serializers import (
    AccountPlanSerializer,
    ActionItemAssignSerializer,
    ActionItemInputSerializer,
    HoldSerializer,
    OutcomeUpdateSerializer,
    PlanChangeSerializer,
    PlanHistorySerializer,
    PrepareSerializer,
    ReviewSerializer,
    VersionSerializer,
)
from users import permissions as rules


def register(router) -> None:
    """Called by accounts_crm/api_urls.py."""
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("account-plans", AccountPlanViewSet, basename="accountplan")


class _ScopedContextMixin(ScopedSerializerContextMixin):
    serializer_scopes = {"client_queryset": client_queryset_for_user, "contact_queryset": contact_queryset_for_user}


def _payload(serializer_class, request: Request) -> dict:
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return dict(payload.validated_data)


@extend_schema_view(list=extend_schema(description="Reviews you may see, without their snapshot (get one for it)."))
class ReviewViewSet(
    _ScopedContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Quarterly account reviews. POST plans one; state changes go through the actions:
    prepare (freezes the snapshot), hold (outcome and action items), close."""

    serializer_class = ReviewSerializer
    filterset_fields = ["client", "year", "quarter", "status"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["without_snapshot"] = self.action == "list"
        return context

    def get_queryset(self):
        return selectors.review_queryset_for_user(user=self.request.user).order_by(
            "-year", "-quarter", "client__name", "pk"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("version", None)
        review = services.review_plan(
            client=data["client"],
            by=self.request.user,
            year=data["year"],
            quarter=data["quarter"],
            planned_on=data["planned_on"],
            contacts=data.get("contacts", []),
            colleagues=data.get("colleagues", []),
            agenda=data.get("agenda", ""),
        )
        serializer.instance = self._reload(review)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        for name in ("client", "year", "quarter"):
            data.pop(name, None)
        review = services.review_plan_update(
            review=serializer.instance, by=self.request.user, expected_version=version, **data
        )
        serializer.instance = self._reload(review)

    def _reload(self, review: AccountReview) -> AccountReview:
        return self.get_queryset().get(pk=review.pk)

    def _reply(self, review: AccountReview) -> Response:
        return Response(self.get_serializer(self._reload(review)).data)

    @extend_schema(request=PrepareSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def prepare(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        data = _payload(PrepareSerializer, request)
        services.review_prepare(
            review=review, by=request.user, expected_version=data.get("version"), refresh=data.get("refresh", False)
        )
        return self._reply(review)

    @extend_schema(request=HoldSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        data = _payload(HoldSerializer, request)
        version = data.pop("version", None)
        items = [dict(item) for item in data.pop("action_items", [])]
        services.review_hold(review=review, by=request.user, expected_version=version, action_items=items, **data)
        return self._reply(review)

    @extend_schema(request=OutcomeUpdateSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, pk=None) -> Response:
        """Correct the outcome of a held review (until it is closed)."""
        review = self.get_object()
        data = _payload(OutcomeUpdateSerializer, request)
        version = data.pop("version", None)
        services.review_outcome_update(review=review, by=request.user, expected_version=version, **data)
        return self._reply(review)

    @extend_schema(request=VersionSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        data = _payload(VersionSerializer, request)
        services.review_close(review=review, by=request.user, expected_version=data.get("version"))
        return self._reply(review)

    @extend_schema(request=ActionItemInputSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"], url_path="action-items")
    def add_action_item(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        services.review_action_item_add(review=review, by=request.user, **_payload(ActionItemInputSerializer, request))
        response = self._reply(review)
        response.status_code = 201
        return response

    @extend_schema(
        request=ActionItemAssignSerializer,
        responses=ReviewSerializer,
        parameters=[OpenApiParameter("item_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"action-items/(?P<item_id>\d+)/assign")
    def assign_action_item(self, request: Request, pk=None, item_id=None) -> Response:
        review = self.get_object()
        item = next((i for i in review.action_items.all() if i.pk == int(item_id)), None)
        if item is None:
            raise Http404(_("No such action item."))
        data = _payload(ActionItemAssignSerializer, request)
        services.review_action_item_assign(item=item, by=request.user, **data)
        return self._reply(review)


class AccountPlanViewSet(
    _ScopedContextMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """One account plan per client; every save is kept in its history (see ``history``)."""

    serializer_class = AccountPlanSerializer
    filterset_fields = ["client"]

    def get_queryset(self):
        return (
            AccountPlan.objects.filter(rules.portfolio_q(self.request.user, prefix="client__"))
            .select_related("client")
            .order_by("client__name", "pk")
        )

    def perform_create(self, serializer):
        data = serializer.plan_fields()
        data.pop("version", None)
        client = data.pop("client")
        serializer.instance = services.account_plan_save(
            client=client, by=self.request.user, expected_version=None, **data
        )

    def perform_update(self, serializer):
        data = serializer.plan_fields()
        version = data.pop("version", None)
        data.pop("client", None)
        serializer.instance = services.account_plan_save(
            client=serializer.instance.client, by=self.request.user, expected_version=version, **data
        )

    @extend_schema(request=VersionSerializer, responses=AccountPlanSerializer)
    @action(detail=True, methods=["post"])
    def revisit(self, request: Request, pk=None) -> Response:
        """Looked at it and nothing needs to change: last_revisited_on becomes today."""
        plan = self.get_object()
        data = _payload(VersionSerializer, request)
        plan = services.account_plan_revisit(plan=plan, by=request.user, expected_version=data.get("version"))
        return Response(self.get_serializer(plan).data)

    @extend_schema(
        responses=PlanHistorySerializer(many=True), parameters=[OpenApiParameter("page", int, required=False)]
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk=None) -> Response:
        plan = self.get_object()
        page_number = request.query_params.get("page", "1")
        page = selectors.plan_history(plan=plan, page=int(page_number) if page_number.isdigit() else 1)
        rows = [
            {
                "history_id": record.history_id,
                "history_date": record.history_date,
                "history_user": str(record.history_user) if record.history_user else None,
                "review": review,
                "changes": [vars(change) for change in changes],
            }
            for record, changes, review in page.rows
        ]
        return Response(
            {
                "count": page.total,
                "page": page.number,
                "pages": page.num_pages,
                "results": PlanHistorySerializer(rows, many=True).data,
            }
        )

    @extend_schema(
        responses=inline_serializer(
            "PlanChangesSinceReview",
            {
                "review": serializers.IntegerField(allow_null=True),
                "review_label": serializers.CharField(allow_null=True),
                "changes": PlanChangeSerializer(many=True),
            },
        )
    )
    @action(detail=True, methods=["get"], url_path="changes-since-review")
    def changes_since_review(self, request: Request, pk=None) -> Response:
        plan = self.get_object()
        comparison = selectors.plan_changes_since_review(client=plan.client, plan=plan)
        return Response(
            {
                "review": comparison.baseline.pk if comparison.baseline else None,
                "review_label": comparison.baseline.label if comparison.baseline else None,
                "changes": PlanChangeSerializer([vars(c) for c in comparison.changes], many=True).data,
            }
        )
