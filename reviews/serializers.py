from django.utils.translation import gettext as _
from rest_framework import serializers

from clients.models import Client, Contact
from core.api import ScopedRelationsMixin
from core.locking import VersionedSerializerMixin
from reviews import plan_items
from reviews.models import AccountPlan, AccountReview, ReviewActionItem
from users.models import Role, User


def _owners():
    return User.objects.filter(is_active=True, role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD])


class ActionItemSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner", read_only=True, allow_null=True)  # null when unassigned
    followup_status = serializers.CharField(source="followup.status", read_only=True, default=None, allow_null=True)
    is_assigned = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReviewActionItem
        fields = [
            "id",
            "title",
            "owner",
            "owner_name",
            "due_date",
            "is_commitment",
            "promised_date",
            "followup",
            "followup_status",
            "is_assigned",
            "position",
        ]
        read_only_fields = fields


class ActionItemInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=_owners(), required=False, allow_null=True, help_text="Empty: unassigned (assign before closing)."
    )
    due_date = serializers.DateField(required=False, allow_null=True, help_text="Empty: two weeks from today.")
    is_commitment = serializers.BooleanField(required=False, default=False, help_text="Promised to the client.")
    promised_date = serializers.DateField(required=False, allow_null=True)


class ActionItemAssignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_owners())
    due_date = serializers.DateField(required=False, allow_null=True)
    is_commitment = serializers.BooleanField(required=False, allow_null=True, default=None)
    promised_date = serializers.DateField(required=False, allow_null=True)


class ReviewSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "contacts": "contact_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    client_name = serializers.CharField(source="client.name", read_only=True)
    label = serializers.CharField(read_only=True)
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), many=True, required=False)
    colleagues = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    action_items = ActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = AccountReview
        fields = [
            "id",
            "client",
            "client_name",
            "year",
            "quarter",
            "label",
            "status",
            "planned_on",
            "agenda",
            "contacts",
            "colleagues",
            "snapshot",
            "prepared_at",
            "prepared_by",
            "held_on",
            "wins",
            "issues",
            "satisfaction",
            "goals_progress",
            "next_quarter_plan",
            "action_items",
            "plan_history_id",
            "closed_at",
            "closed_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "snapshot",
            "prepared_at",
            "prepared_by",
            "held_on",
            "wins",
            "issues",
            "satisfaction",
            "goals_progress",
            "next_quarter_plan",
            "plan_history_id",
            "closed_at",
            "closed_by",
            "created_at",
            "updated_at",
        ]
        validators = []  # one review per client and quarter: the service answers with a clear message

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.context.get("without_snapshot"):
            self.fields.pop("snapshot")  # lists stay light; one review carries its (large) snapshot

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None:
            missing = [name for name in ("year", "quarter", "planned_on") if attrs.get(name) in (None, "")]
            if missing:
                raise serializers.ValidationError({name: [_("This field is required.")] for name in missing})
        else:
            for name in ("client", "year", "quarter"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: [_("A review keeps its client and quarter; plan another review instead.")]}
                    )
        return attrs


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="The version you read (409 if stale).")


class PrepareSerializer(VersionSerializer):
    refresh = serializers.BooleanField(
        required=False, default=False, help_text="Replace the snapshot of a review already prepared."
    )


class OutcomeSerializer(VersionSerializer):
    held_on = serializers.DateField()
    wins = serializers.CharField(required=False, allow_blank=True)
    issues = serializers.CharField(required=False, allow_blank=True)
    satisfaction = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=10, help_text="1-10; also stored as a KPI value."
    )
    goals_progress = serializers.CharField(required=False, allow_blank=True)
    next_quarter_plan = serializers.CharField(required=False, allow_blank=True)


class OutcomeUpdateSerializer(OutcomeSerializer):
    held_on = serializers.DateField(required=False)


class HoldSerializer(OutcomeSerializer):
    action_items = ActionItemInputSerializer(many=True, required=False)


# --- account plans -------------------------------------------------------------------------------


class ObjectiveSerializer(serializers.Serializer):
    objective = serializers.CharField(max_length=plan_items.MAX_TEXT)
    target = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=list(plan_items.OBJECTIVE_STATUSES.items()), default="on_track")


class OpportunitySerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=list(plan_items.OPPORTUNITY_KINDS.items()), default="upsell")
    estimated_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True, coerce_to_string=True
    )
    stage = serializers.ChoiceField(choices=list(plan_items.OPPORTUNITY_STAGES.items()), default="identified")


class StakeholderSerializer(serializers.Serializer):
    contact = serializers.IntegerField(required=False, allow_null=True, help_text="A contact of the client.")
    who = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Or: who, in words.")
    how = serializers.CharField(max_length=plan_items.MAX_TEXT, help_text="How we win them over.")


class RiskSerializer(serializers.Serializer):
    risk = serializers.CharField(max_length=plan_items.MAX_TEXT)
    impact = serializers.ChoiceField(choices=list(plan_items.LEVELS.items()), default="medium")
    mitigation = serializers.CharField(max_length=plan_items.MAX_TEXT, required=False, allow_blank=True)


class AccountPlanSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    client_name = serializers.CharField(source="client.name", read_only=True)
    objectives = ObjectiveSerializer(many=True, required=False)
    opportunities = OpportunitySerializer(many=True, required=False)
    stakeholders = StakeholderSerializer(many=True, required=False)
    risks = RiskSerializer(many=True, required=False)

    class Meta:
        model = AccountPlan
        fields = [
            "id",
            "client",
            "client_name",
            "hypothesis",
            "revenue_target",
            "currency",
            "objectives",
            "opportunities",
            "stakeholders",
            "risks",
            "last_revisited_on",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_revisited_on", "created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "client" in attrs and attrs["client"].pk != self.instance.client_id:
            raise serializers.ValidationError({"client": [_("A plan cannot move to another client.")]})
        return attrs

    def plan_fields(self) -> dict:
        """Validated data as the service takes it (lists as plain dicts, amounts as text)."""
        data = dict(self.validated_data)
        for name in ("objectives", "opportunities", "stakeholders", "risks"):
            if name in data:
                data[name] = [dict(item) for item in data[name]]
        for item in data.get("opportunities", []):
            if item.get("estimated_value") is not None:
                item["estimated_value"] = str(item["estimated_value"])
        return data


class PlanChangeSerializer(serializers.Serializer):
    section = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()


class PlanHistorySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_user = serializers.CharField(allow_null=True)
    review = serializers.CharField(allow_blank=True, help_text="The review this version was discussed in.")
    changes = PlanChangeSerializer(many=True)
