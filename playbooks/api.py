"""REST endpoints for playbooks and runs: the same selectors and services as the pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action

# DRF's get_object_or_404: an id that is not a number is a 404, like any unknown id (Django's raises ValueError).
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from clients.permissions import client_get_for_user
from flags.permissions import flag_get_for_user
from playbooks import selectors, services
from playbooks.models import Playbook, PlaybookStep, PlaybookVersion, RunStep
from playbooks.permissions import playbook_get_for_user, playbook_visibility_q
from playbooks.serializers import (
    PlaybookSerializer,
    ReasonSerializer,
    RunSerializer,
    RunStartSerializer,
    SendSerializer,
)
from users import permissions as user_rules


def register(router) -> None:
    """Called by accounts_crm/api_urls.py."""
    router.register("playbooks", PlaybookViewSet, basename="playbook")
    router.register("playbook-runs", PlaybookRunViewSet, basename="playbookrun")


def _playbook_data(data: dict) -> dict:
    return {
        "name": data.get("name", ""),
        "description": data.get("description", ""),
        "trigger": data.get("trigger"),
        "days_before_renewal": data.get("days_before_renewal", 90),
        "resolves_flag": data.get("resolves_flag", True),
        "is_active": data.get("is_active", True),
    }


class PlaybookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Playbooks (global ones and your team's). Updating with ``steps`` writes a new version; runs keep theirs."""

    serializer_class = PlaybookSerializer

    def get_queryset(self):
        if not user_rules.works_accounts(self.request.user):
            return Playbook.objects.none()
        return (
            Playbook.objects.filter(playbook_visibility_q(self.request.user))
            .prefetch_related(
                "rules",
                Prefetch("versions", queryset=PlaybookVersion.objects.prefetch_related(
                    Prefetch("steps", queryset=PlaybookStep.objects.order_by("position"))
                )),
            )
            .order_by("name", "pk")
        )  # fmt: skip

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.playbook_create(
            by=self.request.user,
            team_id=data.get("team"),
            rule_ids=data.get("rules") or [],
            steps=[dict(step) for step in data["steps"]],
            **_playbook_data(data),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        changes = {k: v for k, v in _playbook_data(data).items() if k in data}
        if "team" in data:
            changes["team_id"] = data["team"]
        serializer.instance = services.playbook_update(
            playbook=serializer.instance,
            by=self.request.user,
            expected_version=data.get("version"),
            steps=[dict(step) for step in data["steps"]] if "steps" in data else None,
            rule_ids=data.get("rules") if "rules" in data else None,
            **changes,
        )

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        fresh = self.get_queryset().get(pk=response.data["id"])
        response.data = self.get_serializer(fresh).data
        return response

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        fresh = self.get_queryset().get(pk=response.data["id"])
        response.data = self.get_serializer(fresh).data
        return response


class PlaybookRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs on the clients you may see. Start one by hand, and work its steps, with the actions below."""


    serializer_class = RunSerializer

    def get_queryset(self):
        return selectors.run_list(user=self.request.user, status=self.request.query_params.get("status", ""))

    @extend_schema(request=RunStartSerializer, responses={201: RunSerializer})
    def create(self, request):
        payload = RunStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        client = client_get_for_user(user=request.user, pk=data["client"], for_edit=True)
        playbook = playbook_get_for_user(user=request.user, pk=data["playbook"])
        flag = flag_get_for_user(user=request.user, pk=data["flag"]) if data.get("flag") else None
        run = services.playbook_run_start(
            playbook=playbook, client=client, by=request.user, today=timezone.localdate(), flag=flag
        )
        return Response(RunSerializer(selectors.run_with_steps(run=run)).data, status=status.HTTP_201_CREATED)

    def _step(self, pk, step_id) -> RunStep:
        run = get_object_or_404(self.get_queryset(), pk=pk)
        run_step = (
            RunStep.objects.select_related("run", "run__client", "step", "followup").filter(run=run, pk=step_id).first()
        )
        if run_step is None:
            raise Http404(_("No such step."))
        return run_step

    def _answer(self, run_id: int) -> Response:
        return Response(RunSerializer(selectors.run_with_steps(run=self.get_queryset().get(pk=run_id))).data)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/complete")
    def complete_step(self, request, pk=None, step_id=None):
        run_step = self._step(pk, step_id)
        services.run_step_complete(run_step=run_step, by=request.user, today=timezone.localdate())
        return self._answer(run_step.run_id)

    @extend_schema(request=ReasonSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/skip")
    def skip_step(self, request, pk=None, step_id=None):
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run_step = self._step(pk, step_id)
        services.run_step_skip(
            run_step=run_step, by=request.user, reason=payload.validated_data["reason"], today=timezone.localdate()
        )
        return self._answer(run_step.run_id)

    @extend_schema(request=SendSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step_id>\d+)/send")
    def send_step(self, request, pk=None, step_id=None):
        payload = SendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run_step = self._step(pk, step_id)
        services.run_step_send(run_step=run_step, by=request.user, today=timezone.localdate(), **payload.validated_data)
        return self._answer(run_step.run_id)

    @extend_schema(request=ReasonSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = get_object_or_404(self.get_queryset(), pk=pk)
        services.run_cancel(run=run, by=request.user, reason=payload.validated_data["reason"])
        return self._answer(run.pk)
