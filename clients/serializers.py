from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from clients.commitments import normalise_commitments
from clients.models import ChurnReason, Client, ClientStatus, ClientStatusChange, Contact, Handoff, SavedClientView
from core.api import ScopedRelationsMixin
from core.locking import VersionedSerializerMixin
from users.models import Role, Team, User


class ReadinessSerializer(serializers.Serializer):
    level = serializers.CharField()
    label = serializers.CharField()
    blocking = serializers.ListField(child=serializers.CharField())
    to_review = serializers.ListField(child=serializers.CharField())


def _users(**filters):
    return User.objects.filter(is_active=True, **filters)


class ClientSerializer(VersionedSerializerMixin, serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=_users(role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD]), required=False, allow_null=True
    )
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    owner_name = serializers.CharField(source="owner", read_only=True, allow_null=True)  # null when unowned
    team_name = serializers.CharField(source="team.name", read_only=True, default=None, allow_null=True)
    move_flags = serializers.BooleanField(
        write_only=True,
        required=False,
        default=True,
        help_text="On a change of owner: the previous owner's live flags on this client go to the new owner.",
    )
    move_followups = serializers.BooleanField(
        write_only=True,
        required=False,
        default=True,
        help_text="On a change of owner: the previous owner's open follow-ups on this client go to the new owner.",
    )

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "external_id",
            "status",
            "segment",
            "is_key_account",
            "industry",
            "website",
            "city",
            "country",
            "owner",
            "owner_name",
            "team",
            "team_name",
            "sales_owner",
            "arr",
            "currency",
            "contract_start",
            "renewal_date",
            "contact_cadence_days",
            "preferred_channel",
            "last_contact_at",
            "last_review_on",
            "archived_at",
            "version",
            "created_at",
            "updated_at",
            "move_flags",
            "move_followups",
        ]
        read_only_fields = [
            "sales_owner",
            "last_contact_at",
            "last_review_on",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"external_id": {"validators": []}}

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value


class ContactSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "reports_to": "contact_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    reports_to = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), required=False, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "client",
            "first_name",
            "last_name",
            "job_title",
            "email",
            "phone",
            "role",
            "influence",
            "relationship_strength",
            "reports_to",
            "is_active",
            "left_on",
            "notes",
            "language",
            "last_contacted_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["last_contacted_at", "created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "client" in attrs and attrs["client"].pk != self.instance.client_id:
            raise serializers.ValidationError({"client": [_("A contact cannot move to another client.")]})
        return attrs


class CommitmentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    due_date = serializers.DateField(required=False, allow_null=True)


class HandoffSerializer(ScopedRelationsMixin, VersionedSerializerMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "stakeholders": "contact_queryset"}
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.none(), required=False, help_text="An existing client you may hand off."
    )
    client_external_id = serializers.CharField(
        write_only=True, required=False, max_length=64, help_text="Or: the account id in your sales CRM."
    )
    client_name = serializers.CharField(
        write_only=True, required=False, max_length=200, help_text="With client_external_id: name for a new client."
    )
    stakeholders = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), many=True, required=False)
    commitments = CommitmentSerializer(many=True, required=False)
    to_am = serializers.PrimaryKeyRelatedField(
        queryset=_users(role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD]), required=False, allow_null=True
    )
    to_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    readiness = serializers.SerializerMethodField()

    class Meta:
        model = Handoff
        fields = [
            "id",
            "client",
            "client_external_id",
            "client_name",
            "deal_external_id",
            "deal_name",
            "deal_amount",
            "currency",
            "close_date",
            "scope",
            "goals",
            "success_criteria",
            "stakeholders",
            "stakeholder_notes",
            "commitments",
            "risks",
            "description",
            "kind",
            "to_am",
            "to_team",
            "status",
            "readiness",
            "created_by",
            "decided_by",
            "decided_at",
            "return_reason",
            "version",
            "created_at",
        ]
        read_only_fields = ["status", "kind", "created_by", "decided_by", "decided_at", "return_reason", "created_at"]
        extra_kwargs = {"deal_external_id": {"validators": []}}

    def get_readiness(self, handoff: Handoff) -> dict:
        from clients.services import handoff_readiness

        readiness = handoff_readiness(handoff)
        return {
            "level": readiness.level.value,
            "label": readiness.label,
            "blocking": readiness.blocking,
            "to_review": readiness.to_review,
        }

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise serializers.ValidationError(_("Use a 3-letter ISO currency code, e.g. EUR."))
        return value

    def validate_commitments(self, value):
        try:
            return normalise_commitments(
                [
                    # A PATCH validates nested items partially: "text" may be missing (the service says it is empty).
                    {"text": item.get("text", ""), "due_date": item.get("due_date") and item["due_date"].isoformat()}
                    for item in value
                ]
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate(self, attrs):
        attrs = super().validate(attrs)
        new_client_named = attrs.get("client_external_id") and attrs.get("client_name")
        if self.instance is None and "client" not in attrs and not new_client_named:
            raise serializers.ValidationError(
                {"client": [_("Give a client id, or client_external_id and client_name for a new client.")]}
            )
        to_am, to_team = attrs.get("to_am"), attrs.get("to_team")
        if to_am and to_team and to_am.team_id != to_team.pk:
            raise serializers.ValidationError(
                {"to_am": [_("%(person)s is not in team %(team)s.") % {"person": to_am, "team": to_team}]}
            )
        return attrs


class HandoffAcceptSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=_users(role__in=[Role.ACCOUNT_MANAGER, Role.TEAM_LEAD]), required=False, allow_null=True
    )


class HandoffReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class StatusChangeSerializer(serializers.Serializer):
    """POST /api/v1/clients/{id}/status/: a dated lifecycle step (admins may back-date ``effective_on``)."""

    # The whole choice set (one schema enum); the service accepts onboarding, active, paused and churned.
    status = serializers.ChoiceField(choices=ClientStatus.choices, required=False)
    effective_on = serializers.DateField(required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    churn_reason = serializers.ChoiceField(choices=ChurnReason.choices, required=False, allow_blank=True, default="")
    downgraded = serializers.BooleanField(required=False, default=False)


class StatusChangeOutSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", read_only=True, default=None, allow_null=True)
    # Blank unless the client churned: the schema must admit "" (a choice field's enum would not).
    churn_reason = serializers.CharField(read_only=True)

    class Meta:
        model = ClientStatusChange
        fields = [
            "id", "client", "status", "previous_status", "effective_on", "reason", "churn_reason", "downgraded",
            "backdated", "changed_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SavedClientViewSerializer(serializers.ModelSerializer):
    """A saved client list: its filters, sort and columns as the list's query string (``status=active&cols=health``)."""

    url = serializers.SerializerMethodField(help_text="The client list page with this view's filters.")

    class Meta:
        model = SavedClientView
        fields = ["id", "name", "scope", "query", "pinned", "url", "created_at", "updated_at"]
        read_only_fields = ["id", "url", "created_at", "updated_at"]
        # The service checks the name (and its uniqueness per user) and says which field is wrong.
        extra_kwargs = {"name": {"validators": []}, "query": {"required": False}}

    def get_url(self, view: SavedClientView) -> str:
        from django.urls import reverse

        path = reverse("clients:team" if view.scope == "team" else "clients:mine")
        return f"{path}?{view.query}" if view.query else path
