"""API shapes of playbooks (with the steps of their current version) and runs (with their steps)."""

from __future__ import annotations

from rest_framework import serializers

from clients.models import ContactRole
from playbooks.models import Anchor, OwnerRole, Playbook, PlaybookRun, RunStep, StepKind, Trigger


class StepSerializer(serializers.Serializer):
    position = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=StepKind.choices)
    title = serializers.CharField(max_length=200)
    owner_role = serializers.ChoiceField(choices=OwnerRole.choices, default=OwnerRole.AM)
    offset_days = serializers.IntegerField(min_value=0, max_value=365, default=0)
    anchor = serializers.ChoiceField(choices=Anchor.choices, default=Anchor.PREVIOUS)
    # A plain string (one of the contact roles): the contact-role enum already has its name in the schema.
    contact_role = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="For an e-mail: " + ", ".join(ContactRole.values)
    )
    email_subject = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    email_body = serializers.CharField(required=False, default="", allow_blank=True)


class PlaybookSerializer(serializers.ModelSerializer):
    steps = StepSerializer(
        many=True, help_text="The ordered steps of the current version; sending them makes a new version."
    )
    rules = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    team = serializers.IntegerField(allow_null=True, required=False, default=None)
    trigger = serializers.ChoiceField(choices=Trigger.choices, default=Trigger.MANUAL)

    class Meta:
        model = Playbook
        fields = [
            "id", "name", "description", "team", "trigger", "rules", "days_before_renewal", "resolves_flag",
            "is_active", "current_version", "version", "steps", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["current_version", "created_at", "updated_at"]
        extra_kwargs = {"version": {"required": False, "help_text": "The version you read (optimistic lock)."}}

    def to_representation(self, instance):
        steps = getattr(instance, "current_steps", None)
        if steps is None:
            steps = [s for v in instance.versions.all() if v.number == instance.current_version for s in v.steps.all()]
        return {
            "id": instance.pk,
            "name": instance.name,
            "description": instance.description,
            "team": instance.team_id,
            "trigger": instance.trigger,
            "rules": sorted(r.pk for r in instance.rules.all()),
            "days_before_renewal": instance.days_before_renewal,
            "resolves_flag": instance.resolves_flag,
            "is_active": instance.is_active,
            "current_version": instance.current_version,
            "version": instance.version,
            "steps": StepSerializer(sorted(steps, key=lambda s: s.position), many=True).data,
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
            "updated_at": serializers.DateTimeField().to_representation(instance.updated_at),
        }


class RunStepSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="step.kind", read_only=True)
    title = serializers.CharField(source="step.title", read_only=True)

    class Meta:
        model = RunStep
        fields = [
            "id", "position", "kind", "title", "status", "owner", "due_date", "followup", "draft_to",
            "draft_subject", "draft_body", "closed_on", "skip_reason",
        ]  # fmt: skip
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    steps = RunStepSerializer(many=True, read_only=True)
    version_number = serializers.IntegerField(source="playbook_version.number", read_only=True)
    started_because = serializers.CharField(
        read_only=True, help_text="What started it: a value of a playbook's trigger."
    )

    class Meta:
        model = PlaybookRun
        fields = [
            "id", "playbook", "version_number", "client", "flag", "status", "started_because", "started_on",
            "started_by", "completed_on", "cancel_reason", "steps",
        ]  # fmt: skip
        read_only_fields = fields


class RunStartSerializer(serializers.Serializer):
    playbook = serializers.IntegerField()
    client = serializers.IntegerField()
    flag = serializers.IntegerField(required=False, allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SendSerializer(serializers.Serializer):
    to = serializers.EmailField()
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField()
